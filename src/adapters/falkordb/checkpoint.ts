/**
 * The resume state of one FalkorDB load, in a local checkpoint file (src/core/checkpoint.ts),
 * never on the server:
 * - the state: the staging graph, the shard entries already durable, and after the last durable
 *   shard the number of edges and the highest edge id in the staging graph;
 * - the journal: archive node key → node id in the staging graph, one line per node batch,
 *   appended once the batch's reply arrived (edges find their endpoints through it).
 *
 * A resume reconciles the staging graph with the checkpoint exactly, whatever the grouping of
 * the writes (by label set, type and property kinds, so landed records are no prefix of the
 * archive): nodes whose id no journal line names were written by a batch whose keys never
 * reached the journal, and are deleted; edges with an id above the checkpoint's highest were
 * written by the shard in flight, and are deleted. That shard is then written again. Edge ids
 * are allocated upwards and only the deleted ones are reused, so every edge of a done shard has
 * an id at most the highest; the edge count is checked after the cleanup all the same.
 */
import type { NodeKey } from '../../format/records.ts';

export function encodeKey(k: NodeKey): string {
  return typeof k === 'string' ? 's' + k : 'n' + k.toString();
}

export function decodeKey(s: string): NodeKey {
  if (s.startsWith('s')) return s.slice(1);
  const n = Number(s.slice(1));
  return Number.isSafeInteger(n) ? n : BigInt(s.slice(1));
}

export interface GraphCheckpoint {
  /** The staging graph. */
  load: string;
  mode: 'new' | 'replace';
  done: string[];
  /** Edges in the staging graph after the last done shard. */
  edges: number;
  /** The highest edge id then (-1: none). */
  maxEdge: number;
}

/** One journal line: [encoded key, node id] pairs of one node batch. */
export type KeyLine = Array<[string, number]>;
