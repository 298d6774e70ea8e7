/**
 * The resume state of one Qdrant load, kept in a local checkpoint file (src/core/checkpoint.ts),
 * never on the server: the shard entries already durable and verified, the number of points they
 * held and the sum of their archive digests (digests of disjoint parts add up), so a resumed run
 * verifies the whole dataset without reading the finished part again. Upserts by id are
 * idempotent, so the shard in flight when the run stopped is simply written again.
 *
 * Only `create` and `replace` loads keep one: `append` and `merge` write into the live collection
 * and are rolled back (append) or reported (merge) when they stop.
 */

export type LoadMode = 'create' | 'append' | 'merge' | 'replace';

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
  /** Replace, once published: the collection the target alias named before (kept until finish). */
  previous?: string;
}
