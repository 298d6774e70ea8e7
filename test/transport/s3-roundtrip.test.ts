import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import { openInput, openOutput } from '../../src/transport/index.ts';
import type { S3Options } from '../../src/transport/index.ts';
import { isMemarcError } from '../../src/errors.ts';
import { chunked, makeArchive, sha256 } from './fixtures.ts';

const MIB = 1024 * 1024;
let minio: Minio;
let bucket: string;
let s3: S3Options;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('roundtrip');
  s3 = { endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }, partSize: 5 * MIB, queueSize: 2 };
});
afterAll(async () => {
  await minio?.stop();
});

async function upload(key: string, data: Buffer, extra: { expectedSize?: number; s3?: S3Options; force?: boolean } = {}): Promise<void> {
  const out = await openOutput(`s3://${bucket}/${key}`, { s3: extra.s3 ?? s3, expectedSize: extra.expectedSize, force: extra.force });
  await pipeline(chunked(data, 64 * 1024 + 3), out.stream);
  await out.commit();
}

async function download(key: string, opts: S3Options = s3): Promise<Buffer> {
  return buffer(await openInput(`s3://${bucket}/${key}`, { s3: opts }));
}

async function head(key: string) {
  return minio.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

async function openUploads(prefix = ''): Promise<number> {
  const res = await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return res.Uploads?.length ?? 0;
}

describe('S3 round trips through MinIO', () => {
  it('uploads an archive of several parts with unknown size and reads back identical bytes', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 12 * MIB, seed: 'rt1' });
    await upload('backups/a.memarc', data);
    const h = await head('backups/a.memarc');
    // A multipart ETag is "<md5 of part md5s>-<number of parts>": 12 MiB in 5 MiB parts is 3 parts.
    expect(h.ETag).toMatch(/-3"$/);
    expect(h.ContentLength).toBe(data.length);
    expect(sha256(await download('backups/a.memarc'))).toBe(sha256(data));
    expect(await openUploads('backups/')).toBe(0);
  });

  it('uses a fixed part size chosen from expectedSize', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 11 * MIB, seed: 'rt2' });
    await upload('backups/known.memarc', data, { expectedSize: data.length });
    expect((await head('backups/known.memarc')).ETag).toMatch(/-3"$/);
    expect(sha256(await download('backups/known.memarc'))).toBe(sha256(data));
  });

  it('sends a body smaller than one part with a single PutObject', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 300_000, seed: 'rt3' });
    await upload('backups/small.memarc', data);
    expect((await head('backups/small.memarc')).ETag).not.toContain('-');
    expect(sha256(await download('backups/small.memarc'))).toBe(sha256(data));
  });

  it('uploads and downloads an empty body without hanging', async () => {
    const out = await openOutput(`s3://${bucket}/empty.bin`, { s3 });
    out.stream.end();
    await out.commit();
    expect((await head('empty.bin')).ContentLength).toBe(0);
    expect((await download('empty.bin')).length).toBe(0);
  }, 20_000);

  it('makes nothing visible before commit()', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 7 * MIB, seed: 'rt4' });
    const out = await openOutput(`s3://${bucket}/pending.memarc`, { s3 });
    await pipeline(chunked(data, 1 << 20), out.stream);
    await expect(head('pending.memarc')).rejects.toMatchObject({ name: 'NotFound' });
    await out.commit();
    expect((await head('pending.memarc')).ContentLength).toBe(data.length);
  });

  it('refuses to overwrite an existing object unless force is given', async () => {
    const first = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', seed: 'f1' });
    const second = await makeArchive({ createdAt: '2026-01-02T00:00:00Z', seed: 'f2' });
    await upload('exists.memarc', first);
    const err = await openOutput(`s3://${bucket}/exists.memarc`, { s3 }).catch((e: unknown) => e);
    expect(isMemarcError(err, 'DESTINATION_EXISTS')).toBe(true);
    await upload('exists.memarc', second, { force: true });
    expect(sha256(await download('exists.memarc'))).toBe(sha256(second));
  });

  it('refuses at commit when another writer created the key during the upload', async () => {
    const mine = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 6 * MIB, seed: 'race1' });
    const theirs = await makeArchive({ createdAt: '2026-01-03T00:00:00Z', seed: 'race2' });
    const out = await openOutput(`s3://${bucket}/race.memarc`, { s3 });
    await pipeline(chunked(mine, 1 << 20), out.stream);
    await upload('race.memarc', theirs);
    const err = await out.commit().catch((e: unknown) => e);
    expect(isMemarcError(err, 'DESTINATION_EXISTS')).toBe(true);
    expect(sha256(await download('race.memarc'))).toBe(sha256(theirs));
    expect(await openUploads('race.memarc')).toBe(0);
  });

  it('applies server-side encryption and storage class', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 6 * MIB, seed: 'sse' });
    await upload('sse.memarc', data, { s3: { ...s3, sse: 'AES256', storageClass: 'REDUCED_REDUNDANCY' } });
    const h = await head('sse.memarc');
    expect(h.ServerSideEncryption).toBe('AES256');
    expect(h.StorageClass).toBe('REDUCED_REDUNDANCY');
    expect(sha256(await download('sse.memarc'))).toBe(sha256(data));
  });

  it('takes the endpoint and credentials from the standard AWS environment variables', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: minio.endpoint,
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
      AWS_REGION: minio.region,
    });
    try {
      const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', seed: 'env' });
      await upload('env.memarc', data, { s3: {} });
      expect(sha256(await download('env.memarc', {}))).toBe(sha256(data));
    } finally {
      process.env = saved;
    }
  });

  it('reports bad credentials as AUTH_FAILED without the secret in the message', async () => {
    const secret = 'wrong-secret-value-123456';
    const bad: S3Options = { ...s3, credentials: { accessKeyId: minio.accessKey, secretAccessKey: secret } };
    const err = await openOutput(`s3://${bucket}/denied.memarc`, { s3: bad }).catch((e: unknown) => e);
    expect(isMemarcError(err, 'AUTH_FAILED')).toBe(true);
    const text = JSON.stringify((err as Error & { toJSON(): unknown }).toJSON()) + String((err as Error).cause);
    expect(text).not.toContain(secret);
    const readErr = await download('a-missing-key', bad).catch((e: unknown) => e);
    expect(isMemarcError(readErr, 'AUTH_FAILED')).toBe(true);
  });

  it('reports a missing object as NOT_FOUND', async () => {
    const err = await download('does/not/exist.memarc').catch((e: unknown) => e);
    expect(isMemarcError(err, 'NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain(`s3://${bucket}/does/not/exist.memarc`);
  });

  it('streams a download with backpressure (the reader controls the pace)', async () => {
    const data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 8 * MIB, seed: 'bp' });
    await upload('bp.memarc', data);
    const input = await openInput(`s3://${bucket}/bp.memarc`, { s3 });
    // Read one chunk, then stop: the stream must not have pulled the whole object into memory.
    const it = input[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(input.readableLength).toBeLessThan(4 * MIB);
    await it.return?.();
    const raw = await minio.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'bp.memarc' }));
    expect(sha256(Buffer.from(await raw.Body!.transformToByteArray()))).toBe(sha256(data));
  });
});
