/**
 * An S3 object read as a stream with backpressure, resuming after a dropped connection.
 *
 * The body is consumed as it is read (nothing buffered beyond the stream's high-water mark). If
 * the connection drops, or the body ends before Content-Length bytes, the read resumes at the byte
 * reached with `Range: bytes=N-` and `If-Match: <ETag of the first response>`, so an object that
 * was replaced meanwhile is detected (412) instead of splicing two versions. At most `maxResumes`
 * resumptions, with a growing pause between them.
 */
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { MemarcError } from '../errors.ts';
import { s3Url } from './location.ts';
import { describeS3Error, s3Error } from './s3-client.ts';
import type { ResolvedS3 } from './s3-client.ts';

const DEFAULT_MAX_RESUMES = 5;

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Reads only bytes [start, end] (inclusive), e.g. the first MiB for an archive header. */
  range?: { start: number; end?: number };
  /** Called before each resumption, for logs and tests. */
  onResume?: (offset: number, reason: string) => void | Promise<void>;
}

export function s3Input(s3: ResolvedS3, bucket: string, key: string, opts: DownloadOptions = {}): Readable {
  return Readable.from(download(s3, bucket, key, opts), { objectMode: false, highWaterMark: 1 << 20 });
}

async function* download(s3: ResolvedS3, bucket: string, key: string, opts: DownloadOptions): AsyncGenerator<Buffer> {
  const { client, secrets } = s3;
  const url = s3Url(bucket, key);
  const maxResumes = s3.opts.maxResumes ?? DEFAULT_MAX_RESUMES;
  const start = opts.range?.start ?? 0;
  let offset = start;
  let end: number | undefined = opts.range?.end;
  let etag: string | undefined;
  let resumes = 0;
  for (;;) {
    const range = offset > 0 || end !== undefined ? `bytes=${offset}-${end ?? ''}` : undefined;
    let res;
    try {
      res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}), ...(etag ? { IfMatch: etag } : {}) }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
    } catch (err) {
      const d = describeS3Error(err, secrets);
      if (d.status === 412 || d.name === 'PreconditionFailed') {
        throw new MemarcError('TRANSPORT_FAILED', `${url} changed while it was being read (at byte ${offset})`, {
          hint: 'the object was overwritten during the download; read it again',
        });
      }
      if (d.status === 416 && offset > start && end === undefined) return; // already at the end
      throw s3Error(`cannot read ${url}`, err, secrets);
    }
    etag ??= res.ETag;
    const length = res.ContentLength;
    if (end === undefined && length !== undefined) end = offset + length - 1;
    const body = res.Body as Readable | undefined;
    if (!body) throw new MemarcError('TRANSPORT_FAILED', `${url}: GetObject returned no body`, { hint: 'retry; if it persists, check the S3-compatible store' });
    let reason: string;
    try {
      for await (const chunk of body) {
        offset += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (end === undefined || offset > end) return;
      reason = `body ended at byte ${offset} of ${end + 1}`;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      reason = describeS3Error(err, secrets).text;
    } finally {
      body.destroy();
    }
    if (++resumes > maxResumes) {
      throw new MemarcError('TRANSPORT_FAILED', `reading ${url} failed at byte ${offset} after ${maxResumes} resumptions: ${reason}`, {
        hint: 'check the network path to the S3 endpoint and retry',
      });
    }
    await opts.onResume?.(offset, reason);
    await delay(Math.min(200 * 2 ** (resumes - 1), 5_000), undefined, opts.signal ? { signal: opts.signal } : {});
  }
}
