/**
 * S3 and S3-compatible stores (MinIO, R2, Ceph) as a transport: open an object for writing
 * (s3-upload.ts) or reading (s3-download.ts), list a prefix, delete an object.
 */
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ArchiveOutput, InputOptions, OutputOptions } from './types.ts';
import { MemarcError } from '../errors.ts';
import { s3Url } from './location.ts';
import { resolveS3, s3Error } from './s3-client.ts';
import type { ResolvedS3 } from './s3-client.ts';
import { s3Input } from './s3-download.ts';
import type { DownloadOptions } from './s3-download.ts';
import { s3Output } from './s3-upload.ts';

export type { S3Options } from './s3-client.ts';
export { resolveS3 } from './s3-client.ts';

function requireKey(bucket: string, key: string): void {
  if (!key || key.endsWith('/')) {
    throw new MemarcError('USAGE', `${s3Url(bucket, key)} names no object`, { hint: 'write an S3 archive location as s3://bucket/path/name.memarc' });
  }
}

/**
 * Without `force`, an existing object is refused twice: by a HeadObject now (fail before any
 * work) and by `If-None-Match: *` on the final PutObject/CompleteMultipartUpload (a writer that
 * raced us is not overwritten).
 */
export async function openS3Output(bucket: string, key: string, opts: OutputOptions = {}): Promise<ArchiveOutput> {
  requireKey(bucket, key);
  const s3 = resolveS3(opts.s3);
  const force = opts.force === true;
  if (!force) {
    try {
      await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      throw destinationExists(bucket, key);
    } catch (err) {
      const e = s3Error(`cannot check ${s3Url(bucket, key)}`, err, s3.secrets);
      if (e.code !== 'NOT_FOUND') throw e;
    }
  }
  return s3Output(s3, bucket, key, { expectedSize: opts.expectedSize, signal: opts.signal, force });
}

export function destinationExists(bucket: string, key: string): MemarcError {
  return new MemarcError('DESTINATION_EXISTS', `${s3Url(bucket, key)} already exists`, { hint: 'pass --force to overwrite it, or choose another key' });
}

export function openS3Input(bucket: string, key: string, opts: InputOptions & DownloadOptions = {}): Readable {
  requireKey(bucket, key);
  return s3Input(resolveS3(opts.s3), bucket, key, opts);
}

export interface S3ObjectInfo {
  key: string;
  size: number;
  lastModified: Date | undefined;
}

/** Objects directly under `prefix` (a folder: no recursion into deeper "/"), in key order. */
export async function listS3Objects(s3: ResolvedS3, bucket: string, prefix: string): Promise<S3ObjectInfo[]> {
  const out: S3ObjectInfo[] = [];
  let token: string | undefined;
  do {
    let res;
    try {
      res = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }));
    } catch (err) {
      throw s3Error(`cannot list ${s3Url(bucket, prefix)}`, err, s3.secrets);
    }
    for (const o of res.Contents ?? []) {
      if (o.Key && o.Key !== prefix) out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function deleteS3Object(s3: ResolvedS3, bucket: string, key: string): Promise<void> {
  try {
    await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    throw s3Error(`cannot delete ${s3Url(bucket, key)}`, err, s3.secrets);
  }
}
