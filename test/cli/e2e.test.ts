/**
 * The CLI end to end, as an operator runs it: real processes, real MinIO, the Qdrant emulator (or
 * a real Qdrant with QDRANT_URL). Archives go to S3 and come back, stream through pipes, and an
 * interrupted export leaves nothing behind, neither a file nor a multipart upload.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, type Minio } from '../helpers/minio.ts';
import * as checks from '../helpers/s3-checks.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { CLI, ROOT, runCli } from '../helpers/run-cli.ts';

let minio: Minio;
let q: QdrantTarget;
let bucket: string;
let dir: string;
const collections: string[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [minio, q] = await Promise.all([startMinio(), qdrantTarget()]);
  bucket = await minio.bucket('memarc-e2e');
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-e2e-'));
  env = {
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
    AWS_REGION: minio.region,
    AWS_ENDPOINT_URL_S3: minio.endpoint,
    QDRANT_URL: q.url,
    ...(q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {}),
  };
});

afterAll(async () => {
  await dropCollections(q.url, q.apiKey, collections).catch(() => {});
  await Promise.all([minio?.stop(), q?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const json = (out: Buffer) => JSON.parse(out.toString()) as Record<string, any>;
const s3 = (key: string) => `s3://${bucket}/${key}`;

const uploadsLeft = async (key: string) => (await checks.uploads(minio.client, bucket, key)).length;
const objectExists = (key: string) => checks.objectExists(minio.client, bucket, key);

describe('memarc through S3', () => {
  it('exports to s3://, verifies and imports from s3:// with no local copy, with equal digests, across several parts', async () => {
    const key = 'round/trip.memarc';
    const exp = await runCli(['--json', 'export', '--synthetic', '6000', '--dim', '512', '--part-size', '5MiB', '-o', s3(key)], { env });
    expect(exp.code, exp.stderr).toBe(0);
    const exported = json(exp.stdout);
    expect(exported.totals.bytes).toBeGreaterThan(2 * 5 * 1024 * 1024); // more than two 5 MiB parts
    const digests = Object.fromEntries((exported.datasets as Array<{ name: string; digest: string }>).map((d) => [d.name, d.digest]));

    const ver = await runCli(['--json', 'verify', s3(key)], { env });
    expect(ver.code, ver.stderr).toBe(0);
    for (const d of json(ver.stdout).datasets as Array<{ name: string; digest: string; digestVerified: boolean }>) {
      expect(d.digestVerified).toBe(true);
      expect(d.digest).toBe(digests[d.name]);
    }

    const target = uniqueName('e2e_s3');
    collections.push(target);
    const imp = await runCli(['--json', 'import', s3(key), '--qdrant', '--rename', `memories=${target}`], { env });
    expect(imp.code, imp.stderr).toBe(0);
    const restored = json(imp.stdout).datasets as Array<{ dataset: string; target: string; digest: string }>;
    expect(restored).toHaveLength(1);
    expect(restored[0]!.target).toBe(target);
    expect(restored[0]!.digest).toBe(digests.memories);
    expect(json(imp.stdout).skipped).toEqual(['memory_graph']); // no --falkordb target was given

    const ls = await runCli(['--json', 'ls', `s3://${bucket}/round/`], { env });
    expect(ls.code, ls.stderr).toBe(0);
    expect((json(ls.stdout).archives as Array<{ location: string }>).map((a) => a.location)).toEqual([s3(key)]);
  });

  it('SIGINT during an export to s3:// exits 130 and leaves no object and no multipart upload', async () => {
    const key = 'interrupted/big.memarc';
    const child = spawn(process.execPath, [CLI, 'export', '--synthetic', '400000', '--part-size', '5MiB', '-o', s3(key)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Interrupt once the first part is under way.
    for (let i = 0; i < 200 && (await uploadsLeft(key)) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await uploadsLeft(key)).toBe(1);
    child.kill('SIGINT');
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('INTERRUPTED');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await uploadsLeft(key)).toBe(0);
    expect(await objectExists(key)).toBe(false);
  });
});

describe('memarc through pipes and files', () => {
  it('export -o - | import - restores with the archive\'s digest', async () => {
    const target = uniqueName('e2e_pipe');
    collections.push(target);
    const cmd = `set -o pipefail; node ${JSON.stringify(CLI)} export --synthetic 1500 --dim 64 -o - | node ${JSON.stringify(CLI)} --json import - --qdrant --rename memories=${target}`;
    const res = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn('bash', ['-c', cmd], { cwd: ROOT, env: { ...process.env, ...env } });
      let out = '';
      let err = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr.on('data', (b: Buffer) => (err += b.toString()));
      c.on('close', (code) => resolve({ code, out, err }));
    });
    expect(res.code, res.err).toBe(0);
    const file = path.join(dir, 'same.memarc');
    const exp = await runCli(['--json', 'export', '--synthetic', '1500', '--dim', '64', '-o', file], { env });
    const expected = (json(exp.stdout).datasets as Array<{ name: string; digest: string }>).find((d) => d.name === 'memories')!.digest;
    expect((JSON.parse(res.out).datasets as Array<{ digest: string }>)[0]!.digest).toBe(expected);
  });

  it('export -o - | head ends the export with exit 141 and no stack trace', async () => {
    const res = await new Promise<{ status: string; err: string }>((resolve) => {
      const c = spawn('bash', ['-c', `node ${JSON.stringify(CLI)} export --synthetic 50000 --dim 64 -o - | head -c 1000 > /dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: ROOT, env: { ...process.env, ...env } });
      let out = '';
      let err = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr.on('data', (b: Buffer) => (err += b.toString()));
      c.on('close', () => resolve({ status: out.trim(), err }));
    });
    expect(res.status).toBe('141');
    expect(res.err).not.toMatch(/\n\s+at /);
  });

  it('SIGINT during an export to a file exits 130 and leaves neither the file nor a temporary one', async () => {
    const sub = await mkdtemp(path.join(dir, 'sigint-'));
    const file = path.join(sub, 'backup.memarc');
    const child = spawn(process.execPath, [CLI, 'export', '--synthetic', '400000', '-o', file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    for (let i = 0; i < 100 && (await readdir(sub)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await readdir(sub)).length).toBe(1); // the temporary file exists while writing
    child.kill('SIGINT');
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, stderr).toBe(130);
    expect(await readdir(sub)).toEqual([]);
  });

  it('refuses to overwrite an archive without --force, and overwrites with it', async () => {
    const file = path.join(dir, 'exists.memarc');
    expect((await runCli(['export', '--synthetic', '10', '--dim', '4', '-o', file], { env })).code).toBe(0);
    const again = await runCli(['--json', 'export', '--synthetic', '10', '--dim', '4', '-o', file], { env });
    expect(again.code).toBe(40);
    expect(json(again.stdout).error.code).toBe('DESTINATION_EXISTS');
    expect((await runCli(['export', '--synthetic', '10', '--dim', '4', '-o', file, '--force'], { env })).code).toBe(0);
  });
});
