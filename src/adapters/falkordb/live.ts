/**
 * Reading a live graph (the default export): read-only paged queries against the graph itself,
 * no copy. Each page is one `GRAPH.RO_QUERY` and so one consistent state of the graph, but pages
 * are read at different times, so the whole is "fuzzy", like a dump taken without a snapshot:
 * a record reflects the graph when its page was read.
 *
 * Two things keep the archive sound and say how fuzzy it is:
 * - `IdSet` (src/core/id-set.ts): the ids of the nodes written to the archive. An edge is only
 *   written when both its endpoints are in the set; an edge whose endpoint was created after the
 *   nodes were read is left out and counted (the archive's node shards are complete by then, so
 *   such a node cannot be brought along). Before the node shards close, the reader reads the
 *   windows above the highest id it started with again, so nodes created meanwhile with new ids
 *   are brought along.
 * - `GraphState`, taken before the first page and after the last: node and edge counts (kept by
 *   the server, free to read) and the highest node id (one scan of the node ids, about 15 ms per
 *   100k nodes). The highest edge id would cost a scan of every edge under the read lock (170 ms
 *   at 400k edges), longer than a page holds writers up, for little more: a created edge already
 *   changes the edge count. Any difference, or record counts that differ from the counts before,
 *   or a left-out edge, marks the graph as changed during the export.
 *
 * What this cannot see: a node deleted during the export whose id a node created during the
 * export takes over (FalkorDB reuses ids) while the counts stay equal, and property updates.
 */
import { IdSet } from '../../core/id-set.ts';
import type { JsonObject } from '../../format/records.ts';
import type { FalkorClient } from './client.ts';
import { decode } from './compact.ts';

export interface GraphState {
  nodes: number;
  edges: number;
  /** Highest node id, -1 for none. */
  maxNodeId: number;
}

async function scalar(client: FalkorClient, graph: string, cypher: string): Promise<number> {
  const { rows } = await client.query(graph, cypher, {}, true);
  const v = decode(rows[0]![0]!);
  return v === null ? -1 : Number(v);
}

export async function graphState(client: FalkorClient, graph: string): Promise<GraphState> {
  return {
    nodes: await scalar(client, graph, 'MATCH (n) RETURN count(n)'),
    edges: await scalar(client, graph, 'MATCH ()-[e]->() RETURN count(e)'),
    maxNodeId: await scalar(client, graph, 'MATCH (n) RETURN max(id(n))'),
  };
}

/** What one live read saw, for the change check and the archive's notes. */
export class LiveRead {
  readonly seen = new IdSet();
  before: GraphState | null = null;
  after: GraphState | null = null;
  nodesRead = 0;
  edgesRead = 0;
  /** Edges left out because an endpoint is not in the archive. */
  edgesLeftOut = 0;

  get changed(): boolean {
    const b = this.before;
    const a = this.after;
    if (!b || !a) return false;
    return b.nodes !== a.nodes || b.edges !== a.edges || b.maxNodeId !== a.maxNodeId ||
      this.nodesRead !== b.nodes || this.edgesRead !== b.edges || this.edgesLeftOut > 0;
  }

  /** One line for the log when the graph changed during the read, else null. */
  describe(graph: string): string | null {
    if (!this.changed) return null;
    const b = this.before!;
    const a = this.after!;
    const parts = [`nodes ${b.nodes} → ${a.nodes}`, `edges ${b.edges} → ${a.edges}`, `highest node id ${b.maxNodeId} → ${a.maxNodeId}`,
      `archived ${this.nodesRead} node(s) and ${this.edgesRead} edge(s)`];
    if (this.edgesLeftOut > 0) parts.push(`left out ${this.edgesLeftOut} edge(s) whose endpoint was created after the nodes were read`);
    return `graph "${graph}" changed during the export (${parts.join('; ')}): the archive is fuzzy, each page as it was when read, and every edge's endpoints are in it; for one point in time use --snapshot copy, or export from a replica`;
  }

  notes(): JsonObject {
    const out: JsonObject = { consistency: 'fuzzy', changedDuringExport: this.changed, nodesRead: this.nodesRead, edgesRead: this.edgesRead, edgesLeftOut: this.edgesLeftOut };
    if (this.before) out.before = { ...this.before };
    if (this.after) out.after = { ...this.after };
    return out;
  }
}
