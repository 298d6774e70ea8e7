/**
 * What a Neo4j "graph" (a memarc dataset) is. Neo4j Community has one user database, so memarc
 * knows two kinds of graph (README "Neo4j"; spec/FORMAT.md 15.6):
 *
 * - the **whole database**, named by the database's name (`neo4j`): every node and relationship;
 * - a **labelled graph** inside it, named by any other name `G`: the nodes carrying the label `G`
 *   and the relationships between two of them. The label `G` marks membership and is not one of
 *   the archived node's labels. Several graphs can live side by side in one database this way
 *   (the tests do; so can several restored archives).
 *
 * Labels beginning with `memarc_` are memarc's own, for the length of a restore (staging, the
 * previous version kept for undo, the newly published nodes until the run is finished): nodes
 * carrying `memarc_stage_…` or `memarc_prev_…` are not part of any graph, and no `memarc_` label
 * is ever archived. Properties beginning with `__memarc_` exist only on staged nodes and edges.
 */
import { createHash } from 'node:crypto';
import { normKey } from '../../format/digest.ts';
import type { NodeKey } from '../../format/records.ts';
import { ident } from './schema.ts';

export const RESERVED_LABEL = 'memarc_';
export const KEY_PROP = '__memarc_key';
export const LABELS_PROP = '__memarc_labels';
export const SEQ_PROP = '__memarc_seq';

export interface Scope {
  /** The dataset's name: the database's name, or the graph label. */
  name: string;
  /** The graph label, or null for the whole database. */
  label: string | null;
}

export function scopeOf(name: string, database: string): Scope {
  return { name, label: name === database ? null : name };
}

/** A node pattern for the graph's nodes, and the WHERE condition that leaves memarc's own out. */
export function nodeMatch(scope: Scope, v: string): string {
  const l = scope.label ? `:${ident(scope.label)}` : '';
  return `(${v}${l}) WHERE NOT any(x IN labels(${v}) WHERE x STARTS WITH 'memarc_stage_' OR x STARTS WITH 'memarc_prev_')`;
}

/** The labels to archive: without the graph label and memarc's own. */
export function archivedLabels(scope: Scope, labels: string[]): string[] {
  return labels.filter((l) => l !== scope.label && !l.startsWith(RESERVED_LABEL));
}

export interface RunLabels {
  stage: string;
  prev: string;
  fresh: string;
  index: string;
}

/** The labels of one restore run into a target (the run id is the archive header's SHA-256). */
export function runLabels(target: string, runId: string): RunLabels {
  const slug = createHash('sha256').update(runId).digest('hex').slice(0, 12);
  return {
    stage: `memarc_stage_${target}_${slug}`,
    prev: `memarc_prev_${target}_${slug}`,
    fresh: `memarc_new_${target}_${slug}`,
    index: `memarc_stage_${target}_${slug}_key`,
  };
}

/** An archive key as the text stored in `__memarc_key`: the integer 5 and the string "5" differ. */
export function keyText(k: NodeKey): string {
  const n = normKey(k);
  return typeof n === 'string' ? `s:${n}` : `i:${String(n)}`;
}

/**
 * The archive key back from its `__memarc_key` text, for the read-back's digest: integer keys as
 * numbers, so its node table keeps dense keys by address (33 bytes a node, past 65,536 nodes one
 * bit and a temporary file) rather than a Map of strings (about 90 bytes a node at 1 M).
 */
export function keyOf(text: string): NodeKey {
  if (/^i:-?\d+$/.test(text)) return normKey(BigInt(text.slice(2)));
  // "s:" and its string. Anything else was not written by memarc: kept as it is, so the
  // read-back's digest differs from the archive's (or its node table refuses a repeated key).
  return text.startsWith('s:') ? text.slice(2) : text;
}
