/**
 * S3 faults injected through the AWS SDK's middleware stack, against a real MinIO:
 * - the reply to CompleteMultipartUpload (or PutObject) is lost after the store completed the
 *   object: the SDK's retry then meets NoSuchUpload or 412, and the upload must still be reported
 *   as committed, because HeadObject shows the expected size and checksum;
 * - the store keeps listing an aborted upload: abort pauses between attempts and gives up at its
 *   deadline with a clear error, instead of spinning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMinio, type Minio } from '../helpers/minio.ts';
import * as checks from '../helpers/s3-checks.ts';
import { openOutput } from '../../src/transport/index.ts';
import { isMemarcError } from '../../src/errors.ts';

const MIB = 1024 * 1024;
let minio: Minio;
let bucket: string;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('faults');
});
afterAll(async () => {
  await minio?.stop();
});

function client(): S3Client {
  return new S3Client({ endpoint: minio.endpoint, region: minio.region, forcePathStyle: true, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey } });
}

/** A reply the store sent but the client never got: the request was carried out, then a timeout. */
function loseReplies(c: S3Client, command: string, times: number): { lost: () => number } {
  let lost = 0;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const res = await next(args);
      if (context.commandName === command && lost < times) {
        lost++;
        throw Object.assign(new Error('the reply was lost (injected)'), { name: 'TimeoutError', $metadata: {} });
      }
      return res;
    },
    // Inside the SDK's retry middleware, so each lost reply is retried like a real timeout.
    { step: 'finalizeRequest', priority: 'low', name: 'memarcLoseReply' },
  );
  return { lost: () => lost };
}

function body(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4096) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

const uploads = (key: string) => checks.uploads(minio.client, bucket, key);

async function read(key: string): Promise<Buffer> {
  const res = await minio.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe('a lost reply to the final call', () => {
  it.each([
    ['CompleteMultipartUpload, then the retry meets NoSuchUpload or 412', 'CompleteMultipartUploadCommand', 12 * MIB, 1],
    ['CompleteMultipartUpload, every retry lost too', 'CompleteMultipartUploadCommand', 12 * MIB, 100],
    ['PutObject (an archive smaller than a part)', 'PutObjectCommand', 300_000, 1],
  ])('%s: resolved by HeadObject as committed', async (_label, command, size, times) => {
    const key = `lost/${command}-${times}.memarc`;
    const c = client();
    const faults = loseReplies(c, command, times);
    const data = body(size, times);
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: { client: c, partSize: 5 * MIB, queueSize: 2 } });
    await pipeline([data], out.stream);
    await out.commit();
    expect(faults.lost()).toBeGreaterThan(0);
    expect((await read(key)).equals(data)).toBe(true);
    expect(await uploads(key)).toEqual([]);
    c.destroy();
  });

  it('an object another writer stored meanwhile is still DESTINATION_EXISTS', async () => {
    const key = 'lost/raced.memarc';
    const c = client();
    loseReplies(c, 'CompleteMultipartUploadCommand', 1);
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: { client: c, partSize: 5 * MIB, queueSize: 2 } });
    await pipeline([body(11 * MIB, 3)], out.stream);
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'someone else' }));
    const err = await out.commit().catch((e: unknown) => e);
    expect(isMemarcError(err, 'DESTINATION_EXISTS'), String(err)).toBe(true);
    expect((await read(key)).toString()).toBe('someone else');
    expect(await uploads(key)).toEqual([]);
    c.destroy();
  });
});

describe('an aborted upload the store keeps listing', () => {
  it('abort retries with pauses and stops at its deadline with the upload id and a hint', async () => {
    const key = 'abort/zombie.memarc';
    const c = client();
    const calls = { abort: 0, list: 0 };
    c.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'AbortMultipartUploadCommand' && calls.abort++ > 0) {
          await new Promise((r) => setImmediate(r));
          return { output: { $metadata: { httpStatusCode: 204 } }, response: {} };
        }
        if (context.commandName === 'ListPartsCommand') {
          calls.list++;
          await new Promise((r) => setImmediate(r));
          return { output: { $metadata: { httpStatusCode: 200 }, Parts: [] }, response: {} };
        }
        return next(args);
      },
      { step: 'initialize', name: 'memarcZombieUpload' },
    );
    const out = await openOutput(`s3://${bucket}/${key}`, { s3: { client: c, partSize: 5 * MIB, queueSize: 2, abortRetryMs: 2_000 } });
    await pipeline([body(12 * MIB, 9)], out.stream);
    const started = Date.now();
    const err = await out.abort().catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(isMemarcError(err, 'TRANSPORT_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toContain('still lists the upload');
    expect((err as { hint?: string }).hint).toContain('abort-multipart-upload');
    // 250 + 500 + 1000 ms of pauses fit the 2 s deadline: four attempts, not thousands.
    expect(calls.list).toBeGreaterThanOrEqual(3);
    expect(calls.list).toBeLessThanOrEqual(5);
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(10_000);
    c.destroy();
  }, 30_000);
});
