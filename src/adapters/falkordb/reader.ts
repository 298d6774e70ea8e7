/**
 * Reads a whole graph as archive records, paged with an id cursor
 * (`WHERE id(n) > $last … ORDER BY id(n) LIMIT $k`, never SKIP). A node's key is its internal
 * id, so this must read a graph nobody writes to (a point-in-time copy, or a staging graph)
 * for keys to be unique and edges to point at the right nodes.
 */
import { MemarcError } from '../../errors.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import type { FalkorClient, Reply } from './client.ts';
import { decode, decodeProp, patchExact, type RawEdge, type RawNode } from './compact.ts';
import { exactDoublesExpr } from './exact-double.ts';

/** Label, relationship type and property key names by id (the order db.labels() & co. list them). */
export class SchemaNames {
  private labels: string[] = [];
  private types: string[] = [];
  private keys: string[] = [];
  private readonly client: FalkorClient;
  private readonly graph: string;

  constructor(client: FalkorClient, graph: string) {
    this.client = client;
    this.graph = graph;
  }

  async refresh(): Promise<void> {
    const col = async (proc: string): Promise<string[]> =>
      (await this.client.query(this.graph, `CALL ${proc}()`, {}, true)).rows.map((r) => String(decode(r[0]!)));
    this.labels = await col('db.labels');
    this.types = await col('db.relationshipTypes');
    this.keys = await col('db.propertyKeys');
  }

  /** Resolves every id of a page, refreshing once if the schema grew meanwhile. */
  async ensure(labelIds: number[], typeIds: number[], keyIds: number[]): Promise<void> {
    const missing = labelIds.some((i) => this.labels[i] === undefined) || typeIds.some((i) => this.types[i] === undefined) || keyIds.some((i) => this.keys[i] === undefined);
    if (!missing) return;
    await this.refresh();
    if (labelIds.some((i) => this.labels[i] === undefined) || typeIds.some((i) => this.types[i] === undefined) || keyIds.some((i) => this.keys[i] === undefined)) {
      throw new MemarcError('STORE_ERROR', `graph "${this.graph}": a label, type or property id has no name in the schema`);
    }
  }

  label(i: number): string { return this.labels[i]!; }
  type(i: number): string { return this.types[i]!; }
  key(i: number): string { return this.keys[i]!; }
}

export interface ReadOptions {
  pageSize: number;
  exactDoubles: boolean;
  signal?: AbortSignal;
}

function checkAbort(signal: AbortSignal | undefined, graph: string): void {
  if (signal?.aborted) throw new MemarcError('INTERRUPTED', `reading graph "${graph}" was interrupted`, { cause: signal.reason });
}

function buildProps(raw: Array<[number, Reply]>, exact: Reply | undefined, names: SchemaNames, where: string): { [k: string]: TypedValue } {
  const out: { [k: string]: TypedValue } = {};
  for (const [keyId, cell] of raw) out[names.key(keyId)] = decodeProp(cell, where);
  if (Array.isArray(exact)) {
    // exact is a compact array of [key, e, m] triples (exact-double.ts)
    for (const cell of (exact[1] as Reply[]) ?? []) {
      const [k, e, m] = ((cell as Reply[])[1] as Reply[]).map((c) => (c as Reply[])[1]);
      const key = String(k);
      const cur = out[key];
      if (cur !== undefined) out[key] = patchExact(cur, Number(e), BigInt(String(m)));
    }
  }
  return out;
}

export async function* readNodes(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<NodeRecord[]> {
  const extra = opts.exactDoubles ? `, ${exactDoublesExpr('n')}` : '';
  const cypher = `MATCH (n) WHERE id(n) > $last WITH n ORDER BY id(n) LIMIT $k RETURN n${extra}`;
  let last = -1;
  for (;;) {
    checkAbort(opts.signal, graph);
    const { rows } = await client.query(graph, cypher, { last, k: opts.pageSize }, true);
    if (rows.length === 0) return;
    const raws = rows.map((r) => (decode(r[0]!) as { node: RawNode }).node);
    await names.ensure(raws.flatMap((n) => n.labelIds), [], raws.flatMap((n) => n.props.map((p) => p[0])));
    const batch: NodeRecord[] = raws.map((n, i) => ({
      key: n.id,
      labels: n.labelIds.map((l) => names.label(l)),
      props: buildProps(n.props, rows[i]![1], names, `graph "${graph}", node ${n.id}`),
    }));
    last = raws[raws.length - 1]!.id;
    yield batch;
    if (rows.length < opts.pageSize) return;
  }
}

export async function* readEdges(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<EdgeRecord[]> {
  const extra = opts.exactDoubles ? `, ${exactDoublesExpr('e')}` : '';
  const cypher = `MATCH ()-[e]->() WHERE id(e) > $last WITH e ORDER BY id(e) LIMIT $k RETURN e${extra}`;
  let last = -1;
  for (;;) {
    checkAbort(opts.signal, graph);
    const { rows } = await client.query(graph, cypher, { last, k: opts.pageSize }, true);
    if (rows.length === 0) return;
    const raws = rows.map((r) => (decode(r[0]!) as { edge: RawEdge }).edge);
    await names.ensure([], raws.map((e) => e.typeId), raws.flatMap((e) => e.props.map((p) => p[0])));
    const batch: EdgeRecord[] = raws.map((e, i) => ({
      type: names.type(e.typeId),
      src: e.src,
      dst: e.dst,
      props: buildProps(e.props, rows[i]![1], names, `graph "${graph}", edge ${e.id}`),
    }));
    last = raws[raws.length - 1]!.id;
    yield batch;
    if (rows.length < opts.pageSize) return;
  }
}
