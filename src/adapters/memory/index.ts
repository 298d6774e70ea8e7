/**
 * An in-memory sink that keeps nothing but a content digest per dataset and, at commit, checks it
 * against the archive's: the read-back half of the demo, and a reference sink for the conformance
 * tests. Optionally it keeps the records (tests only: memory grows with the data).
 */
import { MemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import type { AnyRecord, RecordKind } from '../../format/records.ts';
import type { CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, Sink } from '../../core/adapter.ts';

export { memoryDescriptor } from './descriptor.ts';

export interface MemoryDataset {
  descriptor: DatasetDescriptor;
  records: Partial<Record<RecordKind, AnyRecord[]>>;
  committed: boolean;
  aborted: boolean;
}

export function memorySink(opts: { keepRecords?: boolean; rename?: Record<string, string> } = {}): Sink & { datasets: Map<string, MemoryDataset> } {
  const datasets = new Map<string, MemoryDataset>();
  return {
    datasets,
    async dataset(descriptor) {
      const entry: MemoryDataset = { descriptor, records: {}, committed: false, aborted: false };
      const digest = new DatasetDigest({ ...(descriptor.formatMajor ? { major: descriptor.formatMajor } : {}) });
      let dryRun = false;
      const sink: DatasetSink = {
        async open(_d, ctx) {
          dryRun = ctx.dryRun;
          datasets.set(opts.rename?.[descriptor.name] ?? descriptor.name, entry);
        },
        async write(kind, batch) {
          for (const r of batch) digest.add(kind, r);
          if (opts.keepRecords) ((entry.records[kind] ??= []) as AnyRecord[]).push(...(batch as AnyRecord[]));
        },
        async shardDone() {},
        async verify(expected: DatasetTotals): Promise<CommitReport> {
          digest.dropNodeTable(); // every record is in; a big graph's node table holds a temporary file
          const got = digest.hex();
          for (const [kind, n] of Object.entries(expected.records)) {
            if ((digest.counts[kind as RecordKind] ?? 0) !== n) {
              throw new MemarcError('VERIFY_FAILED', `${descriptor.name}: read ${digest.counts[kind as RecordKind] ?? 0} ${kind} records, the archive holds ${n}`);
            }
          }
          if (got !== expected.digest) throw new MemarcError('VERIFY_FAILED', `${descriptor.name}: content digest ${got} differs from the archive's ${expected.digest}`);
          return { dataset: descriptor.name, target: 'memory', records: { ...digest.counts }, digest: got, actions: ['read back and digested every record'] };
        },
        undoable: () => true,
        async publish() {
          entry.committed = !dryRun;
          return { actions: [], undoable: true };
        },
        async undo() {
          entry.committed = false;
          return 'unpublished';
        },
        async finish() {
          return [];
        },
        async abort() {
          digest.dropNodeTable();
          entry.aborted = true;
          return { kept: false, message: `dropped what "${descriptor.name}" held in memory` };
        },
        async discard() {
          return 'nothing to drop: memory keeps nothing between runs';
        },
      };
      return sink;
    },
    async close() {},
  };
}
