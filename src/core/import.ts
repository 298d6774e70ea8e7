/**
 * importArchive: one archive in, datasets restored through a sink. Every target is inspected from
 * the header before any data (so `--if-exists fail` refuses before anything is written); records
 * reach the sinks only from verified shards; nothing is published before the trailer is verified,
 * and then all datasets or none (src/core/restore.ts). With `rollback`, only the header is read and
 * each sink drops what an interrupted run of this archive left.
 */
import type { Readable } from 'node:stream';
import { readArchive, type ArchiveEvent, type ReaderOptions } from '../format/reader.ts';
import { readArchiveInThread } from '../format/reader-thread.ts';
import type { HeaderDataset } from '../format/header.ts';
import { Checkpoints, stateDir } from './checkpoint.ts';
import { datasetFamily, datasetStore, legacyKind, nativeConfig, neutralSchema } from '../format/datasets.ts';
import type { CommitReport, DatasetDescriptor, DatasetSink, Sink, SinkContext } from './adapter.ts';
import { abortAll, commitAll, type Loaded } from './restore.ts';
import { isMemarcError } from '../errors.ts';
import { Sections } from '../format/collect.ts';

export interface ImportOptions {
  input: Readable | AsyncIterable<Uint8Array>;
  sink: Sink;
  resume?: boolean;
  /** Drop what an interrupted run of this archive left (staging targets, checkpoints); load nothing. */
  rollback?: boolean;
  dryRun?: boolean;
  /** Where checkpoints live (src/core/checkpoint.ts); `false`: keep none. */
  stateDir?: string | false;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  reader?: Omit<ReaderOptions, 'signal'>;
  /**
   * Read, check and digest the archive on a thread of its own (format/reader-thread.ts), so that
   * this thread only parses records, converts them for the stores and checks what they hold.
   * Faster where this process has a core to spare (servers on other machines); no faster where
   * the servers share this machine's cores, and about 30 MiB more memory either way
   * (bench/RESULTS.md, "Session 12"). Default false; ignored with reader options only the
   * one-thread reader has (`checkShardFirst`, `records: false`, `decode: false`).
   */
  readerThread?: boolean;
  onRecords?: (n: number) => void;
}

export interface ImportResult {
  datasets: CommitReport[];
  skipped: string[];
  /** With `rollback`: what was dropped, per dataset. */
  rolledBack?: string[];
}

/** The in-memory descriptor of a header dataset of either major version (src/format/datasets.ts). */
export function descriptorOf(d: HeaderDataset, formatMajor: number): DatasetDescriptor {
  const family = datasetFamily(d);
  const store = datasetStore(d);
  return { name: d.name, kind: legacyKind(family, store), family, store, schema: neutralSchema(d), fingerprint: nativeConfig(d), source: d.source as DatasetDescriptor['source'], formatMajor };
}

/** The reader options left once one pass with records is settled (the reader thread's). */
function withoutPassOptions(o: ReaderOptions): Omit<ReaderOptions, 'checkShardFirst' | 'records' | 'decode'> {
  const { checkShardFirst: _c, records: _r, decode: _d, ...rest } = o;
  return rest;
}

/**
 * The reader's options for an import, given the sinks the header picked (filled in before the
 * first shard is read): one pass over each shard; each dataset's batches the size its sink asks
 * for (DatasetSink.writeBytes); the records of a dataset without a target, or of a shard a resumed
 * run loaded, checked and not handed on. Reader options the caller gives win.
 */
export function importReaderOptions(opts: Pick<ImportOptions, 'reader' | 'signal'>, sinks: ReadonlyMap<number, { sink: Pick<DatasetSink, 'writeBytes' | 'digestsTarget'>; done: ReadonlySet<string> }>): ReaderOptions {
  const batchBytes = opts.reader?.batchBytes ?? ((d: HeaderDataset) => sinks.get(d.index)?.sink.writeBytes);
  const wants = opts.reader?.wants ?? ((d: HeaderDataset, entry: string) => sinks.get(d.index)?.done.has(entry) === false);
  // A dataset whose sink digests the target itself and compares that with the trailer's digest
  // is checked but not hashed by the reader: the sink's comparison covers the archive's records
  // too (DatasetSink.digestsTarget), so hashing each record twice bought nothing.
  const digest = opts.reader?.digest ?? ((d: HeaderDataset) => sinks.get(d.index)?.sink.digestsTarget !== true);
  return { checkShardFirst: false, ...opts.reader, batchBytes, wants, digest, ...(opts.signal ? { signal: opts.signal } : {}) };
}

