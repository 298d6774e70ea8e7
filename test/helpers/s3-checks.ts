/**
 * The tests' own read-only questions to an S3 store (MinIO here): which multipart uploads a key
 * has, whether one still exists, whether an object exists, and waiting for an upload's parts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import type { MultipartUpload, Part, S3Client } from '@aws-sdk/client-s3';

/** The multipart uploads under `key` (as a prefix). */
export async function uploads(client: S3Client, bucket: string, key: string): Promise<MultipartUpload[]> {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return res.Uploads ?? [];
}

/** The parts of one upload, or undefined when the store answers NoSuchUpload. */
async function partsOf(client: S3Client, bucket: string, key: string, uploadId: string): Promise<Part[] | undefined> {
  try {
    const res = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    return res.Parts ?? [];
  } catch (err) {
    if ((err as Error).name === 'NoSuchUpload') return undefined;
    throw err;
  }
}

/** Whether an upload still exists, asked by id (NoSuchUpload means gone). */
export async function uploadExists(client: S3Client, bucket: string, key: string, uploadId: string): Promise<boolean> {
  return (await partsOf(client, bucket, key, uploadId)) !== undefined;
}

export async function objectExists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);
}

/**
 * Waits until the upload of `key` holds at least `n` parts; returns its id. MinIO can list an
 * upload a moment before ListParts knows it (NoSuchUpload while its metadata is still being
 * written), so that answer counts as "not yet".
 */
export async function waitForParts(client: S3Client, bucket: string, key: string, n: number, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [u] = await uploads(client, bucket, key);
    if (u?.UploadId) {
      const parts = await partsOf(client, bucket, key, u.UploadId);
      if ((parts?.length ?? 0) >= n) return u.UploadId;
    }
    await delay(50);
  }
  throw new Error(`no upload with ${n} parts appeared for ${key}`);
}
