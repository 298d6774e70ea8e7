/**
 * Qdrant as a source: one dataset per collection, fingerprints captured before any data, points
 * scrolled in id order in pages bounded by both a point count and a byte budget.
 *
 * The byte bound matters because a page is held in memory whole, and points vary from a few bytes
 * to megabytes (a 1536-float vector is ~33 KB of JSON, a multivector many times that). The first
 * page asks for a few points; each later page's limit is the byte budget divided by the bytes per
 * point observed so far (growing at most twice per page), capped by the count bound.
 */
import { vectorsSchema } from './neutral.ts';
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { PointRecord, RecordByKind, RecordKind } from '../../format/records.ts';
import { QdrantApi, type ScrollPage } from './api.ts';
import { recordFromQdrant, type QdrantId, type QdrantPoint } from './convert.ts';
import { vectorSpecs, type VectorSpec } from './fingerprint.ts';
import { QdrantHttp } from './http.ts';
import { vectorHazard } from './restorable.ts';
import type { RetryPolicy } from './retry.ts';

export interface QdrantSourceOptions {
  url: string;
  apiKey?: string;
  /** Collections to export (aliases resolve to their collection); all when absent. */
  collections?: string[];
  /** Most points per scrolled page (default 128; a second page is read while one is written). */
  batchPoints?: number;
  /**
   * Most bytes per scrolled page, as JSON (default 1 MiB: about 120 points of 768 floats as Qdrant
   * prints them). A page's text and objects are alive with the next page's and with the sink's
   * requests, so this bounds much of a migration's memory: at 100k 768-dim points, pages of 128
   * points (2.1 MB as the bench's emulator prints doubles) peaked at 138–142 MiB, pages of 64 at
   * 129–130, at the same speed (bench/RESULTS.md, "Session 7").
   */
  batchBytes?: number;
  log?: (m: string) => void;
  retry?: Partial<RetryPolicy>;
}

const FIRST_LIMIT = 16;
/** Points with a value Qdrant would not restore, named one by one per collection before a summary. */
const HAZARDS_NAMED = 10;

/**
 * Checks every vector of a scrolled page for values Qdrant would not store back as they are
 * (restorable.ts): a NaN the server holds (it arrives as `null`, and the archive keeps it as NaN,
 * convert.ts) in a vector of any distance or a sparse vector's values, and a Cosine vector whose
 * normalisation would overflow.
 */
function pageHazards(points: QdrantPoint[], specs: Map<string, VectorSpec>, report: (id: QdrantId, what: string) => void): void {
  if (specs.size === 0) return;
  for (const p of points) {
    const v = p.vector;
    if (!v) continue;
    const named: Record<string, unknown> = Array.isArray(v) || v instanceof Float32Array ? { '': v } : (v as Record<string, unknown>);
    const found: string[] = [];
    for (const spec of specs.values()) {
      const value = named[spec.name];
      let rows: Array<ArrayLike<number | null>>;
      if (value instanceof Float32Array) {
        rows = [value]; // read by point-scan.ts: never a NaN (the server's null is left to JSON.parse)
      } else if (Array.isArray(value)) {
        if (value.length === 0) continue;
        rows = (Array.isArray(value[0]) ? value : [value]) as Array<Array<number | null>>;
      } else if (typeof value === 'object' && value !== null && Array.isArray((value as { values?: unknown }).values)) {
        rows = [(value as { values: Array<number | null> }).values];
      } else {
        continue;
      }
      const hazard = vectorHazard(rows, spec);
      if (hazard) found.push(`vector ${JSON.stringify(spec.name)}: ${hazard}`);
    }
    if (found.length > 0) report(p.id, found.join('; '));
  }
}

/** The next page limit from the bytes per point observed so far. */
export function nextLimit(current: number, bytesPerPoint: number, batchPoints: number, batchBytes: number): number {
  const fit = Math.floor(batchBytes / Math.max(1, bytesPerPoint));
  return Math.max(1, Math.min(batchPoints, fit, current * 2));
}