export async function importArchive(opts: ImportOptions): Promise<ImportResult> {
  const sinks = new Map<number, { name: string; sink: DatasetSink; done: Set<string> }>();
  const skipped: string[] = [];
  let keep = false;
  let events: AsyncGenerator<ArchiveEvent, void, undefined> | null = null;
  try {
    let reports: CommitReport[] = [];
    // One pass over each shard (reader.ts checkShardFirst): records reach the sinks as they are
    // checked, and a shard that fails part way fails the import after some of its records were
    // written; every sink's load is staged and rolled back then, as after an interrupt mid-shard.
    // Checking a shard whole before handing it on parsed every record twice.
    const readerOpts = importReaderOptions(opts, sinks);
    const threaded = (opts.readerThread ?? false) && !readerOpts.checkShardFirst && readerOpts.records !== false && readerOpts.decode !== false;
    events = threaded ? readArchiveInThread(opts.input, withoutPassOptions(readerOpts)) : readArchive(opts.input, readerOpts);
    /** The reader's next event, asked for ahead of time (see 'shard'). */
    let ahead: Promise<IteratorResult<ArchiveEvent, void>> | null = null;
    /** Each dataset's records of one kind are a section (format/collect.ts). */
    const sections = new Sections();
    for (;;) {
      const r: IteratorResult<ArchiveEvent, void> = await (ahead ?? events.next());
      ahead = null;
      if (r.done) break;
      const ev = r.value;
      switch (ev.type) {
        case 'header': {
          const dryRun = opts.dryRun ?? false;
          const checkpoints = dryRun || opts.stateDir === false ? null : new Checkpoints(stateDir(opts.stateDir), ev.sha256);
          keep = checkpoints !== null;
          const ctx: SinkContext = { runId: ev.sha256, resume: opts.resume ?? false, dryRun, checkpoints, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}) };
          const picked: Array<{ d: HeaderDataset; descriptor: DatasetDescriptor; sink: DatasetSink }> = [];
          for (const d of ev.header.datasets) {
            const descriptor = descriptorOf(d, ev.header.formatVersion.major);
            const sink = await opts.sink.dataset(descriptor);
            if (!sink) skipped.push(d.name);
            else picked.push({ d, descriptor, sink });
          }
          if (opts.rollback) {
            const rolledBack: string[] = [];
            for (const p of picked) rolledBack.push(`${p.d.name}: ${await p.sink.discard(p.descriptor, ctx)}`);
            return { datasets: [], skipped, rolledBack };
          }
          // Every refusal (a target that exists under `fail`, another schema) before any write.
          for (const p of picked) await p.sink.inspect?.(p.descriptor, ctx);
          for (const p of picked) {
            sinks.set(p.d.index, { name: p.d.name, sink: p.sink, done: new Set() });
            const opened = await p.sink.open(p.descriptor, ctx);
            for (const e of opened?.done ?? []) sinks.get(p.d.index)!.done.add(e);
            if (opened?.done?.length) opts.log?.(`${p.d.name}: resuming, ${opened.done.length} shards already loaded`);
          }
          break;
        }
        case 'records': {
          const s = sinks.get(ev.dataset.index);
          if (!s || s.done.has(ev.entry)) break;
          sections.enter(`${ev.dataset.index} ${ev.kind}`);
          await s.sink.write(ev.kind, ev.records, opts.signal, ev.hashes);
          opts.onRecords?.(ev.records.length);
          break;
        }
        case 'shard': {
          const s = sinks.get(ev.dataset.index);
          if (!s || s.done.has(ev.shard.entry)) break;
          // The reader reads the next shard and checks its first batch (CPU here) while the sink
          // waits for this shard's last writes (the server's work); its records reach the sink
          // only after this shard is durable. Without it the target sat idle meanwhile.
          ahead = events.next();
          ahead.catch(() => {}); // awaited by the loop, or settled before return() below
          await s.sink.shardDone({ entry: ev.shard.entry, kind: ev.shard.kind, seq: ev.shard.seq, records: ev.shard.records });
          break;
        }
        case 'trailer': {
          const loaded: Loaded[] = [];
          for (const [index, s] of sinks) {
            const td = ev.trailer.datasets[index - 1]!;
            loaded.push({ name: s.name, sink: s.sink, expected: { records: td.records, digest: td.digest } });
          }
          sinks.clear(); // from here on, commitAll rolls back what it must
          reports = await commitAll(loaded, opts.log);
          break;
        }
      }
    }
    return { datasets: reports, skipped };
  } catch (err) {
    // An interrupt surfaces as whatever the call in progress threw; the signal's reason says what happened.
    const why = opts.signal?.aborted && isMemarcError(opts.signal.reason) ? opts.signal.reason : err;
    // The reader stops first (after a look-ahead in progress), as a for-await loop's exit would.
    await events?.return(undefined).catch(() => {});
    throw await abortAll([...sinks.values()], why, keep, opts.log);
  } finally {
    // A return or break out of the loop: the reader releases its input, as for-await would.
    await events?.return(undefined).catch(() => {});
    await opts.sink.close().catch(() => {});
  }
}
