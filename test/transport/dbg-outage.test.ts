import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import { openOutput } from '../../src/transport/index.ts';
import type { S3Options } from '../../src/transport/index.ts';
import { MemarcError } from '../../src/errors.ts';

const MIB = 1024 * 1024;
let minio: Minio;
let bucket: string;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('outage');
});
afterAll(async () => {
  await minio?.stop();
});

function options(abortRetryMs: number): S3Options {
  return { endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }, partSize: 5 * MIB, queueSize: 2, abortRetryMs };
}

async function uploads(key: string) {
  const res = await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return res.Uploads ?? [];
}

async function waitForParts(key: string, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [u] = await uploads(key);
    if (u?.UploadId) {
      const parts = await minio.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: u.UploadId }));
      if ((parts.Parts?.length ?? 0) >= n) return;
    }
    await delay(50);
  }
  throw new Error(`no upload with ${n} parts appeared for ${key}`);
}

/**
 * Yields `before` MiB, then waits for `gate` (the test stops MinIO meanwhile, so no part is in
 * flight at that moment), then yields forever.
 */
async function* stalling(before: number, gate: Promise<void>): AsyncGenerator<Buffer> {
  for (let i = 0; ; i++) {
    if (i === before) await gate;
    yield Buffer.alloc(MIB, i);
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

describe.each([1,2,3])('%i an S3 store that goes away mid-upload', () => {
  it('keeps retrying the abort until the store is back, then no upload remains', async () => {
    const key = 'down/recovered.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: options(60_000) });
    const g = gate();
    const writing = pipeline(stalling(10, g.promise), out.stream).catch((e: unknown) => e);
    await waitForParts(key, 2);
    await minio.kill('SIGTERM');
    g.open();
    // Long enough for the SDK's own retries of the failing part to give up.
    await delay(4_000);
    await minio.restart();
    const err = await writing;
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('TRANSPORT_FAILED');
    expect((err as Error).message).toContain(`s3://${bucket}/${key}`);
    await out.abort();
    expect(await uploads(key)).toEqual([]);
    await expect(minio.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('says which upload was left behind when the store stays away past the retry window', async () => {
    const key = 'down/orphan.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: options(1_500) });
    const g = gate();
    const writing = pipeline(stalling(5, g.promise), out.stream).catch((e: unknown) => e);
    await waitForParts(key, 1);
    await minio.kill('SIGTERM');
    g.open();
    const err = await writing;
    await minio.restart();
    expect(err).toBeInstanceOf(MemarcError);
    const e = err as MemarcError;
    expect(e.message).toContain('could not abort multipart upload');
    const left = await uploads(key);
    if (left.length !== 1) {
      const all = await minio.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      console.log('DEBUG all uploads', JSON.stringify(all.Uploads), 'err', e.message, JSON.stringify(e.context));
      await delay(3000);
      console.log('DEBUG later', JSON.stringify((await uploads(key)).map(u => u.UploadId)));
    }
    expect(left.length).toBe(1);
    expect(e.context.uploadId).toBe(left[0]?.UploadId);
    expect(e.hint).toContain(`--upload-id ${String(left[0]?.UploadId)}`);
    // abort() again, now that the store is back, finishes the job.
    await out.abort();
    expect(await uploads(key)).toEqual([]);
  });
});
