/**
 * Did an object land although its write call failed? A CompleteMultipartUpload (or PutObject) can
 * succeed on the store while its reply is lost; the SDK then retries, and the retry fails with
 * NoSuchUpload (the upload is already completed) or 412 (our own If-None-Match: * now sees our own
 * object). Reporting that as a failure, or as "created by another writer", would be false. So
 * before any failure of the final call is reported, a HeadObject checks whether the key now holds
 * exactly what was sent: the same size and the same checksum (the CRC32 the parts were uploaded
 * with, composed as S3 composes it) or, when the store returns no checksum, the same ETag (for a
 * multipart upload the MD5 of the parts' MD5s, "-N").
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { ResolvedS3 } from './s3-client.ts';

export interface ExpectedObject {
  size: number;
  /** S3's x-amz-checksum-crc32 of the object: base64, with "-N" for a multipart object. */
  crc32?: string;
  /** The ETag a store that computes it the S3 way gives the object, quotes included. */
  etag?: string;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** What a one-call PutObject of `body` (sent with CRC32) yields. */
export function expectedSingle(body: Buffer): ExpectedObject {
  return { size: body.length, crc32: u32(crc32(body)).toString('base64'), etag: `"${createHash('md5').update(body).digest('hex')}"` };
}

/** What CompleteMultipartUpload of these parts (in part order) yields. */
export function expectedMultipart(parts: Array<{ size: number; etag: string; crc32?: string }>): ExpectedObject {
  const size = parts.reduce((s, p) => s + p.size, 0);
  const out: ExpectedObject = { size };
  if (parts.every((p) => p.crc32)) {
    out.crc32 = `${u32(crc32(Buffer.concat(parts.map((p) => Buffer.from(p.crc32!, 'base64'))))).toString('base64')}-${parts.length}`;
  }
  const md5s = parts.map((p) => p.etag.replace(/"/g, ''));
  if (md5s.every((m) => /^[0-9a-f]{32}$/i.test(m))) {
    out.etag = `"${createHash('md5').update(Buffer.concat(md5s.map((m) => Buffer.from(m, 'hex')))).digest('hex')}-${parts.length}"`;
  }
  return out;
}

export type Landed = 'landed' | 'absent' | 'different' | 'unknown';

/**
 * 'landed': the key holds an object of the expected size and checksum (or ETag). 'different': it
 * holds another object. 'absent': nothing there. 'unknown': the store could not be asked, or gave
 * neither a checksum nor an ETag to compare.
 */
export async function objectLanded(s3: ResolvedS3, bucket: string, key: string, expected: ExpectedObject, timeoutMs = 30_000): Promise<Landed> {
  let head;
  try {
    head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404 ? 'absent' : 'unknown';
  }
  if (head.ContentLength !== expected.size) return 'different';
  if (head.ChecksumCRC32 && expected.crc32) return sameChecksum(head.ChecksumCRC32, expected.crc32) ? 'landed' : 'different';
  if (head.ETag && expected.etag) return head.ETag === expected.etag ? 'landed' : 'different';
  return 'unknown';
}

/** Some stores omit the "-N" part count of a composite checksum; the checksum itself must agree. */
function sameChecksum(got: string, want: string): boolean {
  const [g, gn] = got.split('-');
  const [w, wn] = want.split('-');
  return g === w && (gn === undefined || wn === undefined || gn === wn);
}
