/**
 * importArchive: one archive in, datasets restored through a sink. Targets are prepared from the
 * header before any data; records reach the sink only from verified shards; nothing is committed
 * (made visible) before the trailer is verified; any failure aborts every opened dataset sink.
 */
import type { Readable } from 'node:stream';
import { readArchive, type ReaderOptions } from '../format/reader.ts';
import type { HeaderDataset } from '../format/header.ts';
import { datasetFamily, datasetStore, legacyKind, nativeConfig, neutralSchema } from '../format/datasets.ts';
import type { CommitReport, DatasetDescriptor, DatasetSink, Sink, SinkContext } from './adapter.ts';

export interface ImportOptions {
  input: Readable | AsyncIterable<Uint8Array>;
  sink: Sink;
  resume?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  reader?: Omit<ReaderOptions, 'signal'>;
  onRecords?: (n: number) => void;
}

export interface ImportResult {
  datasets: CommitReport[];
  skipped: string[];
}

/** The in-memory descriptor of a header dataset of either major version (src/format/datasets.ts). */
export function descriptorOf(d: HeaderDataset, formatMajor: number): DatasetDescriptor {
  const family = datasetFamily(d);
  const store = datasetStore(d);
  return { name: d.name, kind: legacyKind(family, store), family, store, schema: neutralSchema(d), fingerprint: nativeConfig(d), source: d.source as DatasetDescriptor['source'], formatMajor };
}

export async function importArchive(opts: ImportOptions): Promise<ImportResult> {
  const sinks = new Map<number, { sink: DatasetSink; done: Set<string> }>();
  const skipped: string[] = [];
  try {
    const reports: CommitReport[] = [];
    for await (const ev of readArchive(opts.input, { ...opts.reader, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      switch (ev.type) {
        case 'header': {
          const ctx: SinkContext = { runId: ev.sha256, resume: opts.resume ?? false, dryRun: opts.dryRun ?? false, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}) };
          // Every dataset finds its sink before any target is opened: a dataset that no sink can
          // take (a store missing from this build) stops the import with nothing touched.
          const chosen: Array<{ index: number; descriptor: DatasetDescriptor; sink: DatasetSink }> = [];
          for (const d of ev.header.datasets) {
            const descriptor = descriptorOf(d, ev.header.formatVersion.major);
            const sink = await opts.sink.dataset(descriptor);
            if (sink) chosen.push({ index: d.index, descriptor, sink });
            else skipped.push(d.name);
          }
          for (const { index, descriptor, sink } of chosen) {
            sinks.set(index, { sink, done: new Set() });
            const opened = await sink.open(descriptor, ctx);
            for (const e of opened?.done ?? []) sinks.get(index)!.done.add(e);
            if (opened?.done?.length) opts.log?.(`${descriptor.name}: resuming, ${opened.done.length} shards already loaded`);
          }
          break;
        }
        case 'records': {
          const s = sinks.get(ev.dataset.index);
          if (!s || s.done.has(ev.entry)) break;
          await s.sink.write(ev.kind, ev.records, opts.signal);
          opts.onRecords?.(ev.records.length);
          break;
        }
        case 'shard': {
          const s = sinks.get(ev.dataset.index);
          if (!s || s.done.has(ev.shard.entry)) break;
          await s.sink.shardDone({ entry: ev.shard.entry, kind: ev.shard.kind, seq: ev.shard.seq, records: ev.shard.records });
          break;
        }
        case 'trailer': {
          for (const [index, s] of sinks) {
            const td = ev.trailer.datasets[index - 1]!;
            reports.push(await s.sink.commit({ records: td.records, digest: td.digest }));
          }
          sinks.clear();
          break;
        }
      }
    }
    return { datasets: reports, skipped };
  } catch (err) {
    for (const s of sinks.values()) await s.sink.abort(err);
    throw err;
  } finally {
    await opts.sink.close().catch(() => {});
  }
}
