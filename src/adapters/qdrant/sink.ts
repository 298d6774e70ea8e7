/**
 * Qdrant as a sink: one CollectionSink per selected dataset (collection-sink.ts). Works the same
 * for an archive import (shards) and a server-to-server migration (pseudo-shards).
 */
import { descriptorFamily, type DatasetDescriptor, type DatasetSink, type Sink } from '../../core/adapter.ts';
import { convertingSink } from './from-neutral.ts';
import { QdrantApi } from './api.ts';
import { CollectionSink, type IfExists, type VerifyMode } from './collection-sink.ts';
import { QdrantHttp } from './http.ts';
import type { RetryPolicy } from './retry.ts';

export interface QdrantSinkOptions {
  url: string;
  apiKey?: string;
  /** What to do when the target collection (or alias) exists; default 'fail'. */
  ifExists?: IfExists;
  /** Archive collection name → target collection name. */
  rename?: Record<string, string>;
  /** Archive collection names to load (before renaming); all when absent. */
  collections?: string[];
  /** Convert every vectors dataset of another store (migrate); else only those `collections` names. */
  convert?: boolean;
  /** `readback` (default): every batch is read back and compared; `count`: exact count and archive digest only. */
  verify?: VerifyMode;
  /**
   * Most points per upsert request (default 64). Six requests and their read-backs are in flight,
   * so this sets most of an import's memory beyond the CLI's own: with 768-dim vectors, 128 points
   * peaked at 157-168 MiB of RSS on a 100k-memory import and 64 at 136-143, for 5-10% more client
   * CPU (bench/RESULTS.md, "The whole job").
   */
  batchPoints?: number;
  /** Most estimated JSON bytes per upsert request (default 8 MiB; Qdrant refuses bodies over 32 MB). */
  batchBytes?: number;
  /**
   * Upserts, each followed by its read-back, in flight per collection (default 6). Each waits on
   * the server twice, so with three the server sat idle between them: a verified import of 100k
   * points into the (single-threaded) emulator took 48-50 s with three, 33-41 s with six and 35-36 s
   * with eight, at 118-119, 121-126 and 119-128 MiB of peak RSS (bench/RESULTS.md, session 10).
   */
  concurrency?: number;
  log?: (m: string) => void;
  retry?: Partial<RetryPolicy>;
}

export function qdrantSink(opts: QdrantSinkOptions): Sink {
  const log = opts.log ?? (() => {});
  const api = new QdrantApi(new QdrantHttp({ url: opts.url, apiKey: opts.apiKey, retry: opts.retry, log }));
  const selected = opts.collections && opts.collections.length > 0 ? new Set(opts.collections) : null;
  return {
    async dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null> {
      // Another store's vectors dataset is a conversion through the neutral schema (from-neutral.ts).
      const foreign = descriptor.kind !== 'qdrant.collection';
      if (foreign && descriptorFamily(descriptor) !== 'vectors') return null;
      if (selected && !selected.has(descriptor.name)) return null;
      // On import, another store's dataset only when --collections names it (never unasked).
      if (foreign && !opts.convert && !selected) return null;
      const sink = new CollectionSink({
        api,
        target: opts.rename?.[descriptor.name] ?? descriptor.name,
        ifExists: opts.ifExists ?? 'fail',
        verify: opts.verify ?? 'readback',
        batchPoints: Math.max(1, opts.batchPoints ?? 64),
        batchBytes: Math.max(64 * 1024, Math.min(opts.batchBytes ?? 8 * 1024 * 1024, 30 * 1024 * 1024)),
        concurrency: Math.min(8, Math.max(1, opts.concurrency ?? 6)),
        log,
      });
      return foreign ? convertingSink(sink, log) : sink;
    },
    async close() {},
  };
}
