import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import * as checks from '../helpers/s3-checks.ts';
import { startCutProxy } from './tcp-cut-proxy.ts';
import type { CutProxy } from './tcp-cut-proxy.ts';
import { openOutput } from '../../src/transport/index.ts';
import type { S3Options } from '../../src/transport/index.ts';
import { MemarcError } from '../../src/errors.ts';

const MIB = 1024 * 1024;
let minio: Minio;
let proxy: CutProxy;
let bucket: string;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('outage');
  proxy = await startCutProxy(minio.port);
});
afterAll(async () => {
  await proxy?.close();
  await minio?.stop();
});

function options(endpoint: string, abortRetryMs: number): S3Options {
  return { endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }, partSize: 5 * MIB, queueSize: 2, abortRetryMs };
}

const uploads = (key: string) => checks.uploads(minio.client, bucket, key);
const uploadExists = (key: string, id: string) => checks.uploadExists(minio.client, bucket, key, id);
const objectExists = (key: string) => checks.objectExists(minio.client, bucket, key);
const waitForParts = (key: string, n: number) => checks.waitForParts(minio.client, bucket, key, n);

/** Yields `before` MiB, waits for `gate` (no part is in flight meanwhile), then yields forever. */
async function* stalling(before: number, gate: Promise<void>): AsyncGenerator<Buffer> {
  for (let i = 0; ; i++) {
    if (i === before) await gate;
    yield Buffer.alloc(MIB, i);
  }
}

describe('an S3 store that becomes unreachable mid-upload', () => {
  it('keeps retrying the abort until the store is reachable again, then no upload remains', async () => {
    const key = 'down/recovered.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: options(proxy.endpoint, 60_000) });
    const gate = Promise.withResolvers<void>();
    const writing = pipeline(stalling(10, gate.promise), out.stream).catch((e: unknown) => e);
    const id = await waitForParts(key, 2);
    await proxy.down();
    gate.resolve();
    // Long enough for the SDK's own retries of the failing part to give up; the upload still exists.
    await delay(4_000);
    expect(await uploadExists(key, id)).toBe(true);
    await proxy.up();
    const err = await writing;
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('TRANSPORT_FAILED');
    expect((err as Error).message).toContain(`s3://${bucket}/${key}`);
    expect(await uploadExists(key, id)).toBe(false);
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });

  it('names the upload left behind when the store stays away past the retry window; a later abort() removes it', async () => {
    const key = 'down/orphan.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: options(proxy.endpoint, 1_500) });
    const gate = Promise.withResolvers<void>();
    const writing = pipeline(stalling(5, gate.promise), out.stream).catch((e: unknown) => e);
    const id = await waitForParts(key, 1);
    await proxy.down();
    gate.resolve();
    const err = await writing;
    expect(err).toBeInstanceOf(MemarcError);
    const e = err as MemarcError;
    expect(e.message).toContain(`could not abort multipart upload ${id}`);
    expect(e.context.uploadId).toBe(id);
    expect(e.hint).toContain(`--upload-id ${id}`);
    expect(await uploadExists(key, id)).toBe(true);
    await proxy.up();
    await out.abort();
    expect(await uploadExists(key, id)).toBe(false);
  });

  it('fails cleanly when the MinIO server itself is stopped and restarted', async () => {
    const key = 'down/stopped.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: options(minio.endpoint, 60_000) });
    const gate = Promise.withResolvers<void>();
    const writing = pipeline(stalling(10, gate.promise), out.stream).catch((e: unknown) => e);
    await waitForParts(key, 2);
    await minio.kill('SIGTERM');
    gate.resolve();
    await delay(3_000);
    await minio.restart();
    const err = await writing;
    expect((err as MemarcError).code).toBe('TRANSPORT_FAILED');
    await out.abort();
    // MinIO no longer lists (or knows) uploads created before a restart, so this only checks that
    // nothing is listed and nothing appeared; the proxy tests above prove the abort itself.
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });
});
