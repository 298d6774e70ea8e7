/**
 * Resume checkpoints of interrupted imports, stored on the target server itself: one point per
 * (run id, target collection) in a small collection `memarc_checkpoints` (a 1-dimensional
 * vector, the state in the payload), written with wait=true.
 *
 * Why on the target and not in a local file: the checkpoint describes the target's state, so it
 * must share the target's fate. A resume from another machine or container finds it; a target
 * that was wiped takes its checkpoints with it (and a checkpoint whose load collection is gone is
 * discarded, see the sink). Why not a point inside the loaded collection: that collection's
 * schema may require vectors of any size, and the point would skew the exact count that commit
 * verifies.
 *
 * The checkpoint holds the shard entries already durable and verified, the number of points they
 * held and the sum of their archive digests (digests of disjoint parts add up), so a resumed run
 * verifies the whole dataset without reading the finished part again.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../format/records.ts';
import type { QdrantApi } from './api.ts';
import { isMemarcError } from '../../errors.ts';

export const CHECKPOINT_COLLECTION = 'memarc_checkpoints';

export type LoadMode = 'create' | 'append' | 'replace';

export interface Checkpoint {
  runId: string;
  target: string;
  /** The collection the points are written into (the target, or a versioned one for replace). */
  load: string;
  mode: LoadMode;
  done: string[];
  points: number;
  digest: string;
  /** The indexing threshold to restore after the load (null: none was deferred). */
  indexingThreshold: number | null;
}

/** A deterministic UUID for (run id, target), so that a resumed run finds its checkpoint. */
export function checkpointId(runId: string, target: string): string {
  const h = createHash('sha256').update(`memarc.checkpoint\n${runId}\n${target}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function fromPayload(p: JsonObject | null | undefined): Checkpoint | null {
  if (!p || p.kind !== 'memarc.checkpoint' || p.version !== 1) return null;
  const done = Array.isArray(p.done) ? p.done.filter((x): x is string => typeof x === 'string') : [];
  if (typeof p.runId !== 'string' || typeof p.target !== 'string' || typeof p.load !== 'string') return null;
  if (p.mode !== 'create' && p.mode !== 'append' && p.mode !== 'replace') return null;
  if (typeof p.points !== 'number' || typeof p.digest !== 'string' || !/^[0-9a-f]{64}$/.test(p.digest)) return null;
  return {
    runId: p.runId,
    target: p.target,
    load: p.load,
    mode: p.mode,
    done,
    points: p.points,
    digest: p.digest,
    indexingThreshold: typeof p.indexingThreshold === 'number' ? p.indexingThreshold : null,
  };
}

export class CheckpointStore {
  private readonly api: QdrantApi;

  constructor(api: QdrantApi) {
    this.api = api;
  }

  async load(runId: string, target: string, signal?: AbortSignal): Promise<Checkpoint | null> {
    try {
      const pts = await this.api.retrieve(CHECKPOINT_COLLECTION, [checkpointId(runId, target)], signal);
      const cp = fromPayload(pts[0]?.payload);
      return cp && cp.runId === runId && cp.target === target ? cp : null;
    } catch (err) {
      if (isMemarcError(err, 'NOT_FOUND')) return null;
      throw err;
    }
  }

  async save(cp: Checkpoint, signal?: AbortSignal): Promise<void> {
    const point = {
      id: checkpointId(cp.runId, cp.target),
      vector: [0],
      payload: { kind: 'memarc.checkpoint', version: 1, ...cp, done: [...cp.done], updatedAt: new Date().toISOString() } as JsonObject,
    };
    try {
      await this.api.upsert(CHECKPOINT_COLLECTION, [point], signal);
    } catch (err) {
      if (!isMemarcError(err, 'NOT_FOUND')) throw err;
      await this.ensureCollection(signal);
      await this.api.upsert(CHECKPOINT_COLLECTION, [point], signal);
    }
  }

  /** Removes the checkpoint, and the collection once it holds no other. Never throws. */
  async remove(runId: string, target: string): Promise<void> {
    try {
      await this.api.deletePoints(CHECKPOINT_COLLECTION, [checkpointId(runId, target)]);
      if ((await this.api.count(CHECKPOINT_COLLECTION)) === 0) await this.api.dropCollection(CHECKPOINT_COLLECTION);
    } catch {
      // A missing collection or a failed cleanup leaves at most a stale checkpoint, which a
      // later run overwrites or discards.
    }
  }

  private async ensureCollection(signal?: AbortSignal): Promise<void> {
    try {
      await this.api.createCollection(CHECKPOINT_COLLECTION, { vectors: { size: 1, distance: 'Dot' } }, signal);
    } catch (err) {
      // Another run created it first.
      if (!(isMemarcError(err, 'STORE_ERROR') && /already exists/i.test(err.message))) throw err;
    }
  }
}
