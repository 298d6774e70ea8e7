import type { Writable } from 'node:stream';
import type { S3Options } from './s3-client.ts';

export interface OutputOptions {
  /** Overwrite an existing archive. */
  force?: boolean;
  /** Expected size in bytes, when known (lets S3 choose a fixed part size). */
  expectedSize?: number;
  /** Aborting the signal aborts the output (same as `abort()`). */
  signal?: AbortSignal;
  s3?: S3Options;
}

export interface InputOptions {
  signal?: AbortSignal;
  s3?: S3Options;
  /** S3: called before a dropped download resumes at byte `offset` (for a progress log). */
  onResume?: (offset: number, reason: string) => void | Promise<void>;
}

/**
 * An archive being written. Write every byte to `stream` and end it (`await pipeline(…, stream)`),
 * then `commit()`: it makes the archive appear at its final location (rename, PutObject, multipart
 * complete) and resolves only once it is durable. `abort(err)` removes every trace (temp file,
 * multipart parts) and resolves once that is done; it is safe to call at any time, more than
 * once, and is a no-op after a successful commit. Destroying `stream` (as `pipeline` does when the
 * source fails) starts the same cleanup. Nothing appears at the final location before `commit()`.
 */
export interface ArchiveOutput {
  readonly location: string;
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(err?: unknown): Promise<void>;
}
