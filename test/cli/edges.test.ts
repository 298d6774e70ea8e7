/**
 * The edges of the CLI a user meets first: a terminal on stdout, mistyped numbers, credentials in
 * URLs, a reader that goes away (`| head`), and migrate between servers with different keys.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { startQdrantEmulator, type RunningEmulator } from '../qdrant-emulator/index.ts';
import { CLI, ROOT, runCli } from '../helpers/run-cli.ts';

let dir: string;
let seed: string;
const json = (out: Buffer) => JSON.parse(out.toString()) as Record<string, any>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-cli-edges-'));
  seed = path.join(dir, 'seed.memarc');
  const r = await runCli(['export', '--synthetic', '300', '--dim', '8', '-o', seed]);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('no archive to a terminal', () => {
  it('export with stdout on a terminal refuses with exit 2 and a hint, as gzip does', () => {
    // script(1) gives the command a pseudo-terminal as stdout; -e returns the command's exit code.
    const cmd = [process.execPath, CLI, 'export', '--synthetic', '5', '--dim', '4'].map(sh).join(' ');
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: ROOT, encoding: 'latin1', timeout: 60_000 });
    expect(r.status, r.stdout).toBe(2);
    expect(r.stdout).toContain('refusing to write an archive to a terminal');
    expect(r.stdout).toContain('hint:');
    expect(r.stdout).not.toContain('header.json'); // no tar bytes reached the terminal
  });

  it('export -o - to a pipe still writes the archive', async () => {
    const r = await runCli(['export', '--synthetic', '5', '--dim', '4', '-o', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.subarray(0, 11).toString()).toBe('header.json');
  });
});

describe('numeric options are validated', () => {
  it.each([
    [['export', '--synthetic', '5', '--queue-size', 'abc', '-o', 's3://b/k.memarc'], '--queue-size'],
    [['export', '--synthetic', '5', '--queue-size', '0', '-o', 's3://b/k.memarc'], '--queue-size'],
    [['export', '--synthetic', '5', '--part-size', '1MiB', '-o', 's3://b/k.memarc'], '--part-size'],
    [['export', '--synthetic', '5', '--gzip-level', '11', '-o', 'x.memarc'], '--gzip-level'],
    [['export', '--synthetic', '5', '--shard-max-records', '0', '-o', 'x.memarc'], '--shard-max-records'],
    [['export', '--synthetic', '5', '--shard-max-bytes', '8 parsecs', '-o', 'x.memarc'], '--shard-max-bytes'],
    [['export', '--synthetic', '1e3', '-o', 'x.memarc'], '--synthetic'],
    [['export', '--synthetic', '5', '--dim', '0', '-o', 'x.memarc'], '--dim'],
    [['verify', 'x.memarc', '--max-shard-bytes', 'lots'], '--max-shard-bytes'],
    [['prune', '.', '--keep', '-1'], '--keep'],
    [['prune', '.', '--keep', 'two'], '--keep'],
    [['demo', '--count', '3.5'], '--count'],
  ])('%j is a USAGE error naming %s', async (args, option) => {
    const r = await runCli(['--json', ...args], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    const err = json(r.stdout).error as { code: string; message: string };
    expect(err.code).toBe('USAGE');
    expect(err.message).toContain(option);
  });
});

describe('credentials in URLs never reach the archive', () => {
  let q: RunningEmulator;
  beforeAll(async () => {
    q = await startQdrantEmulator();
    const r = await runCli(['import', seed, '--qdrant', q.url]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await q?.close();
  });

  it('a token in the user part of the Qdrant URL is not in the header written by export', async () => {
    const token = 'tok3n-1n-th3-us3r-part';
    const withToken = q.url.replace('http://', `http://${token}@`);
    const file = path.join(dir, 'redacted.memarc');
    const r = await runCli(['--json', 'export', '--qdrant', withToken, '--collections', 'memories', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout.toString()).not.toContain(token);
    const bytes = await readFile(file);
    expect(bytes.includes(token)).toBe(false);
    const inspected = await runCli(['--json', 'inspect', file]);
    const sources = (json(inspected.stdout).header.datasets as Array<{ source: { url: string } }>).map((d) => d.source.url);
    expect(sources).toEqual([`${q.url.replace('http://', 'http://***@')}/`]);
  });
});

describe('migrate gets each server its own key', () => {
  let from: RunningEmulator;
  let to: RunningEmulator;
  beforeAll(async () => {
    [from, to] = await Promise.all([startQdrantEmulator({ apiKey: 'source-key-1' }), startQdrantEmulator({ apiKey: 'target-key-2' })]);
    const r = await runCli(['import', seed, '--qdrant', from.url], { env: { QDRANT_API_KEY: 'source-key-1' } });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await Promise.all([from?.close(), to?.close()]);
  });

  it('MEMARC_FROM_QDRANT_API_KEY and MEMARC_TO_QDRANT_API_KEY go to their own server', async () => {
    const env = { QDRANT_API_KEY: 'neither', MEMARC_FROM_QDRANT_API_KEY: 'source-key-1', MEMARC_TO_QDRANT_API_KEY: 'target-key-2' };
    const r = await runCli(['--json', 'migrate', '--from', from.url, '--to', to.url, '--collections', 'memories'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((json(r.stdout).datasets as Array<{ target: string }>).map((d) => d.target)).toEqual(['memories']);
  });

  it('each side falls back to QDRANT_API_KEY: a wrong target key is AUTH_FAILED', async () => {
    const env = { QDRANT_API_KEY: 'wrong', MEMARC_FROM_QDRANT_API_KEY: 'source-key-1' };
    const r = await runCli(['--json', 'migrate', '--from', from.url, '--to', to.url, '--collections', 'memories', '--if-exists', 'replace'], { env });
    expect(json(r.stdout).error.code).toBe('AUTH_FAILED');
    expect(r.stderr).not.toContain('source-key-1');
  });
});

describe('migrate between FalkorDB servers with passwords from the environment', () => {
  let falkor: FalkorServer;
  beforeAll(async () => {
    falkor = await startFalkorDB({ password: 'falkor-pw-77' });
    const r = await runCli(['import', seed, '--falkordb'], { env: { FALKORDB_URL: falkor.url } });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await falkor?.stop();
  });

  it('MEMARC_FROM_FALKORDB_PASSWORD and MEMARC_TO_FALKORDB_PASSWORD reach each side, and appear nowhere', async () => {
    const bare = `redis://127.0.0.1:${falkor.port}`;
    const denied = await runCli(['--json', 'migrate', '--from', bare, '--to', bare, '--graphs', 'memory_graph', '--rename', 'memory_graph=copied'], { env: { MEMARC_FROM_FALKORDB_PASSWORD: '' } });
    expect(json(denied.stdout).error.code).toBe('AUTH_FAILED');
    const env = { MEMARC_FROM_FALKORDB_PASSWORD: 'falkor-pw-77', MEMARC_TO_FALKORDB_PASSWORD: 'falkor-pw-77' };
    const r = await runCli(['--json', 'migrate', '--from', bare, '--to', bare, '--graphs', 'memory_graph', '--rename', 'memory_graph=copied'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((json(r.stdout).datasets as Array<{ target: string }>).map((d) => d.target)).toEqual(['copied']);
    expect(r.stdout.toString() + r.stderr).not.toContain('falkor-pw-77');
  });
});

describe('a reader that goes away (export -o - | head)', () => {
  let falkor: FalkorServer;
  let redis: Redis;
  beforeAll(async () => {
    falkor = await startFalkorDB();
    redis = new Redis(falkor.url);
    const r = await runCli(['import', seed, '--falkordb', falkor.url]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    redis?.disconnect();
    await falkor?.stop();
  });

  it('exits 141 after the normal abort and close path: the FalkorDB source deletes its temporary copy', async () => {
    const child = spawn(process.execPath, [CLI, 'export', '--falkordb', falkor.url, '-o', '-'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first byte: the header's write fails with EPIPE, after the
    // source made its point-in-time copy of the graph.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = await once(child, 'exit');
    expect(code, stderr).toBe(141);
    expect(stderr).not.toContain('internal error');
    const graphs = (await redis.call('GRAPH.LIST')) as string[];
    expect(graphs).toContain('memory_graph');
    expect(graphs.filter((g) => g.startsWith('memarc_tmp_'))).toEqual([]);
  });
});