/** The collection memarc 0.1 kept its checkpoints in; now they are local files (src/core/checkpoint.ts). */
const LEGACY_CHECKPOINTS = 'memarc_checkpoints';

export function qdrantSource(opts: QdrantSourceOptions): Source {
  const log = opts.log ?? (() => {});
  const http = new QdrantHttp({ url: opts.url, apiKey: opts.apiKey, retry: opts.retry, log });
  const api = new QdrantApi(http);
  const batchPoints = Math.max(1, opts.batchPoints ?? 128);
  const batchBytes = Math.max(1024, opts.batchBytes ?? 1024 * 1024);

  async function* scrollAll(collection: string, specs: Map<string, VectorSpec>, signal?: AbortSignal): AsyncGenerator<PointRecord[]> {
    let limit = Math.min(FIRST_LIMIT, batchPoints);
    let seenBytes = 0;
    let seenPoints = 0;
    let hazards = 0;
    const warn = (id: QdrantId, what: string): void => {
      if (++hazards <= HAZARDS_NAMED) {
        log(`qdrant: warning: collection "${collection}", point ${String(id)}: ${what}; the archive keeps it as the server holds it, but a restore into Qdrant will refuse this point`);
      }
    };
    // The next page is asked for as soon as this one's offset is known, so the server reads it
    // while this one is converted and written: two pages at most, one in flight.
    let pending: Promise<ScrollPage> | null = api.scroll(collection, null, limit, signal);
    while (pending) {
      const page: ScrollPage = await pending;
      pending = null;
      if (page.points.length > 0) {
        seenBytes += page.bytes;
        seenPoints += page.points.length;
        // The largest recent page dominates: a run of big points after small ones must shrink the limit at once.
        const perPoint = Math.max(seenBytes / seenPoints, page.bytes / page.points.length);
        limit = nextLimit(limit, perPoint, batchPoints, batchBytes);
      }
      if (page.next !== null && page.next !== undefined) {
        pending = api.scroll(collection, page.next, limit, signal);
        pending.catch(() => {}); // awaited on the next turn; dropped if the consumer stops first
      }
      if (page.points.length > 0) {
        pageHazards(page.points, specs, warn);
        yield page.points.map(recordFromQdrant);
      }
    }
    if (hazards > 0) log(`qdrant: warning: collection "${collection}": ${hazards} point(s) hold values Qdrant would not store back as they are${hazards > HAZARDS_NAMED ? ` (the first ${HAZARDS_NAMED} are named above)` : ''}`);
  }

  return {
    async open(signal) {
      const version = await api.serverVersion(signal);
      const aliases = await api.aliases(signal);
      let names: string[];
      if (opts.collections && opts.collections.length > 0) {
        names = [];
        for (const want of opts.collections) {
          const real = aliases.get(want);
          if (real !== undefined) log(`qdrant: "${want}" is an alias of collection "${real}"; exporting "${real}"`);
          names.push(real ?? want);
        }
        names = [...new Set(names)];
      } else {
        // memarc 0.1 kept resume checkpoints in this collection on the target: state, not data.
        names = (await api.listCollections(signal)).filter((n) => n !== LEGACY_CHECKPOINTS);
      }
      const out: DatasetSource[] = [];
      for (const name of names) {
        const fingerprint = await api.fingerprint(name, aliases, signal);
        if (!fingerprint) {
          throw new MemarcError('NOT_FOUND', `Qdrant at ${http.safeUrl} has no collection "${name}"`, {
            hint: 'check the name given to --collections (GET /collections lists them)',
            context: { dataset: name },
          });
        }
        out.push({
          descriptor: {
            name,
            kind: 'qdrant.collection',
            family: 'vectors',
            store: 'qdrant',
            schema: vectorsSchema(fingerprint),
            fingerprint,
            source: { type: 'qdrant', url: http.safeUrl, ...(version !== undefined ? { serverVersion: version } : {}) },
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            if (kind !== 'point') return (async function* () {})();
            return scrollAll(name, vectorSpecs(fingerprint), sig ?? signal) as AsyncIterable<RecordByKind[K][]>;
          },
        });
      }
      return out;
    },
    async close() {},
  };
}
