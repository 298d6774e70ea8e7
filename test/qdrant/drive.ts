/**
 * Drives the Qdrant source and sink directly, the way the core does: export every batch of a
 * source, then feed them to a sink in shards (open / write / shardDone / commit), with the
 * trailer's totals computed by DatasetDigest. Also raw REST helpers for setting up collections.
 */
import type { CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, Sink, SinkContext, Source } from '../../src/core/adapter.ts';
import { Checkpoints, stateDir } from '../../src/core/checkpoint.ts';
import { commitOne } from '../../src/core/restore.ts';
import { DatasetDigest } from '../../src/format/digest.ts';
import { parseJson, stringifyJson } from '../../src/format/json.ts';
import type { PointRecord } from '../../src/format/records.ts';
import { qdrantHeaders } from '../helpers/qdrant.ts';
import { prng } from '../../src/adapters/synthetic/index.ts';

export interface Exported {
  descriptor: DatasetDescriptor;
  records: PointRecord[];
  batches: number[];
}

export async function exportAll(source: Source): Promise<Exported[]> {
  const out: Exported[] = [];
  try {
    for (const ds of await source.open()) {
      const records: PointRecord[] = [];
      const batches: number[] = [];
      for await (const b of ds.batches('point')) {
        records.push(...b);
        batches.push(b.length);
      }
      out.push({ descriptor: ds.descriptor, records, batches });
    }
  } finally {
    await source.close();
  }
  return out;
}

export function totalsOf(records: PointRecord[]): DatasetTotals {
  const d = new DatasetDigest();
  for (const r of records) d.add('point', r);
  return { records: { point: records.length }, digest: d.hex() };
}

export interface LoadOptions {
  runId?: string;
  resume?: boolean;
  dryRun?: boolean;
  /** Records per shard (default 50) and per write() call (default 20). */
  shardSize?: number;
  writeSize?: number;
  /** Stop after this many shards without commit or abort, as a killed process would. */
  killAfterShards?: number;
  /** Call abort(err) after this many shards (a failure reported by the core). */
  abortAfterShards?: number;
  log?: (m: string) => void;
  /** The trailer's totals to commit against (default: those of `records`). */
  expected?: DatasetTotals;
  /** Each record's digest hash given with every write, as the reader gives them, or with every other one. */
  hashes?: 'all' | 'alternate';
}

/** The reader's hashes of `records` (32 bytes a record, in order). */
export function hashesOf(records: PointRecord[]): Uint8Array {
  const d = new DatasetDigest();
  const out = new Uint8Array(32 * records.length);
  records.forEach((r, i) => out.set(d.add('point', r), 32 * i));
  return out;
}

export interface LoadResult {
  sink: DatasetSink;
  done: string[];
  written: string[];
  report?: CommitReport;
}

/** Feeds records to one dataset sink as the core would; throws what the sink throws (after abort). */
export async function loadInto(sink: Sink, descriptor: DatasetDescriptor, records: PointRecord[], o: LoadOptions = {}): Promise<LoadResult> {
  const ds = await sink.dataset(descriptor);
  if (!ds) throw new Error(`sink skipped dataset ${descriptor.name}`);
  const runId = o.runId ?? 'run-' + Math.random().toString(16).slice(2);
  const ctx: SinkContext = { runId, resume: o.resume ?? false, dryRun: o.dryRun ?? false, checkpoints: o.dryRun ? null : new Checkpoints(stateDir(), runId), log: o.log };
  const shardSize = o.shardSize ?? 50;
  const writeSize = o.writeSize ?? 20;
  const written: string[] = [];
  let done: string[] = [];
  try {
    const opened = await ds.open(descriptor, ctx);
    done = opened?.done ?? [];
    const skip = new Set(done);
    let shards = 0;
    for (let s = 0; s * shardSize < records.length; s++) {
      const entry = `${descriptor.name}/point-${String(s).padStart(6, '0')}.ndjson.gz`;
      if (skip.has(entry)) continue;
      const part = records.slice(s * shardSize, (s + 1) * shardSize);
      for (let i = 0; i < part.length; i += writeSize) {
        const batch = part.slice(i, i + writeSize);
        const given = o.hashes === 'all' || (o.hashes === 'alternate' && (i / writeSize) % 2 === 0);
        await ds.write('point', batch, undefined, given ? hashesOf(batch) : undefined);
      }
      await ds.shardDone({ entry, kind: 'point', seq: s, records: part.length });
      written.push(entry);
      shards++;
      if (o.killAfterShards !== undefined && shards >= o.killAfterShards) return { sink: ds, done, written };
      if (o.abortAfterShards !== undefined && shards >= o.abortAfterShards) {
        await ds.abort(new Error('stopped by the test'));
        return { sink: ds, done, written };
      }
    }
  } catch (err) {
    const outcome = await ds.abort(err);
    o.log?.(outcome.message);
    throw err;
  }
  const report = await commitOne(descriptor.name, ds, o.expected ?? totalsOf(records));
  return { sink: ds, done, written, report };
}

/** A raw REST call for test setup and inspection; big integers stay exact. */
export async function rest<T = unknown>(url: string, apiKey: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, { method, headers: qdrantHeaders(apiKey), body: body === undefined ? undefined : stringifyJson(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return (parseJson(text) as { result: T }).result;
}

export async function collectionNames(url: string, apiKey?: string): Promise<string[]> {
  const r = await rest<{ collections: Array<{ name: string }> }>(url, apiKey, 'GET', '/collections');
  return r.collections.map((c) => c.name).sort();
}

export async function aliasMap(url: string, apiKey?: string): Promise<Map<string, string>> {
  const r = await rest<{ aliases: Array<{ alias_name: string; collection_name: string }> }>(url, apiKey, 'GET', '/aliases');
  return new Map(r.aliases.map((a) => [a.alias_name, a.collection_name]));
}

/** A deterministic pseudo-random generator, so failures reproduce. */
export const rng = prng;

export function randomVector(r: () => number, dim: number): number[] {
  return Array.from({ length: dim }, () => Math.fround(r() * 2 - 1));
}
