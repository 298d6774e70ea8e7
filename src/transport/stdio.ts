/**
 * Standard input and output. Writing to a pipe whose reader went away (`memarc export … | head`)
 * fails with EPIPE (Node ignores SIGPIPE); that surfaces as MemarcError BROKEN_PIPE (exit 141,
 * the shell's 128 + SIGPIPE) from the output stream, never as an unhandled 'error' event.
 */
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MemarcError } from '../errors.ts';
import type { ArchiveOutput } from './types.ts';

function translate(err: Error): Error {
  if ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED') {
    return new MemarcError('BROKEN_PIPE', 'the reader of standard output went away before the archive was complete', {
      cause: err,
      hint: 'the output is incomplete; write to a file (-o FILE) or make sure the reading command consumes the whole stream',
    });
  }
  return new MemarcError('IO', `cannot write to standard output: ${err.message}`, { cause: err, hint: 'check where standard output is redirected' });
}

export function stdoutOutput(target: Writable = process.stdout): ArchiveOutput {
  let broken: Error | undefined;
  // The write waiting for 'drain'; an error must release it too, or it would wait forever.
  let waiting: ((err?: Error | null) => void) | undefined;
  const release = (): void => {
    const cb = waiting;
    waiting = undefined;
    cb?.(broken);
  };
  // Without an 'error' listener, an EPIPE on stdout would crash the process.
  const onError = (err: Error): void => {
    broken ??= translate(err);
    release();
  };
  target.on('error', onError);
  target.on('drain', release);
  const detach = (): void => {
    target.off('drain', release);
    // After a broken pipe the error listener stays: later writes by anyone would raise EPIPE again.
    if (!broken) target.off('error', onError);
  };

  const stream = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      if (broken) return cb(broken);
      if (target.write(chunk)) return cb();
      waiting = cb;
    },
    final(cb) {
      if (broken) return cb(broken);
      // An empty write's callback runs once everything before it was handed to the OS.
      target.write(Buffer.alloc(0), (err) => cb(err ? (broken ??= translate(err)) : broken));
    },
  });
  return {
    location: '-',
    stream,
    async commit() {
      try {
        if (!stream.writableFinished) await finished(stream);
        if (broken) throw broken;
      } finally {
        detach();
      }
    },
    async abort() {
      stream.destroy();
      detach();
    },
  };
}

export function stdinInput(source: Readable = process.stdin): Readable {
  return source;
}
