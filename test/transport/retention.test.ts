/**
 * ls and prune read each archive's end: a truncated archive (an interrupted `export -o - > file`)
 * is incomplete, never counts toward --keep, never pushes the newest complete archive out, and is
 * deleted only with --delete-incomplete. Locally (the CLI) and on MinIO (the library).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { open, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArchives, pruneArchives } from '../../src/transport/index.ts';
import { archiveCompleteness } from '../../src/transport/tail.ts';
import { startMinio, type Minio } from '../helpers/minio.ts';
import { CLI, ROOT, runCli } from '../helpers/run-cli.ts';

let dir: string;
let older: Buffer;
let complete: Buffer;
let cut: Buffer;

/** `memarc export -o - > file`, killed once the file holds `bytes` bytes: a real interrupted export. */
async function interruptedExport(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'w');
  const child = spawn(process.execPath, [CLI, 'export', '--synthetic', '1000000', '--dim', '64', '-o', '-'], { cwd: ROOT, stdio: ['ignore', fh.fd, 'ignore'] });
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + 60_000;
    while ((await stat(file)).size < bytes) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the export did not write enough before the deadline');
      await delay(20);
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
    await fh.close();
  }
}

const json = (b: Buffer) => JSON.parse(b.toString()) as Record<string, any>;
const names = (list: Array<{ name: string }>) => list.map((a) => a.name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-retention-'));
  for (const name of ['a-older.memarc', 'b-complete.memarc']) {
    const r = await runCli(['export', '--synthetic', '40', '--dim', '8', '-o', path.join(dir, name)]);
    expect(r.code, r.stderr).toBe(0);
    await delay(5); // distinct createdAt
  }
  await interruptedExport(path.join(dir, 'c-cut.memarc'), 256 * 1024);
  older = await readFile(path.join(dir, 'a-older.memarc'));
  complete = await readFile(path.join(dir, 'b-complete.memarc'));
  cut = await readFile(path.join(dir, 'c-cut.memarc'));
}, 90_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('archiveCompleteness reads only the end', () => {
  const check = (b: Buffer, window?: number, headerSha256?: string) =>
    archiveCompleteness(b.length, async (s, e) => b.subarray(s, e), { ...(window ? { window } : {}), ...(headerSha256 ? { headerSha256 } : {}) });

  it('a finished export is complete, also with extra zero blocks and when the trailer lies beyond the first window', async () => {
    expect((await check(complete)).complete).toBe(true);
    expect((await check(Buffer.concat([complete, Buffer.alloc(10 * 512)]))).complete).toBe(true);
    expect((await check(complete, 1024)).complete).toBe(true);
  });

  it.each([
    ['the interrupted export', () => cut],
    ['a cut at a block boundary', () => complete.subarray(0, complete.length - 4096)],
    ['no end-of-archive marker', () => complete.subarray(0, complete.length - 1024)],
    ['half an end-of-archive marker', () => complete.subarray(0, complete.length - 512)],
    ['a cut one byte short', () => complete.subarray(0, complete.length - 1)],
    ['a cut mid-archive padded with zero blocks', () => Buffer.concat([complete.subarray(0, 4096), Buffer.alloc(1024)])],
  ])('%s is incomplete, with a reason', async (_label, make) => {
    const r = await check(make());
    expect(r.complete).toBe(false);
    if (!r.complete) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('an archive whose start belongs to another archive is incomplete', async () => {
    const joined = Buffer.concat([older.subarray(0, 2048), complete]);
    expect((await check(joined, undefined, headerSha256(complete))).complete).toBe(true);
    const r = await check(joined, undefined, headerSha256(older));
    expect(r).toMatchObject({ complete: false, reason: expect.stringContaining('another header.json') });
  });
});

/** SHA-256 of an archive's first entry (header.json, a plain ustar entry). */
function headerSha256(archive: Buffer): string {
  const size = parseInt(archive.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim(), 8);
  return createHash('sha256').update(archive.subarray(512, 512 + size)).digest('hex');
}

describe('ls and prune on a directory (the CLI)', () => {
  it('ls shows each archive complete or incomplete', async () => {
    const r = await runCli(['--json', 'ls', dir]);
    expect(r.code, r.stderr).toBe(0);
    const archives = json(r.stdout).archives as Array<{ name: string; complete: boolean; incompleteReason?: string }>;
    expect(archives.map((a) => [a.name, a.complete])).toEqual([['c-cut.memarc', false], ['b-complete.memarc', true], ['a-older.memarc', true]]);
    expect(archives[0]!.incompleteReason).toBeTruthy();
    const text = await runCli(['ls', dir]);
    expect(text.stdout.toString()).toMatch(/INCOMPLETE.*c-cut\.memarc/);
    expect(text.stdout.toString()).toMatch(/complete .*b-complete\.memarc/);
  });

  it('prune --keep 1 keeps the newest complete archive, not the newer truncated one, and leaves the truncated one alone', async () => {
    const r = await runCli(['--json', 'prune', dir, '--keep', '1']);
    expect(r.code, r.stderr).toBe(0);
    const res = json(r.stdout);
    expect(names(res.kept)).toEqual(['b-complete.memarc']);
    expect(names(res.deleted)).toEqual(['a-older.memarc']);
    expect(names(res.incomplete)).toEqual(['c-cut.memarc']);
    expect((await readdir(dir)).sort()).toEqual(['b-complete.memarc', 'c-cut.memarc']);
  });

  it('prune --delete-incomplete deletes the truncated archive, never the newest complete one', async () => {
    const r = await runCli(['--json', 'prune', dir, '--keep', '1', '--max-age', '1s', '--delete-incomplete']);
    expect(r.code, r.stderr).toBe(0);
    expect(names(json(r.stdout).deleted)).toEqual(['c-cut.memarc']);
    expect(await readdir(dir)).toEqual(['b-complete.memarc']);
  });
});

describe('ls and prune on an S3 prefix (ranged GET of the tail)', () => {
  let minio: Minio;
  let bucket: string;
  let s3: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  beforeAll(async () => {
    minio = await startMinio();
    bucket = await minio.bucket('retention');
    s3 = { endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey } };
    for (const [name, body] of [['a-older.memarc', older], ['b-complete.memarc', complete], ['c-cut.memarc', cut]] as const) {
      await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: `backups/${name}`, Body: body }));
    }
  }, 60_000);
  afterAll(async () => {
    await minio?.stop();
  });

  it('classifies, keeps the newest complete archive, and deletes incomplete ones only when asked', async () => {
    const listed = await listArchives(`s3://${bucket}/backups/`, { s3 });
    expect(listed.archives.map((a) => [a.name, a.complete])).toEqual([['c-cut.memarc', false], ['b-complete.memarc', true], ['a-older.memarc', true]]);
    const res = await pruneArchives(`s3://${bucket}/backups/`, { s3, keep: 1 });
    expect(names(res.kept)).toEqual(['b-complete.memarc']);
    expect(names(res.deleted)).toEqual(['a-older.memarc']);
    expect(names(res.incomplete)).toEqual(['c-cut.memarc']);
    const again = await pruneArchives(`s3://${bucket}/backups/`, { s3, keep: 1, deleteIncomplete: true });
    expect(names(again.deleted)).toEqual(['c-cut.memarc']);
    const left = await minio.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual(['backups/b-complete.memarc']);
  });
});
