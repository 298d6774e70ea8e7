/**
 * The CLI against both stores at once: one export of a Qdrant server and a FalkorDB server writes
 * one archive; one import restores both; migrate streams a collection between servers; prune keeps
 * what its rules say, by the times in the archives' headers.
 */
import { Redis } from 'ioredis';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { runCli } from '../helpers/run-cli.ts';

let q: QdrantTarget;
let falkor: FalkorServer;
let redis: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;
const collections: string[] = [];

const json = (out: Buffer) => JSON.parse(out.toString()) as Record<string, any>;

beforeAll(async () => {
  [q, falkor] = await Promise.all([qdrantTarget(), startFalkorDB()]);
  redis = new Redis(falkor.url);
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-cli-stores-'));
  env = { QDRANT_URL: q.url, FALKORDB_URL: falkor.url, ...(q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {}) };
});

afterAll(async () => {
  await dropCollections(q.url, q.apiKey, collections).catch(() => {});
  redis?.disconnect();
  await Promise.all([q?.close(), falkor?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('memarc with Qdrant and FalkorDB', () => {
  it('one export of both servers writes one archive, and one import restores both with equal digests', async () => {
    // Seed both stores from a synthetic archive.
    const seed = path.join(dir, 'seed.memarc');
    const coll = uniqueName('cli_both');
    const graph = `cli_both_${coll.slice(-8)}`;
    collections.push(coll);
    expect((await runCli(['export', '--synthetic', '500', '--dim', '32', '-o', seed], { env })).code).toBe(0);
    const seeded = await runCli(['--json', 'import', seed, '--qdrant', '--falkordb', '--rename', `memories=${coll}`, '--rename', `memory_graph=${graph}`], { env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const seedDigests = new Map((json(seeded.stdout).datasets as Array<{ target: string; digest: string }>).map((d) => [d.target, d.digest]));

    // One export of both servers.
    const both = path.join(dir, 'both.memarc');
    const exp = await runCli(['--json', 'export', '--qdrant', '--falkordb', '--collections', coll, '--graphs', graph, '-o', both], { env });
    expect(exp.code, exp.stderr).toBe(0);
    const ds = json(exp.stdout).datasets as Array<{ name: string; digest: string }>;
    expect(ds.map((d) => d.name).sort()).toEqual([coll, graph].sort());
    for (const d of ds) expect(d.digest).toBe(seedDigests.get(d.name));
    expect(exp.stderr).not.toContain(falkor.password ?? '\u0000never');

    const inspect = await runCli(['--json', 'inspect', both], { env });
    expect((json(inspect.stdout).datasets as Array<{ kind: string }>).map((d) => d.kind).sort()).toEqual(['graph/falkordb', 'vectors/qdrant']);

    // One import restores both, under new names.
    const coll2 = uniqueName('cli_both_r');
    const graph2 = `${graph}_r`;
    collections.push(coll2);
    const imp = await runCli(['--json', 'import', both, '--qdrant', '--falkordb', '--rename', `${coll}=${coll2}`, '--rename', `${graph}=${graph2}`], { env });
    expect(imp.code, imp.stderr).toBe(0);
    const restored = json(imp.stdout).datasets as Array<{ target: string; digest: string }>;
    expect(new Map(restored.map((d) => [d.target, d.digest]))).toEqual(new Map([[coll2, seedDigests.get(coll)], [graph2, seedDigests.get(graph)]]));
    expect(((await redis.call('GRAPH.LIST')) as string[])).toContain(graph2);
  });

  it('migrate streams a collection between servers with the source\'s digest, and refuses an existing target', async () => {
    const seed = path.join(dir, 'mig.memarc');
    const from = uniqueName('cli_mig_from');
    const to = uniqueName('cli_mig_to');
    collections.push(from, to);
    expect((await runCli(['export', '--synthetic', '300', '--dim', '16', '-o', seed], { env })).code).toBe(0);
    const seeded = await runCli(['--json', 'import', seed, '--qdrant', '--rename', `memories=${from}`], { env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const digest = (json(seeded.stdout).datasets as Array<{ digest: string }>)[0]!.digest;

    const mig = await runCli(['--json', 'migrate', '--from', q.url, '--to', q.url, '--collections', from, '--rename', `${from}=${to}`], { env });
    expect(mig.code, mig.stderr).toBe(0);
    const out = json(mig.stdout).datasets as Array<{ target: string; digest: string }>;
    expect(out).toEqual([expect.objectContaining({ target: to, digest })]);

    const again = await runCli(['--json', 'migrate', '--from', q.url, '--to', q.url, '--collections', from, '--rename', `${from}=${to}`], { env });
    expect(again.code).toBe(30);
    expect(json(again.stdout).error.code).toBe('TARGET_EXISTS');
  });

  it('prune keeps the newest by header time, never deletes in a dry run, and ls lists newest first', async () => {
    const sub = await mkdtemp(path.join(dir, 'prune-'));
    for (const name of ['a', 'b', 'c']) {
      expect((await runCli(['export', '--synthetic', '5', '--dim', '4', '-o', path.join(sub, `${name}.memarc`)], { env })).code).toBe(0);
    }
    const ls = await runCli(['--json', 'ls', sub], { env });
    expect((json(ls.stdout).archives as Array<{ name: string }>).map((a) => a.name)).toEqual(['c.memarc', 'b.memarc', 'a.memarc']);
    const dry = await runCli(['--json', 'prune', sub, '--keep', '1', '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect((json(dry.stdout).deleted as Array<{ name: string }>).map((a) => a.name).sort()).toEqual(['a.memarc', 'b.memarc']);
    expect((await readdir(sub)).sort()).toEqual(['a.memarc', 'b.memarc', 'c.memarc']);
    const real = await runCli(['prune', sub, '--keep', '1'], { env });
    expect(real.code, real.stderr).toBe(0);
    expect(await readdir(sub)).toEqual(['c.memarc']);
  });
});
