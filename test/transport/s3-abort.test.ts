import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import * as checks from '../helpers/s3-checks.ts';
import { openOutput } from '../../src/transport/index.ts';
import type { ArchiveOutput, S3Options } from '../../src/transport/index.ts';

const MIB = 1024 * 1024;
const HERE = path.dirname(fileURLToPath(import.meta.url));
let minio: Minio;
let bucket: string;
let s3: S3Options;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('aborts');
  s3 = { endpoint: minio.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }, partSize: 5 * MIB, queueSize: 2 };
});
afterAll(async () => {
  await minio?.stop();
});

const uploads = (key: string) => checks.uploads(minio.client, bucket, key);
const objectExists = (key: string) => checks.objectExists(minio.client, bucket, key);
const waitForParts = (key: string, n: number) => checks.waitForParts(minio.client, bucket, key, n);

async function* endless(): AsyncGenerator<Buffer> {
  for (let i = 0; ; i++) {
    yield Buffer.alloc(MIB, i);
    if (i >= 11) await delay(20);
  }
}

describe('S3 uploads leave no parts behind', () => {
  it('abort() (the SIGINT path) removes the multipart upload and its parts', async () => {
    const key = 'abort/by-call.memarc';
    const out: ArchiveOutput = await openOutput(`s3://${bucket}/${key}`, { s3 });
    const writing = pipeline(endless(), out.stream).catch((e: unknown) => e);
    await waitForParts(key, 2);
    await out.abort();
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
    expect(await writing).toBeInstanceOf(Error);
    // Abort is idempotent and commit after abort fails.
    await out.abort();
    await expect(out.commit()).rejects.toThrow();
    expect(await objectExists(key)).toBe(false);
  });

  it('a failing source stream aborts the upload before the error surfaces', async () => {
    const key = 'abort/source-fails.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3 });
    async function* failing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 12; i++) yield Buffer.alloc(MIB, i);
      await delay(300);
      throw new Error('source exploded');
    }
    await expect(pipeline(failing(), out.stream)).rejects.toThrow('source exploded');
    // No abort() call yet: pipeline destroyed the stream, which alone must clean up. (pipeline
    // can reject before the destination finished destroying, so wait for its 'close'.)
    if (!out.stream.closed) await new Promise((resolve) => out.stream.once('close', resolve));
    expect(await uploads(key)).toEqual([]);
    await out.abort();
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });

  it('an aborted signal aborts the upload', async () => {
    const key = 'abort/signal.memarc';
    const ac = new AbortController();
    const out = await openOutput(`s3://${bucket}/${key}`, { s3, signal: ac.signal });
    const writing = pipeline(endless(), out.stream).catch((e: unknown) => e);
    await waitForParts(key, 1);
    ac.abort();
    expect(await writing).toBeInstanceOf(Error);
    await out.abort();
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });

  it('abort() after the last byte but before commit() leaves nothing', async () => {
    const key = 'abort/before-commit.memarc';
    const out = await openOutput(`s3://${bucket}/${key}`, { s3 });
    async function* twelve(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 12; i++) yield Buffer.alloc(MIB, i);
    }
    await pipeline(twelve(), out.stream);
    expect((await uploads(key)).length).toBe(1);
    await out.abort();
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });

  it('a child process uploading a slow stream and receiving SIGINT leaves no upload', async () => {
    const key = 'abort/sigint.memarc';
    const child = spawn(process.execPath, [path.join(HERE, 'sigint-child.ts')], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_S3: minio.endpoint,
        AWS_ACCESS_KEY_ID: minio.accessKey,
        AWS_SECRET_ACCESS_KEY: minio.secretKey,
        AWS_REGION: minio.region,
        MEMARC_TEST_TARGET: `s3://${bucket}/${key}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exit = once(child, 'exit');
    await waitForParts(key, 2);
    child.kill('SIGINT');
    const [code] = await exit;
    expect(stderr).toBe('');
    expect(code).toBe(130);
    expect(await uploads(key)).toEqual([]);
    expect(await objectExists(key)).toBe(false);
  });
});
