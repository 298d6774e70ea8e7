/**
 * The CLI with Postgres: one archive holds one system's Postgres tables, Qdrant collection and
 * FalkorDB graph (`memarc export --postgres --qdrant --falkordb`), one import restores all three
 * with equal digests, and a password reaches neither the archive nor any output.
 */
import { Redis } from 'ioredis';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { runCli } from '../helpers/run-cli.ts';
import { createNovamem, FIXTURE_TABLES } from './fixture.ts';

const PASSWORD = 'pg-s3cret-Zq7';

let q: QdrantTarget;
let falkor: FalkorServer;
let pgs: PostgresServer;
let redis: Redis;
let dir: string;
const collections: string[] = [];
const json = (out: Buffer) => JSON.parse(out.toString()) as Record<string, any>;

/** The URL with a password in it (the test server trusts loopback, so any password is accepted). */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

beforeAll(async () => {
  [q, falkor, pgs] = await Promise.all([qdrantTarget(), startFalkorDB(), startPostgres()]);
  redis = new Redis(falkor.url);
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-cli-pg-'));
});

afterAll(async () => {
  await dropCollections(q.url, q.apiKey, collections).catch(() => {});
  redis?.disconnect();
  await Promise.all([q?.close(), falkor?.stop(), pgs?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('memarc with Postgres, Qdrant and FalkorDB', () => {
  it('one archive of one system: exported together, restored together, equal digests, no password anywhere', async () => {
    const env = { QDRANT_URL: q.url, FALKORDB_URL: falkor.url, PGPASSWORD: PASSWORD, ...(q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {}) };
    const src = await pgs.database('sys');
    await createNovamem(src, { memories: 120 });
    const coll = uniqueName('sys');
    const graph = `sys_${coll.slice(-8)}`;
    collections.push(coll);
    const seed = path.join(dir, 'seed.memarc');
    expect((await runCli(['export', '--synthetic', '200', '--dim', '16', '-o', seed], { env })).code).toBe(0);
    const seeded = await runCli(['import', seed, '--qdrant', '--falkordb', '--rename', `memories=${coll}`, '--rename', `memory_graph=${graph}`], { env });
    expect(seeded.code, seeded.stderr).toBe(0);

    const archive = path.join(dir, 'system.memarc');
    const exp = await runCli(['--json', 'export', '--postgres', withPassword(src), '--qdrant', '--falkordb', '--collections', coll, '--graphs', graph, '-o', archive], { env });
    expect(exp.code, exp.stderr).toBe(0);
    const exported = json(exp.stdout).datasets as Array<{ name: string; digest: string }>;
    expect(exported.map((d) => d.name).sort()).toEqual([...FIXTURE_TABLES, coll, graph].sort());
    const bytes = await readFile(archive);
    for (const text of [bytes.toString('latin1'), exp.stdout.toString(), exp.stderr]) expect(text).not.toContain(PASSWORD);

    const inspect = await runCli(['--json', 'inspect', archive]);
    expect(new Set((json(inspect.stdout).datasets as Array<{ kind: string }>).map((d) => d.kind))).toEqual(new Set(['table/postgres', 'vectors/qdrant', 'graph/falkordb']));

    // Into fresh targets: another database, another collection and graph name.
    const dst = await pgs.database('restored');
    const coll2 = `${coll}_2`;
    collections.push(coll2);
    const imp = await runCli(['--json', 'import', archive, '--postgres', withPassword(dst), '--qdrant', '--falkordb', '--rename', `${coll}=${coll2}`, '--rename', `${graph}=${graph}_2`], { env });
    expect(imp.code, imp.stderr).toBe(0);
    for (const text of [imp.stdout.toString(), imp.stderr]) expect(text).not.toContain(PASSWORD);
    const restored = new Map((json(imp.stdout).datasets as Array<{ dataset: string; digest: string }>).map((d) => [d.dataset, d.digest]));
    for (const d of exported) expect(restored.get(d.name), d.name).toBe(d.digest);

    // And the restored database exports to the same digests again.
    const again = path.join(dir, 'again.memarc');
    const exp2 = await runCli(['--json', 'export', '--postgres', dst, '-o', again], { env });
    expect(exp2.code, exp2.stderr).toBe(0);
    const second = new Map((json(exp2.stdout).datasets as Array<{ name: string; digest: string }>).map((d) => [d.name, d.digest]));
    for (const d of exported.filter((x) => FIXTURE_TABLES.includes(x.name))) expect(second.get(d.name), d.name).toBe(d.digest);
  });

  it('DATABASE_URL serves a bare --postgres, and an unreachable server fails with CONNECTION_FAILED without the password', async () => {
    const src = await pgs.database('bare');
    await createNovamem(src, { memories: 10, dim: 4 });
    const out = path.join(dir, 'bare.memarc');
    const ok = await runCli(['--json', 'export', '--postgres', '--tables', 'users,projects', '-o', out], { env: { DATABASE_URL: withPassword(src) } });
    expect(ok.code, ok.stderr).toBe(0);
    expect((json(ok.stdout).datasets as Array<{ name: string }>).map((d) => d.name).sort()).toEqual(['projects', 'users']);
    expect((await readFile(out)).toString('latin1')).not.toContain(PASSWORD);

    const dead = new URL(withPassword(src));
    dead.port = '1';
    const bad = await runCli(['export', '--postgres', dead.toString(), '--pg-timeout', '5', '-o', path.join(dir, 'never.memarc')]);
    expect(bad.code).toBe(32);
    expect(bad.stderr).toMatch(/CONNECTION_FAILED/);
    expect(bad.stderr).not.toContain(PASSWORD);
  });
});
