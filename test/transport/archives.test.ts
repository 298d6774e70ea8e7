import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import { listArchives, parseDuration, pruneArchives, readArchiveHeader, NotAnArchiveError } from '../../src/transport/index.ts';
import type { S3Options } from '../../src/transport/index.ts';
import { isMemarcError } from '../../src/errors.ts';
import { makeArchive } from './fixtures.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const daysAgo = (d: number): string => new Date(NOW - d * DAY).toISOString();

/** Archives named so that name order, mtime order and header order all disagree. */
const SET: Array<{ name: string; ageDays: number }> = [
  { name: 'c.memarc', ageDays: 1 },
  { name: 'a.memarc', ageDays: 3 },
  { name: 'e.memarc', ageDays: 10 },
  { name: 'b.memarc', ageDays: 20 },
  { name: 'd.memarc', ageDays: 40 },
];

describe('parseDuration', () => {
  it('parses units and sums', () => {
    expect(parseDuration('14d')).toBe(14 * DAY);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2w')).toBe(14 * DAY);
    expect(parseDuration('1d12h')).toBe(1.5 * DAY);
    expect(parseDuration(' 1d 6h ')).toBe(1.25 * DAY);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });
  it.each(['', '14', 'd', '14x', '14d-', 'forever', '-1d', '1d 2'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('readArchiveHeader', () => {
  it('reads only the first entry', async () => {
    const data = await makeArchive({ createdAt: daysAgo(1), dataBytes: 3 << 20 });
    let pulled = 0;
    const src = Readable.from((function* () {
      for (let i = 0; i < data.length; i += 64 * 1024) {
        pulled += 64 * 1024;
        yield data.subarray(i, i + 64 * 1024);
      }
    })());
    const h = await readArchiveHeader(src);
    expect(h.createdAt).toBe(daysAgo(1));
    expect(pulled).toBeLessThan(1 << 20);
  });

  it.each([
    ['a tar whose first entry is not header.json', { createdAt: daysAgo(1), firstEntry: 'notes.txt' }, 'first entry is notes.txt'],
    ['a header of another format', { createdAt: daysAgo(1), header: { format: 'other', createdAt: daysAgo(1), datasets: [] } }, 'not "memarc"'],
    ['a header without createdAt', { createdAt: daysAgo(1), header: { format: 'memarc', formatVersion: { major: 1, minor: 0 }, datasets: [] } }, 'createdAt'],
  ])('refuses %s', async (_label, spec, reason) => {
    const err = await readArchiveHeader(Readable.from([await makeArchive(spec)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAnArchiveError);
    expect((err as Error).message).toContain(reason);
  });

  it('refuses plain bytes and an oversized header', async () => {
    await expect(readArchiveHeader(Readable.from([Buffer.from('hello, not a tar file at all'.repeat(40))]))).rejects.toBeInstanceOf(NotAnArchiveError);
    const big = await makeArchive({ createdAt: daysAgo(1), header: { format: 'memarc', createdAt: daysAgo(1), datasets: [], pad: 'x'.repeat(2 << 20) } });
    await expect(readArchiveHeader(Readable.from([big]))).rejects.toThrow('limit');
  });
});

describe('listArchives and pruneArchives on a directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-prune-'));
    for (const [i, a] of SET.entries()) {
      const p = path.join(dir, a.name);
      await writeFile(p, await makeArchive({ createdAt: daysAgo(a.ageDays), seed: a.name }));
      // mtimes in the opposite order to the headers: the oldest header gets the newest mtime.
      const mtime = new Date(NOW - (SET.length - i) * DAY);
      await utimes(p, mtime, mtime);
    }
    await writeFile(path.join(dir, 'notes.txt'), 'not an archive');
    await writeFile(path.join(dir, '.z.memarc.host.123.abcd.partial'), 'half');
    await mkdir(path.join(dir, 'sub'));
  });

  // Each test gets its own directory (beforeEach), so each is removed after its test.
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists archives newest first by header createdAt and skips the rest with reasons', async () => {
    const warnings: string[] = [];
    const res = await listArchives(dir, { onWarning: (m) => warnings.push(m) });
    expect(res.archives.map((a) => a.name)).toEqual(['c.memarc', 'a.memarc', 'e.memarc', 'b.memarc', 'd.memarc']);
    expect(res.archives[0]?.createdAt.toISOString()).toBe(daysAgo(1));
    expect(res.skipped.map((s) => path.basename(s.location)).sort()).toEqual(['.z.memarc.host.123.abcd.partial', 'notes.txt', 'sub']);
    expect(warnings.length).toBe(3);
  });

  it('keep N deletes the older ones; dry-run deletes nothing', async () => {
    const dry = await pruneArchives(dir, { keep: 2, dryRun: true, now: NOW });
    expect(dry.deleted.map((a) => a.name)).toEqual(['e.memarc', 'b.memarc', 'd.memarc']);
    expect((await readdir(dir)).length).toBe(8);

    const res = await pruneArchives(dir, { keep: 2, now: NOW });
    expect(res.kept.map((a) => a.name)).toEqual(['c.memarc', 'a.memarc']);
    expect(res.deleted.map((a) => a.name)).toEqual(['e.memarc', 'b.memarc', 'd.memarc']);
    expect((await readdir(dir)).sort()).toEqual(['.z.memarc.host.123.abcd.partial', 'a.memarc', 'c.memarc', 'notes.txt', 'sub']);
  });

  it('max age deletes what is older; both rules keep the union', async () => {
    const byAge = await pruneArchives(dir, { maxAgeMs: parseDuration('14d'), dryRun: true, now: NOW });
    expect(byAge.deleted.map((a) => a.name)).toEqual(['b.memarc', 'd.memarc']);
    // keep 1 alone would delete four; 14d alone two; together only what both would delete.
    const both = await pruneArchives(dir, { keep: 4, maxAgeMs: parseDuration('2d'), now: NOW });
    expect(both.deleted.map((a) => a.name)).toEqual(['d.memarc']);
    expect((await readdir(dir)).filter((n) => n.endsWith('.memarc')).sort()).toEqual(['a.memarc', 'b.memarc', 'c.memarc', 'e.memarc']);
  });

  it('never deletes the newest archive, even when all are too old', async () => {
    const res = await pruneArchives(dir, { maxAgeMs: parseDuration('12h'), now: NOW });
    expect(res.kept.map((a) => a.name)).toEqual(['c.memarc']);
    expect(res.deleted.length).toBe(4);
  });

  it('refuses a prune without a rule or with keep < 1', async () => {
    expect(isMemarcError(await pruneArchives(dir, {}).catch((e: unknown) => e), 'USAGE')).toBe(true);
    expect(isMemarcError(await pruneArchives(dir, { keep: 0 }).catch((e: unknown) => e), 'USAGE')).toBe(true);
    expect((await readdir(dir)).length).toBe(8);
  });
});

