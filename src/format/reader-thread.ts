/**
 * `readArchive` on a thread of its own: the same events, the same checks, the same errors, with the
 * reading, checking and digesting off the caller's thread. An import's thread is the one that
 * converts records for the stores and compares what they read back, and it is the import's
 * bottleneck (bench/RESULTS.md, "Session 11": one core busy from start to end while the servers
 * wait on it); reading and checking the archive was about 30 % of its CPU.
 *
 * The protocol (reader-worker.ts is the other side):
 * - this thread reads the source and posts its bytes, at most CHUNKS_AHEAD chunks ahead of what
 *   the reader took (a file's chunks are transferred, any other source's copied first);
 * - the reader thread posts its events: the header, each shard's checked lines as bytes (at most
 *   LINES_AHEAD batches ahead of what this thread's consumer took), each shard's end, the trailer;
 * - this thread parses the lines into records (the one step of the reader left here: records are
 *   objects of this thread's heap) and hands on `records` events, exactly as `readArchive` with
 *   `checkShardFirst: false` does.
 *
 * Memory: the reader thread is a second V8 heap (the reader's own working set: one shard's gzip
 * bytes, one line and its parse, the digests), plus about INPUT_AHEAD bytes of input and LINES_AHEAD
 * batches of lines in flight (a batch is about 1 MiB of NDJSON, in a buffer outside V8's heap).
 */
import { ReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { MemarcError, type ErrorCode, type ErrorContext } from '../errors.ts';
import type { Header, Trailer, TrailerShard } from './header.ts';
import { parseRecordLine } from './json.ts';
import { MAX_RECORD_NESTING } from './nesting.ts';
import type { AnyRecord, RecordKind } from './records.ts';
import type { ArchiveEvent, ReaderOptions, UnknownEntry } from './reader.ts';
import { leftGarbage } from './collect.ts';

/**
 * Input bytes posted ahead of what the reader took: a file's chunks are 1 MiB (transport/file.ts),
 * so one is in flight while the reader works on the one before.
 */
const INPUT_AHEAD = 1024 * 1024;
/** Batches of checked lines the reader may post ahead of what this thread's consumer took. */
const LINES_AHEAD = 2;
/** How long a stopped reader thread gets to clean up (a graph's node table file) before it is ended. */
const STOP_GRACE_MS = 10_000;

/** In a checkout the sources run as they are; the compiled package runs dist/. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './reader-worker.ts' : './reader-worker.js', import.meta.url);

/** Messages to the reader thread. */
export type ToReader = { t: 'chunk'; buf: ArrayBuffer } | { t: 'end' } | { t: 'input-error'; err: WireError } | { t: 'credit'; buf?: ArrayBuffer } | { t: 'stop' };

/** Messages from the reader thread. */
type FromReader =
  | { t: 'consumed'; bytes: number }
  | { t: 'warning'; msg: string }
  | { t: 'header'; header: Header; sha256: string; size: number }
  | { t: 'lines'; dataset: number; kind: RecordKind; entry: string; firstLine: number; bytes: Uint8Array; ends: Uint32Array; hashes: Uint8Array; garbage: number }
  | { t: 'shard'; dataset: number; shard: TrailerShard }
  | { t: 'trailer'; trailer: Trailer; digests: Map<number, string> | null; unknownEntries: UnknownEntry[] }
  | { t: 'done' }
  | { t: 'error'; err: WireError; input: boolean };

/** What this thread hears besides the reader's messages. */
type Happening = FromReader | { t: 'crash'; err: unknown } | { t: 'exit'; code: number } | { t: 'abort' };

/** An error as it crosses between threads: a MemarcError keeps its code, context and hint. */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  memarc?: { code: ErrorCode; context: ErrorContext; hint: string | undefined } | undefined;
  cause?: WireError | undefined;
}

export function serializeError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    code: typeof code === 'string' ? code : undefined,
    memarc: err instanceof MemarcError ? { code: err.code, context: plain(err.context), hint: err.hint } : undefined,
    cause: err.cause !== undefined && depth < 4 ? serializeError(err.cause, depth + 1) : undefined,
  };
}

