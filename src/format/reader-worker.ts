/**
 * The reader thread's side (reader-thread.ts has the protocol): reads the archive's bytes as the
 * caller's thread posts them, runs the whole reader on them (tar, checksums, inflate, line and
 * record checks, digests, trailer) and posts its events back, each shard's checked lines as bytes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { leftGarbage } from './collect.ts';
import { LINES_BUFFER, readArchiveLines, type ReaderOptions } from './reader.ts';
import { serializeError, deserializeError, type ToReader } from './reader-thread.ts';

const port = parentPort!;
const opts = (workerData as { opts: Omit<ReaderOptions, 'signal' | 'onWarning'> }).opts;

/** Batches of lines the caller may still take before this thread waits (reader-thread.ts, LINES_AHEAD). */
const linesAhead = (workerData as { linesAhead: number }).linesAhead;
let credits = linesAhead;
let stopping = false;
const inbox: ToReader[] = [];
/**
 * Who waits for a message: the input (for a chunk) and the loop below (for a credit) can wait at
 * once, since the reader's pipeline pulls its input while the loop waits; every message wakes both.
 */
let waiting: Array<() => void> = [];
const wakeUp = () => {
  const ws = waiting;
  waiting = [];
  for (const w of ws) w();
};
/** Line buffers the caller gave back (reader-thread.ts): a batch's buffer is used again, not made anew. */
const spare: Uint8Array[] = [];
const lineBuffer = () => spare.pop() ?? new Uint8Array(LINES_BUFFER);
port.on('message', (m: ToReader) => {
  if (m.t === 'credit') {
    credits++;
    // Kept while fewer are spare than can be in flight; one grown for a long line is let go.
    if (m.buf && m.buf.byteLength === LINES_BUFFER && spare.length <= linesAhead) spare.push(new Uint8Array(m.buf));
  }
  else if (m.t === 'stop') stopping = true;
  else inbox.push(m);
  wakeUp();
});
const waitForMessage = () => new Promise<void>((resolve) => waiting.push(resolve));

/**
 * Dropped buffers count this many times over toward a collection (collect.ts): this thread's heap
 * is small, so collecting it often is cheap, and what it drops is MiB-sized.
 */
const GARBAGE_WEIGHT = 4;

/** The input error as this thread rebuilt it: the caller rethrows its own when this comes back. */
let inputError: unknown = null;

async function* input(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (stopping) throw Object.assign(new Error('the read was stopped'), { name: 'AbortError', code: 'ABORT_ERR' });
    const m = inbox.shift();
    if (!m) {
      await waitForMessage();
      continue;
    }
    if (m.t === 'end') return;
    if (m.t === 'input-error') throw (inputError = deserializeError(m.err));
    if (m.t === 'chunk') {
      port.postMessage({ t: 'consumed', bytes: m.buf.byteLength });
      // See the 'shard' case below.
      leftGarbage(m.buf.byteLength * GARBAGE_WEIGHT);
      yield new Uint8Array(m.buf);
    }
  }
}

const events = readArchiveLines(input(), { ...opts, onWarning: (msg) => port.postMessage({ t: 'warning', msg }) }, lineBuffer);
try {
  for await (const ev of events) {
    switch (ev.type) {
      case 'header':
        port.postMessage({ t: 'header', header: ev.header, sha256: ev.sha256, size: ev.size });
        break;
      case 'lines':
        while (credits <= 0 && !stopping) await waitForMessage();
        if (stopping) break;
        credits--;
        port.postMessage({ t: 'lines', dataset: ev.dataset.index, kind: ev.kind, entry: ev.entry, firstLine: ev.firstLine, bytes: ev.bytes, ends: ev.ends, hashes: ev.hashes, garbage: ev.garbage }, [ev.bytes.buffer as ArrayBuffer, ev.ends.buffer as ArrayBuffer, ev.hashes.buffer as ArrayBuffer]);
        break;
      case 'shard':
        // This thread's heap is small and grows slowly (it keeps no records), so V8 seldom
        // collects it on its own; the buffers it drops (input chunks, a shard's gzip bytes) are
        // outside it and would pile up meanwhile, tens of MiB (bench/RESULTS.md, "Session 12").
        leftGarbage(ev.shard.size * GARBAGE_WEIGHT);
        port.postMessage({ t: 'shard', dataset: ev.dataset.index, shard: ev.shard });
        break;
      case 'trailer':
        port.postMessage({ t: 'trailer', trailer: ev.trailer, digests: ev.digests, unknownEntries: ev.unknownEntries });
        break;
    }
    if (stopping) break;
  }
  port.postMessage({ t: 'done' });
} catch (err) {
  port.postMessage({ t: 'error', err: serializeError(err), input: err === inputError && err !== null });
}
// The generator's own cleanup (a graph's node table file) has run by now. The caller ends the
// thread once this last message is in; closing the port here could race with its delivery.
