/**
 * An S3 object written through the multipart protocol, as a Writable.
 *
 * Why not lib-storage's `Upload`: it requires every part but the last to have one fixed size (so
 * a part size that grows with an unknown total cannot go through it), it completes the object as
 * soon as the body ends (before the caller's `commit()`), and its `abort()` settles `done()` before
 * its AbortMultipartUpload is sent and cannot cancel parts in flight, so an abort could not promise
 * "no parts left" when it resolves. The protocol itself is four calls; owning it gives:
 *
 * - Bounded memory: at most `queueSize` parts in flight and never more than
 *   `queueSize × base part size` bytes in flight (one part at a time once parts outgrow that), plus
 *   the part being filled: ≈ (queueSize + 1) × part size.
 * - Atomic appearance: a body smaller than one part is sent with one PutObject in `commit()` (this
 *   is also how an empty body is sent: no multipart, no hang); otherwise CompleteMultipartUpload is
 *   sent in `commit()`. Nothing is visible at the key before.
 * - Abort that finishes: parts in flight are let finish (cancelled after 10 s), then
 *   AbortMultipartUpload is sent and checked with ListParts (S3 advises it: a part racing the
 *   abort can still land). Both are repeated, with a doubling pause (250 ms to 4 s), while the store
 *   is unreachable or still lists the upload, until the `abortRetryMs` deadline (default 60 s);
 *   then the failure names the upload id and how to abort it by hand.
 * - A final call whose reply was lost is not reported as a failure when the object landed: before
 *   any failure of PutObject or CompleteMultipartUpload is reported, a HeadObject compares the key
 *   with the expected size and checksum (s3-landed.ts).
 *   A failed part, a destroyed stream (a failed source in `pipeline`), `abort()` and the abort
 *   signal all go through this one cleanup, and errors surface only after it ran.
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { MemarcError } from '../errors.ts';
import type { ArchiveOutput } from './types.ts';
import { s3Url } from './location.ts';
import { partSchedule } from './part-size.ts';
import { expectedMultipart, expectedSingle, objectLanded, type ExpectedObject } from './s3-landed.ts';
import { describeS3Error, s3Error, writeParams } from './s3-client.ts';
import type { ResolvedS3 } from './s3-client.ts';

const DEFAULT_QUEUE_SIZE = 4;
const DEFAULT_ABORT_RETRY_MS = 60_000;
const IN_FLIGHT_GRACE_MS = 10_000;
const CONTENT_TYPE = 'application/x-tar';

type State = 'open' | 'committing' | 'committed' | 'aborted';

export function s3Output(s3: ResolvedS3, bucket: string, key: string, opts: { expectedSize?: number; signal?: AbortSignal; force?: boolean }): ArchiveOutput {
  const { client, secrets } = s3;
  const url = s3Url(bucket, key);
  const extra = writeParams(s3.opts);
  const schedule = partSchedule({ partSize: s3.opts.partSize, expectedSize: opts.expectedSize });
  const queueSize = Math.max(1, s3.opts.queueSize ?? DEFAULT_QUEUE_SIZE);
  const budget = queueSize * schedule.base;
  const requests = new AbortController();
  const ifAbsent = opts.force ? {} : { IfNoneMatch: '*' };

  let state: State = 'open';
  // The part being filled: allocated once at its final size and filled by copying, so the
  // incoming chunks become garbage at once and no concat doubles a part in memory.
  let part: Buffer | undefined;
  let filled = 0;
  let nextPart = 1;
  let uploadId: string | undefined;
  let creating: Promise<string> | undefined;
  const inFlight = new Map<number, { bytes: number; done: Promise<void> }>();
  const parts: CompletedPart[] = [];
  const partSizes = new Map<number, number>();
  let failure: MemarcError | undefined;
  let cleanup: Promise<void> | undefined;

  const fail = (what: string, err: unknown): MemarcError => {
    failure ??= requests.signal.aborted && state === 'aborted'
      ? new MemarcError('INTERRUPTED', `upload to ${url} was aborted`)
      : s3Error(`S3 upload to ${url} failed (${what})`, err, secrets);
    return failure;
  };

  const ensureUpload = (): Promise<string> => {
    creating ??= client
      .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: CONTENT_TYPE, ChecksumAlgorithm: 'CRC32', ...extra }), { abortSignal: requests.signal })
      .then((res) => {
        if (!res.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        uploadId = res.UploadId;
        return res.UploadId;
      });
    return creating;
  };

  const startPart = async (data: Buffer): Promise<void> => {
    const n = nextPart++;
    const id = await ensureUpload();
    const done = client
      .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: n, Body: data, ContentLength: data.length, ChecksumAlgorithm: 'CRC32' }), { abortSignal: requests.signal })
      .then(
        (res) => {
          if (!res.ETag) throw new Error(`UploadPart ${n} returned no ETag`);
          parts.push({ PartNumber: n, ETag: res.ETag, ...(res.ChecksumCRC32 ? { ChecksumCRC32: res.ChecksumCRC32 } : {}) });
          partSizes.set(n, data.length);
        },
      )
      .catch((err: unknown) => { fail(`part ${n}`, err); })
      .finally(() => { inFlight.delete(n); });
    inFlight.set(n, { bytes: data.length, done });
  };

  const inFlightBytes = (): number => {
    let sum = 0;
    for (const p of inFlight.values()) sum += p.bytes;
    return sum;
  };

  /** Waits until one more part of `size` bytes fits the queue and the byte budget. */
  const waitForRoom = async (size: number): Promise<void> => {
    while (inFlight.size > 0 && (inFlight.size >= queueSize || inFlightBytes() + size > budget)) {
      await Promise.race([...inFlight.values()].map((p) => p.done));
    }
  };

  /** The filled bytes of the current part; the next write starts a new one. */
  const takePart = (): Buffer => {
    const data = part ? part.subarray(0, filled) : Buffer.alloc(0);
    part = undefined;
    filled = 0;
    return data;
  };

  const throwIfFailed = (): void => {
    if (failure) throw failure;
    if (state === 'aborted') throw new MemarcError('INTERRUPTED', `upload to ${url} was aborted`);
  };

  const onWrite = async (chunk: Buffer): Promise<void> => {
    throwIfFailed();
    let at = 0;
    while (at < chunk.length) {
      part ??= Buffer.allocUnsafe(schedule.sizeOf(nextPart));
      const n = chunk.copy(part, filled, at);
      filled += n;
      at += n;
      if (filled === part.length) {
        await waitForRoom(part.length);
        throwIfFailed();
        await startPart(takePart()).catch((err: unknown) => { throw fail('CreateMultipartUpload', err); });
      }
    }
  };

  const onFinal = async (): Promise<void> => {
    throwIfFailed();
    // A body smaller than one part stays buffered for a single PutObject in commit().
    if (nextPart === 1) return;
    if (filled > 0) {
      await waitForRoom(filled);
      throwIfFailed();
      await startPart(takePart());
    }
    await Promise.all([...inFlight.values()].map((p) => p.done));
    throwIfFailed();
  };

  const abortUpload = async (id: string): Promise<void> => {
    const deadline = Date.now() + (s3.opts.abortRetryMs ?? DEFAULT_ABORT_RETRY_MS);
    let wait = 250;
    for (;;) {
      let reason: string;
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }), { abortSignal: AbortSignal.timeout(15_000) });
        await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id }), { abortSignal: AbortSignal.timeout(15_000) });
        // ListParts answered: the store still lists the upload, so abort again after a pause.
        reason = 'the store still lists the upload after AbortMultipartUpload';
      } catch (err) {
        const d = describeS3Error(err, secrets);
        if (d.name === 'NoSuchUpload' || d.status === 404) return;
        reason = d.text;
      }
      if (Date.now() + wait > deadline) {
        throw new MemarcError('TRANSPORT_FAILED', `could not abort multipart upload ${id} of ${url}; its parts may remain stored: ${reason}`, {
          hint: `abort it by hand (aws s3api abort-multipart-upload --bucket ${bucket} --key ${key} --upload-id ${id}) and add an AbortIncompleteMultipartUpload lifecycle rule to the bucket`,
          context: { uploadId: id, bucket, key },
        });
      }
      await delay(wait);
      wait = Math.min(wait * 2, 4_000);
    }
  };

  const runCleanup = (): Promise<void> => {
    if (state === 'committed') return Promise.resolve();
    cleanup ??= (async () => {
      const wasCommitting = state === 'committing';
      state = 'aborted';
      part = undefined;
      filled = 0;
      // Parts in flight are let finish (for a while) rather than cancelled: a request cancelled on
      // our side may still be stored by the server after our AbortMultipartUpload, re-creating a
      // part nobody will ever clean up. A commit in flight is cancelled at once.
      const settled = Promise.allSettled([...inFlight.values()].map((p) => p.done));
      if (wasCommitting) requests.abort();
      const cancel = setTimeout(() => requests.abort(), IN_FLIGHT_GRACE_MS);
      await settled;
      clearTimeout(cancel);
      requests.abort();
      if (creating) await creating.catch(() => undefined);
      if (uploadId) await abortUpload(uploadId);
    })().catch((err: unknown) => {
      // Parts are still stored: a later abort() tries again instead of repeating this failure.
      cleanup = undefined;
      throw err;
    });
    return cleanup;
  };

  /** Reports `err` once cleanup ran; if cleanup failed too (parts left behind), says so instead of hiding it. */
  const failAfterCleanup = (err: Error, cb: (e: Error) => void): void => {
    runCleanup().then(
      () => cb(err),
      (cleanupErr: unknown) => {
        const c = cleanupErr as MemarcError;
        cb(new MemarcError(c.code ?? 'TRANSPORT_FAILED', `${err.message}; then ${c.message}`, { cause: err, hint: c.hint, context: c.context }));
      },
    );
  };

  const stream = new Writable({
    highWaterMark: 1 << 20,
    // finish must not destroy: abort() after the last byte but before commit() still cleans up.
    autoDestroy: false,
    write(chunk: Buffer, _enc, cb) {
      onWrite(chunk).then(() => cb(), (err: unknown) => failAfterCleanup(err as Error, cb));
    },
    final(cb) {
      onFinal().then(() => cb(), (err: unknown) => failAfterCleanup(err as Error, cb));
    },
    destroy(err, cb) {
      if (err) failAfterCleanup(err, cb);
      else runCleanup().then(() => cb(null), (cleanupErr: unknown) => cb(cleanupErr as Error));
    },
  });

  const output: ArchiveOutput = {
    location: url,
    stream,
    async commit() {
      if (state === 'committed') return;
      if (!stream.writableFinished) await finished(stream);
      throwIfFailed();
      state = 'committing';
      let expected: ExpectedObject;
      try {
        if (nextPart === 1) {
          const body = takePart();
          expected = expectedSingle(body);
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentType: CONTENT_TYPE, ChecksumAlgorithm: 'CRC32', ...extra, ...ifAbsent }), { abortSignal: requests.signal });
        } else {
          const sorted = [...parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
          expected = expectedMultipart(sorted.map((p) => ({ size: partSizes.get(p.PartNumber!) ?? 0, etag: p.ETag ?? '', ...(p.ChecksumCRC32 ? { crc32: p.ChecksumCRC32 } : {}) })));
          await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: sorted }, ...ifAbsent }), { abortSignal: requests.signal });
        }
      } catch (err) {
        // The reply may have been lost after the store completed the object (a retry then sees
        // NoSuchUpload or 412): look before reporting anything.
        const landed = requests.signal.aborted ? 'unknown' : await objectLanded(s3, bucket, key, expected!);
        if (landed === 'landed') {
          state = 'committed';
          return;
        }
        const d = describeS3Error(err, secrets);
        if (d.status === 412 && landed === 'different') failure ??= new MemarcError('DESTINATION_EXISTS', `${url} was created by another writer during the upload`, { hint: 'pass --force to overwrite it, or choose another key' });
        const e = fail(nextPart === 1 ? 'PutObject' : 'CompleteMultipartUpload', err);
        await runCleanup();
        if (landed === 'unknown' && !requests.signal.aborted) {
          throw new MemarcError(e.code, `${e.message}; whether ${url} was stored could not be checked`, { cause: e, hint: `check ${url} with memarc verify before relying on it, and run the export again if it is missing or fails`, context: e.context });
        }
        throw e;
      }
      state = 'committed';
    },
    async abort() {
      if (state === 'committed') return;
      stream.destroy();
      await runCleanup();
    },
  };
  opts.signal?.addEventListener('abort', () => { output.abort().catch(() => undefined); }, { once: true });
  return output;
}
