/**
 * migrate: a source streamed straight into a sink, with no archive in between and the same
 * checks: the core digests every record it hands on and the sink must prove, at commit, that the
 * target holds exactly that (count and content digest). The stream is cut into pseudo-shards so a
 * sink sees shards the same way as during an import. A migration keeps no checkpoint (its run id is
 * random, nothing could resume it): any failure or interrupt rolls every dataset back. Every
 * dataset is loaded and verified before any is published (src/core/restore.ts).
 */
import { randomUUID } from 'node:crypto';
import { MemarcError, isMemarcError } from '../errors.ts';
import { DatasetDigest } from '../format/digest.ts';
import { Sections } from '../format/collect.ts';
import { FAMILIES } from '../format/records.ts';
import { recordProblem } from '../format/validate.ts';
import { descriptorFamily, type CommitReport, type DatasetSink, type DatasetSource, type Sink, type SinkContext, type Source } from './adapter.ts';
import { abortAll, commitAll, type Loaded } from './restore.ts';

export interface MigrateOptions {
  source: Source;
  sink: Sink;
  dryRun?: boolean;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** Records per pseudo-shard (checkpoint granularity). */
  shardRecords?: number;
  onRecords?: (n: number) => void;
}

export interface MigrateResult {
  datasets: CommitReport[];
  skipped: string[];
}

export async function migrate(opts: MigrateOptions): Promise<MigrateResult> {
  const shardRecords = opts.shardRecords ?? 10_000;
  const runId = `migrate-${randomUUID()}`;
  const skipped: string[] = [];
  const pending: Loaded[] = [];
  let current: { name: string; sink: DatasetSink } | null = null;
  const sections = new Sections();
  try {
    const ctx: SinkContext = { runId, resume: false, dryRun: opts.dryRun ?? false, checkpoints: null, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}) };
    const picked: Array<{ ds: DatasetSource; sink: DatasetSink }> = [];
    for (const ds of await opts.source.open(opts.signal)) {
      const sink = await opts.sink.dataset(ds.descriptor);
      if (!sink) skipped.push(ds.descriptor.name);
      else picked.push({ ds, sink });
    }
    // Every refusal (a target that exists under `fail`, another schema) before any write.
    for (const p of picked) await p.sink.inspect?.(p.ds.descriptor, ctx);
    for (const { ds, sink } of picked) {
      const d = ds.descriptor;
      current = { name: d.name, sink };
      await sink.open(d, ctx);
      const digest = new DatasetDigest();
      try {
        for (const kind of FAMILIES[descriptorFamily(d)]) {
          sections.enter(`${d.name} ${kind}`);
          let seq = 0;
          let inShard = 0;
          for await (const batch of ds.batches(kind, opts.signal)) {
            // Each record's hash goes to the sink with it, which then need not hash it again.
            const hashes = new Uint8Array(32 * batch.length);
            for (let i = 0; i < batch.length; i++) {
              const rec = batch[i]!;
              const problem = recordProblem(kind, rec);
              if (problem) throw new MemarcError('MALFORMED_RECORD', `${d.name}: a ${kind} record from the source is invalid: ${problem}`, { context: { dataset: d.name } });
              hashes.set(digest.add(kind, rec), 32 * i);
            }
            await sink.write(kind, batch, opts.signal, hashes);
            opts.onRecords?.(batch.length);
            inShard += batch.length;
            if (inShard >= shardRecords) {
              await sink.shardDone({ entry: `${runId}/${d.name}/${kind}-${++seq}`, kind, seq, records: inShard });
              inShard = 0;
            }
          }
          if (inShard > 0) await sink.shardDone({ entry: `${runId}/${d.name}/${kind}-${++seq}`, kind, seq, records: inShard });
        }
      } finally {
        digest.dropNodeTable(); // a big graph's node table holds a temporary file
      }
      pending.push({ name: d.name, sink, expected: { records: Object.fromEntries(FAMILIES[descriptorFamily(d)].map((k) => [k, digest.counts[k] ?? 0])), digest: digest.hex() } });
      current = null;
    }
  } catch (err) {
    const why = opts.signal?.aborted && isMemarcError(opts.signal.reason) ? opts.signal.reason : err;
    const e = await abortAll([...pending, ...(current ? [current] : [])], why, false, opts.log);
    await opts.sink.close().catch(() => {});
    throw e;
  } finally {
    await opts.source.close().catch(() => {});
  }
  try {
    const reports: CommitReport[] = await commitAll(pending, opts.log);
    return { datasets: reports, skipped };
  } finally {
    await opts.sink.close().catch(() => {});
  }
}
