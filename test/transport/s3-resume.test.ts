import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buffer } from 'node:stream/consumers';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startMinio } from '../helpers/minio.ts';
import type { Minio } from '../helpers/minio.ts';
import { startCutProxy } from './tcp-cut-proxy.ts';
import type { CutProxy } from './tcp-cut-proxy.ts';
import { openInput } from '../../src/transport/index.ts';
import type { S3Options } from '../../src/transport/index.ts';
import { isMemarcError } from '../../src/errors.ts';
import { makeArchive, sha256 } from './fixtures.ts';

const MIB = 1024 * 1024;
let minio: Minio;
let proxy: CutProxy;
let bucket: string;
let viaProxy: S3Options;
let data: Buffer;

beforeAll(async () => {
  minio = await startMinio();
  bucket = await minio.bucket('resume');
  proxy = await startCutProxy(minio.port);
  viaProxy = { endpoint: proxy.endpoint, region: minio.region, credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey }, maxResumes: 3 };
  data = await makeArchive({ createdAt: '2026-01-01T00:00:00Z', dataBytes: 10 * MIB, seed: 'resume' });
  await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.memarc', Body: data }));
});
afterAll(async () => {
  await proxy?.close();
  await minio?.stop();
});

describe('S3 download that loses its connection', () => {
  it('resumes with a ranged GET from the byte reached and yields identical bytes', async () => {
    const resumes: number[] = [];
    proxy.cutAfter(3 * MIB + 17);
    const input = await openInput(`s3://${bucket}/a.memarc`, { s3: viaProxy, onResume: (offset: number) => { resumes.push(offset); } });
    const got = await buffer(input);
    expect(proxy.cuts()).toBe(1);
    expect(resumes.length).toBe(1);
    expect(resumes[0]).toBeGreaterThan(2 * MIB);
    expect(resumes[0]).toBeLessThan(data.length);
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
  });

  it('detects an object replaced between the cut and the resume (If-Match)', async () => {
    await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'b.memarc', Body: data }));
    proxy.cutAfter(2 * MIB);
    const input = await openInput(`s3://${bucket}/b.memarc`, {
      s3: viaProxy,
      onResume: async () => {
        await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'b.memarc', Body: Buffer.from('replaced') }));
      },
    });
    const err = await buffer(input).catch((e: unknown) => e);
    expect(isMemarcError(err, 'TRANSPORT_FAILED')).toBe(true);
    expect((err as Error).message).toContain('changed while it was being read');
  });

  it('gives up after maxResumes drops', async () => {
    proxy.cutAfter(1 * MIB, 10);
    const input = await openInput(`s3://${bucket}/a.memarc`, { s3: viaProxy });
    const err = await buffer(input).catch((e: unknown) => e);
    proxy.cutAfter(0, 0);
    expect(isMemarcError(err, 'TRANSPORT_FAILED')).toBe(true);
    expect((err as Error).message).toContain('after 3 resumptions');
  });
});