/** A context's values are numbers and strings; anything else crosses as its text. */
function plain(context: ErrorContext): ErrorContext {
  const out: ErrorContext = {};
  for (const [k, v] of Object.entries(context)) out[k] = v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : String(v);
  return out;
}

export function deserializeError(w: WireError): Error {
  const cause = w.cause ? deserializeError(w.cause) : undefined;
  const err = w.memarc
    ? new MemarcError(w.memarc.code, w.message, { context: w.memarc.context, hint: w.memarc.hint, cause })
    : Object.assign(new Error(w.message, cause === undefined ? undefined : { cause }), w.code === undefined ? {} : { code: w.code });
  if (!w.memarc) err.name = w.name;
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * A chunk's bytes as an ArrayBuffer to transfer. A file stream's chunk is a buffer of its own,
 * which the stream is done with once it is handed on: it is transferred, not copied. Any other
 * source's chunk is copied, since its buffer may be shared (a pool) or still its source's.
 */
function ownBuffer(chunk: Uint8Array, fileChunks: boolean): ArrayBuffer {
  const b = chunk.buffer;
  if (fileChunks && b instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === b.byteLength) return b;
  // Uint8Array's slice copies; a Buffer's own slice is a view of the same memory.
  return Uint8Array.prototype.slice.call(chunk).buffer as ArrayBuffer;
}

const isReadable = (s: unknown): s is Readable => typeof (s as Readable)?.destroy === 'function';

/**
 * Reads an archive as `readArchive(source, { ...opts, checkShardFirst: false })` does, on a thread
 * of its own; see the module comment. Stop early by leaving the loop: the thread and the source
 * are released.
 */
export async function* readArchiveInThread(source: Readable | AsyncIterable<Uint8Array>, opts: Omit<ReaderOptions, 'checkShardFirst' | 'records' | 'decode'> = {}): AsyncGenerator<ArchiveEvent, void, undefined> {
  // `batchBytes`, `wants`, `digest`: lines events keep the default batch, every shard's records
  // and every dataset's digest (a function cannot cross to the thread).
  const { signal, onWarning, batchBytes: _b, wants: _w, digest: _d, ...rest } = opts;
  if (signal?.aborted) throw abortError(signal);
  const worker = new Worker(WORKER_URL, { workerData: { opts: rest, linesAhead: LINES_AHEAD } });
  // The thread keeps the process alive only while this side waits for it (see `next`).
  worker.unref();

  const happenings: Happening[] = [];
  let wakeMain: (() => void) | null = null;
  const happen = (h: Happening) => {
    happenings.push(h);
    const w = wakeMain;
    wakeMain = null;
    w?.();
  };
  let bytesOut = 0;
  let wakePump: (() => void) | null = null;
  const pumpUp = () => {
    const w = wakePump;
    wakePump = null;
    w?.();
  };
  let exited = false;
  worker.on('message', (m: FromReader) => {
    if (m.t === 'consumed') {
      bytesOut -= m.bytes;
      pumpUp();
    } else if (m.t === 'warning') onWarning?.(m.msg);
    else happen(m);
  });
  worker.on('error', (err) => happen({ t: 'crash', err }));
  worker.on('exit', (code) => {
    exited = true;
    pumpUp();
    happen({ t: 'exit', code });
  });
  const onAbort = () => happen({ t: 'abort' });
  signal?.addEventListener('abort', onAbort, { once: true });

  const next = async (): Promise<Happening> => {
    while (happenings.length === 0) {
      worker.ref();
      await new Promise<void>((resolve) => (wakeMain = resolve));
      worker.unref();
    }
    return happenings.shift()!;
  };

  // The source, read on this thread and posted.
  let stopped = false;
  let inputDone = false;
  let inputError: unknown = null;
  const fileChunks = source instanceof ReadStream;
  const it = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const pumping = (async () => {
    try {
      for (;;) {
        while (bytesOut >= INPUT_AHEAD && !stopped && !exited) await new Promise<void>((resolve) => (wakePump = resolve));
        if (stopped || exited) return;
        const r = await it.next();
        if (stopped || exited) return;
        if (r.done) {
          inputDone = true;
          worker.postMessage({ t: 'end' } satisfies ToReader);
          return;
        }
        bytesOut += r.value.byteLength;
        const buf = ownBuffer(r.value, fileChunks);
        worker.postMessage({ t: 'chunk', buf } satisfies ToReader, [buf]);
      }
    } catch (err) {
      inputDone = true;
      inputError = err;
      if (!stopped && !exited) worker.postMessage({ t: 'input-error', err: serializeError(err) } satisfies ToReader);
    }
  })();

  let header: Header | null = null;
  const datasetOf = (index: number) => {
    const ds = header?.datasets[index - 1];
    if (!ds) throw new Error(`the reader thread named dataset ${index}, which the header does not hold`);
    return ds;
  };
  let ended = false;
  try {
    for (;;) {
      const h = happenings.shift() ?? (await next());
      switch (h.t) {
        case 'header':
          header = h.header;
          yield { type: 'header', header: h.header, sha256: h.sha256, size: h.size };
          break;
        case 'lines': {
          // The last batch's records are garbage by now (reader.ts, checkedBatches).
          if (h.garbage) leftGarbage(h.garbage);
          const bytes = Buffer.from(h.bytes.buffer, h.bytes.byteOffset, h.bytes.byteLength);
          const records = new Array<AnyRecord>(h.ends.length);
          // Handed to sinks: payload numbers keep their written form (json.ts, spec section 15.3).
          // The reader checked each line's UTF-8; each text dies as soon as it is parsed.
          for (let i = 0, start = 0; i < h.ends.length; start = h.ends[i++]!) records[i] = parseRecordLine(bytes.toString('utf8', start, h.ends[i]), MAX_RECORD_NESTING) as AnyRecord;
          // The texts are copies: the batch's buffer goes back to the reader, to be filled again.
          const buf = h.bytes.buffer as ArrayBuffer;
          worker.postMessage({ t: 'credit', buf } satisfies ToReader, [buf]);
          yield { type: 'records', dataset: datasetOf(h.dataset), kind: h.kind, entry: h.entry, firstLine: h.firstLine, records, hashes: h.hashes };
          break;
        }
        case 'shard':
          yield { type: 'shard', dataset: datasetOf(h.dataset), shard: h.shard };
          break;
        case 'trailer':
          yield { type: 'trailer', trailer: h.trailer, digests: h.digests, unknownEntries: h.unknownEntries };
          break;
        case 'done':
          ended = true;
          return;
        case 'error':
          ended = true;
          throw h.input && inputError !== null ? inputError : deserializeError(h.err);
        case 'abort':
          throw abortError(signal!);
        case 'crash':
          ended = true;
          throw h.err;
        case 'exit':
          ended = true;
          throw new Error(`the reader thread ended (exit code ${h.code}) before the archive did`);
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopped = true;
    pumpUp();
    if (!ended && !exited) {
      // Stopped early (the consumer left, or an abort): the reader ends its read as readArchive's
      // own cleanup would (a graph's node table file), then the thread is ended.
      worker.postMessage({ t: 'stop' } satisfies ToReader);
      const grace = setTimeout(() => happen({ t: 'exit', code: -1 }), STOP_GRACE_MS);
      for (;;) {
        const h = await next();
        if (h.t === 'done' || h.t === 'error' || h.t === 'crash' || h.t === 'exit') break;
      }
      clearTimeout(grace);
    }
    await worker.terminate();
    // The source is released, as readArchive's pipeline releases it.
    if (!inputDone) {
      if (isReadable(source)) source.destroy();
      else void it.return?.()?.catch?.(() => {});
    }
    // A source this side cannot destroy may never answer a pending read: it is not waited for.
    if (isReadable(source) || inputDone) await pumping;
  }
}
