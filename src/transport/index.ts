/**
 * Where archive bytes live. A location is a path, `-` (stdin/stdout) or `s3://bucket/key`.
 *
 * An output is a Writable plus an explicit end of life: `commit()` after the last byte makes the
 * archive appear at its final location (rename, multipart complete) and resolves only once it is
 * durable; `abort(err)` removes every trace (temp file, multipart parts). Nothing appears at the
 * final location before `commit()`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MemarcError } from '../errors.ts';

export interface OutputOptions {
  /** Overwrite an existing archive. */
  force?: boolean;
  /** Expected size in bytes, when known (lets S3 choose its part size). */
  expectedSize?: number;
  signal?: AbortSignal;
}

export interface InputOptions {
  signal?: AbortSignal;
}

export interface ArchiveOutput {
  readonly location: string;
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(err?: unknown): Promise<void>;
}

export function isStdio(location: string): boolean {
  return location === '-';
}

export async function openInput(location: string, _opts: InputOptions = {}): Promise<Readable> {
  if (isStdio(location)) return process.stdin;
  try {
    const st = await stat(location);
    if (!st.isFile()) throw new MemarcError('IO', `${location} is not a regular file`);
  } catch (err) {
    if (err instanceof MemarcError) throw err;
    throw new MemarcError('IO', `cannot read ${location}: ${(err as Error).message}`, { cause: err, hint: 'check the path' });
  }
  return createReadStream(location, { highWaterMark: 1 << 20 });
}

export async function openOutput(location: string, opts: OutputOptions = {}): Promise<ArchiveOutput> {
  if (isStdio(location)) return stdoutOutput();
  return fileOutput(location, opts);
}

function stdoutOutput(): ArchiveOutput {
  return {
    location: '-',
    stream: process.stdout,
    async commit() {},
    async abort() {},
  };
}

async function fileOutput(location: string, opts: OutputOptions): Promise<ArchiveOutput> {
  const final = path.resolve(location);
  if (!opts.force) {
    const exists = await stat(final).then(() => true, () => false);
    if (exists) {
      throw new MemarcError('DESTINATION_EXISTS', `${location} already exists`, { hint: 'pass --force to overwrite it, or choose another name' });
    }
  }
  const tmp = path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${Date.now()}.partial`);
  const stream = createWriteStream(tmp, { flags: 'wx' });
  let done = false;
  return {
    location,
    stream,
    async commit() {
      if (!stream.writableFinished) await finished(stream);
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      const dir = await open(path.dirname(final), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      done = true;
    },
    async abort() {
      if (done) return;
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}