describe('listArchives and pruneArchives on an S3 prefix', () => {
  let minio: Minio;
  let bucket: string;
  let s3: S3Options;

  beforeAll(async () => {
    minio = await startMinio();
    bucket = await minio.bucket('prune');
    s3 = { endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey } };
    // Uploaded oldest header last, so LastModified order is the opposite of header order.
    for (const a of SET) {
      await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: `backups/${a.name}`, Body: await makeArchive({ createdAt: daysAgo(a.ageDays), dataBytes: 6 << 20, seed: a.name }) }));
    }
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/readme.txt', Body: 'not an archive' }));
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/deeper/x.memarc', Body: await makeArchive({ createdAt: daysAgo(99) }) }));
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups-old/y.memarc', Body: await makeArchive({ createdAt: daysAgo(99) }) }));
  });
  afterAll(async () => {
    await minio?.stop();
  });

  async function keys(): Promise<string[]> {
    const res = await minio.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (res.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  it('lists by header time, not by key or upload time, folder by folder', async () => {
    const res = await listArchives(`s3://${bucket}/backups`, { s3 });
    expect(res.archives.map((a) => a.name)).toEqual(['c.memarc', 'a.memarc', 'e.memarc', 'b.memarc', 'd.memarc']);
    expect(res.archives[0]?.location).toBe(`s3://${bucket}/backups/c.memarc`);
    expect(res.skipped.map((s) => s.location)).toEqual([`s3://${bucket}/backups/readme.txt`]);
  });

  it('prunes by count and age with dry-run first', async () => {
    const dry = await pruneArchives(`s3://${bucket}/backups/`, { s3, keep: 1, maxAgeMs: parseDuration('14d'), dryRun: true, now: NOW });
    expect(dry.deleted.map((a) => a.name)).toEqual(['b.memarc', 'd.memarc']);
    expect((await keys()).length).toBe(8);
    const res = await pruneArchives(`s3://${bucket}/backups/`, { s3, keep: 1, maxAgeMs: parseDuration('14d'), now: NOW });
    expect(res.deleted.map((a) => a.location)).toEqual([`s3://${bucket}/backups/b.memarc`, `s3://${bucket}/backups/d.memarc`]);
    expect(await keys()).toEqual([
      'backups-old/y.memarc',
      'backups/a.memarc',
      'backups/c.memarc',
      'backups/deeper/x.memarc',
      'backups/e.memarc',
      'backups/readme.txt',
    ]);
  });
});
