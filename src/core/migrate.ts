/**
 * migrate: a source streamed straight into a sink, with no archive in between and the same
 * checks: the core digests every record it hands on and the sink must prove, at commit, that the
 * target holds exactly that (count and content digest). The stream is cut into pseudo-shards so a
 * sink checkpoints the same way as during an import.
 */
import { randomUUID } from 'node:crypto';
import { MemarcError } from '../errors.ts';
import { DatasetDigest } from '../format/digest.ts';
import { FAMILIES } from '../format/records.ts';
import { recordProblem } from '../format/validate.ts';
import { descriptorFamily, type CommitReport, type DatasetSink, type Sink, type Source } from './adapter.ts';

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
  const reports: CommitReport[] = [];
  const skipped: string[] = [];
  let current: DatasetSink | null = null;
  try {
    for (const ds of await opts.source.open(opts.signal)) {
      const d = ds.descriptor;
      const sink = await opts.sink.dataset(d);
      if (!sink) {
        skipped.push(d.name);
        continue;
      }
      current = sink;
      await sink.open(d, { runId, resume: false, dryRun: opts.dryRun ?? false, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.log ? { log: opts.log } : {}) });
      const digest = new DatasetDigest();
      for (const kind of FAMILIES[descriptorFamily(d)]) {
        let seq = 0;
        let inShard = 0;
        for await (const batch of ds.batches(kind, opts.signal)) {
          for (const rec of batch) {
            const problem = recordProblem(kind, rec);
            if (problem) throw new MemarcError('MALFORMED_RECORD', `${d.name}: a ${kind} record from the source is invalid: ${problem}`, { context: { dataset: d.name } });
            digest.add(kind, rec);
          }
          await sink.write(kind, batch, opts.signal);
          opts.onRecords?.(batch.length);
          inShard += batch.length;
          if (inShard >= shardRecords) {
            await sink.shardDone({ entry: `${runId}/${d.name}/${kind}-${++seq}`, kind, seq, records: inShard });
            inShard = 0;
          }
        }
        if (inShard > 0) await sink.shardDone({ entry: `${runId}/${d.name}/${kind}-${++seq}`, kind, seq, records: inShard });
      }
      reports.push(await sink.commit({ records: Object.fromEntries(FAMILIES[descriptorFamily(d)].map((k) => [k, digest.counts[k] ?? 0])), digest: digest.hex() }));
      current = null;
    }
    return { datasets: reports, skipped };
  } catch (err) {
    await current?.abort(err);
    throw err;
  } finally {
    await opts.source.close().catch(() => {});
    await opts.sink.close().catch(() => {});
  }
}
