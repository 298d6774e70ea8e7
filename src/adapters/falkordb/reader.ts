/**
 * Reads a whole graph as archive records. A node's key is its internal id, so this must read a
 * graph nobody writes to (a point-in-time copy, or a staging graph) for keys to be unique and
 * edges to point at the right nodes.
 *
 * - Nodes are paged with an id cursor (`WHERE id(n) > $last … ORDER BY id(n) LIMIT $k`, an id
 *   seek in 4.16, never SKIP).
 * - Edges are paged through windows of source-node ids (`MATCH (a)-[e]->() WHERE id(a) >= $lo
 *   AND id(a) < $hi`): a node-id seek, then each node's outgoing edges. FalkorDB 4.16 has no edge
 *   id seek, so an `id(e)` cursor rescans every edge on every page (2.5× slower at 200k edges).
 *   Every edge has one source, so the windows cover each edge once. A window is sized from the
 *   density seen so far; one that yields more than a page is dropped and retried smaller, and a
 *   node with more than a page of edges of its own is paged by `id(e)` among its edges only.
 * - The next page is requested before the current one is decoded and handed on, so the server
 *   works while the client decodes and the consumer writes.
 * - Exact doubles (exact-double.ts): one column per property key seen holding a double; a page
 *   that holds a double under another key gets a follow-up query with the generic expression.
 */
import { MemarcError } from '../../errors.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import { typedDouble } from '../../format/records.ts';
import type { CompactResult, FalkorClient, Reply } from './client.ts';
import { decode, decodeProp, patchExact, type RawEdge, type RawNode } from './compact.ts';
import { columnable, exactColumn, exactDoublesExpr, exactGuard, fromSignificand, NO_EXACT } from './exact-double.ts';
import type { ParamValue } from './params.ts';

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
    if (this.has(labelIds, typeIds, keyIds)) return;
    await this.refresh();
    if (!this.has(labelIds, typeIds, keyIds)) {
      throw new MemarcError('STORE_ERROR', `graph "${this.graph}": a label, type or property id has no name in the schema`);
    }
  }

  private has(labelIds: number[], typeIds: number[], keyIds: number[]): boolean {
    for (const i of labelIds) if (this.labels[i] === undefined) return false;
    for (const i of typeIds) if (this.types[i] === undefined) return false;
    for (const i of keyIds) if (this.keys[i] === undefined) return false;
    return true;
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

/** One page request: the MATCH part (ending in the entity variable `v`) and its parameters. */
interface PageQuery {
  match: string;
  params: Record<string, ParamValue>;
  /** Property keys with an exact column in this request, in column order. */
  keys: string[];
}

/** A request in flight. Its rejection is handled when awaited; a page never awaited is dropped. */
function send(client: FalkorClient, graph: string, v: string, q: PageQuery, exact: boolean): Promise<CompactResult> {
  let cypher = `${q.match} RETURN ${v}`;
  if (exact && q.keys.length > 0) {
    const guards = q.keys.map((k, i) => `${exactGuard(v, k)} AS x${i}`).join(', ');
    cypher = `${q.match} WITH ${v}, ${guards} RETURN ${v}, ${q.keys.map((_k, i) => exactColumn(`x${i}`)).join(', ')}`;
  }
  const p = client.query(graph, cypher, q.params, true);
  p.catch(() => {});
  return p;
}

/** The double property keys seen so far for one entity kind, which get exact columns. */
class DoubleKeys {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();

  add(key: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (columnable(key)) this.list.push(key);
  }
}

function isExactable(v: TypedValue | undefined): v is { double: number } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'double' in v && typeof v.double === 'number' && v.double !== 0 && !Number.isNaN(v.double);
}

/** A double whose exact value the server can give: finite, or 15-digit text that overflowed. */
function wantsExact(cell: Reply, value: TypedValue): boolean {
  if (!isExactable(value)) return false;
  if (Number.isFinite(value.double)) return true;
  const text = (cell as Reply[])[1];
  return text !== 'inf' && text !== '-inf';
}

/**
 * Props of one entity into `out`. Exact columns (`keys`, from `row[1…]`) patch the doubles they
 * cover; returns true when a double was left without its exact value.
 */
function buildProps(raw: Array<[number, Reply]>, row: Reply[], keys: string[], names: SchemaNames, dk: DoubleKeys, where: string, out: { [k: string]: TypedValue }): boolean {
  let want: string[] | null = null;
  for (const [keyId, cell] of raw) {
    const name = names.key(keyId);
    const value = decodeProp(cell, where);
    out[name] = value;
    if (wantsExact(cell, value)) {
      dk.add(name);
      (want ??= []).push(name);
    }
  }
  if (want === null) return false;
  let patched = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const cur = out[key];
    if (!isExactable(cur) || !want.includes(key)) continue;
    const m = (row[i + 1] as Reply[] | undefined)?.[1];
    if (typeof m !== 'string' || m === NO_EXACT) continue;
    const x = fromSignificand(Number(m), cur.double);
    // Guard against a misread: the exact value must agree with the compact text to 15 digits.
    if (Math.abs(x - cur.double) <= Math.abs(cur.double) * 1e-14) {
      out[key] = typedDouble(x);
      patched++;
    }
  }
  return patched < want.length;
}

/**
 * Seeds the exact columns from a sample of entities (`LIMIT` stops the scan early), so the first
 * pages need no follow-up query in the common case of keys that hold doubles everywhere.
 */
async function seedKeys(client: FalkorClient, graph: string, names: SchemaNames, dk: DoubleKeys, v: 'n' | 'e'): Promise<void> {
  const pattern = v === 'n' ? '(n)' : '()-[e]->()';
  const { rows } = await client.query(graph, `MATCH ${pattern} WITH ${v} LIMIT 1000 RETURN ${v}`, {}, true);
  const props = rows.map((r) => {
    const d = decode(r[0]!) as { node: RawNode } | { edge: RawEdge };
    return 'node' in d ? d.node.props : d.edge.props;
  });
  await names.ensure([], [], props.flatMap((p) => p.map((x) => x[0])));
  for (const p of props) {
    for (const [keyId, cell] of p) if (wantsExact(cell, decodeProp(cell, `graph "${graph}"`))) dk.add(names.key(keyId));
  }
}

/** Follow-up for a page with doubles under keys without a column: the generic expression. */
async function patchPage(client: FalkorClient, graph: string, v: string, q: PageQuery, ids: number[], props: Array<{ [k: string]: TypedValue }>): Promise<void> {
  const { rows } = await client.query(graph, `${q.match} RETURN id(${v}), ${exactDoublesExpr(v)}`, q.params, true);
  const byId = new Map<number, number>();
  ids.forEach((id, i) => byId.set(id, i));
  for (const row of rows) {
    const i = byId.get(Number((row[0] as Reply[])[1]));
    if (i === undefined) continue;
    const out = props[i]!;
    for (const cell of ((row[1] as Reply[])[1] as Reply[]) ?? []) {
      const [k, e, m] = ((cell as Reply[])[1] as Reply[]).map((c) => (c as Reply[])[1]);
      const key = String(k);
      const cur = out[key];
      if (cur !== undefined) out[key] = patchExact(cur, Number(e), BigInt(String(m)));
    }
  }
}

/** The id of the entity in a row's first cell, without decoding the rest. */
function rowId(row: Reply[]): number {
  return Number(((row[0] as Reply[])[1] as Reply[])[0]);
}

export async function* readNodes(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<NodeRecord[]> {
  const dk = new DoubleKeys();
  if (opts.exactDoubles) await seedKeys(client, graph, names, dk, 'n');
  const page = (last: number): PageQuery => ({
    match: 'MATCH (n) WHERE id(n) > $last WITH n ORDER BY id(n) LIMIT $k',
    params: { last, k: opts.pageSize },
    keys: [...dk.list],
  });
  let q = page(-1);
  let pending: Promise<CompactResult> | null = send(client, graph, 'n', q, opts.exactDoubles);
  while (pending) {
    checkAbort(opts.signal, graph);
    const { rows } = await pending;
    const cur = q;
    pending = null;
    if (rows.length === opts.pageSize) {
      q = page(rowId(rows[rows.length - 1]!));
      pending = send(client, graph, 'n', q, opts.exactDoubles);
    }
    if (rows.length === 0) return;
    const raws = rows.map((r) => (decode(r[0]!) as { node: RawNode }).node);
    await names.ensure(raws.flatMap((n) => n.labelIds), [], raws.flatMap((n) => n.props.map((p) => p[0])));
    let missing = false;
    const batch: NodeRecord[] = raws.map((n, i) => {
      const props: { [k: string]: TypedValue } = {};
      if (buildProps(n.props, rows[i]!, cur.keys, names, dk, `graph "${graph}", node ${n.id}`, props) && opts.exactDoubles) missing = true;
      return { key: n.id, labels: n.labelIds.map((l) => names.label(l)), props };
    });
    if (missing) await patchPage(client, graph, 'n', cur, raws.map((n) => n.id), batch.map((n) => n.props));
    yield batch;
  }
}

/** Source-node windows for edge paging (see the file comment). */
class EdgeWindows {
  private lo = 0;
  private width: number;
  private readonly target: number;
  private readonly maxId: number;
  /** Paging the edges of one node by id(e): the last edge id read, or null. */
  private hubLast: number | null = null;

  constructor(maxId: number, nodes: number, edges: number, pageSize: number) {
    this.maxId = maxId;
    this.target = Math.max(1, Math.floor(pageSize * 0.9));
    // The first window from the average out-degree; later ones from what the pages held.
    this.width = Math.max(1, Math.floor(this.target / Math.max(edges / Math.max(nodes, 1), 1e-9)));
  }

  /** The next request, or null when every source node was covered. */
  next(dk: DoubleKeys, pageSize: number): PageQuery | null {
    if (this.hubLast !== null) {
      return {
        match: 'MATCH (a)-[e]->() WHERE id(a) = $lo AND id(e) > $last WITH e ORDER BY id(e) LIMIT $k',
        params: { lo: this.lo, last: this.hubLast, k: pageSize },
        keys: [...dk.list],
      };
    }
    if (this.lo > this.maxId) return null;
    const hi = Math.min(this.lo + this.width, this.maxId + 1);
    return {
      match: 'MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi WITH e LIMIT $k',
      params: { lo: this.lo, hi, k: pageSize + 1 },
      keys: [...dk.list],
    };
  }

  /** Accounts for the answer to `q`; false when the page overflowed and is dropped. */
  done(q: PageQuery, rows: Reply[][], pageSize: number): boolean {
    if (this.hubLast !== null) {
      if (rows.length === pageSize) this.hubLast = rowId(rows[rows.length - 1]!);
      else {
        this.hubLast = null;
        this.lo += 1;
      }
      return true;
    }
    const span = Number(q.params.hi) - this.lo;
    if (rows.length > pageSize) {
      if (span === 1) this.hubLast = -1;
      else this.width = Math.max(1, Math.floor(span / 4));
      return false;
    }
    this.lo += span;
    const grow = rows.length === 0 ? span * 8 : Math.floor((span * this.target) / rows.length);
    this.width = Math.max(1, Math.min(grow, span * 8));
    return true;
  }
}

async function scalar(client: FalkorClient, graph: string, cypher: string): Promise<number> {
  const { rows } = await client.query(graph, cypher, {}, true);
  const v = decode(rows[0]![0]!);
  return v === null ? -1 : Number(v);
}

export async function* readEdges(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<EdgeRecord[]> {
  const edges = await scalar(client, graph, 'MATCH ()-[e]->() RETURN count(e)');
  if (edges === 0) return;
  const nodes = await scalar(client, graph, 'MATCH (n) RETURN count(n)');
  const maxId = await scalar(client, graph, 'MATCH (n) RETURN max(id(n))');
  const windows = new EdgeWindows(maxId, nodes, edges, opts.pageSize);
  const dk = new DoubleKeys();
  if (opts.exactDoubles) await seedKeys(client, graph, names, dk, 'e');
  let q = windows.next(dk, opts.pageSize);
  let pending: Promise<CompactResult> | null = q ? send(client, graph, 'e', q, opts.exactDoubles) : null;
  while (pending && q) {
    checkAbort(opts.signal, graph);
    const { rows } = await pending;
    const cur = q;
    const keep = windows.done(cur, rows, opts.pageSize);
    q = windows.next(dk, opts.pageSize);
    pending = q ? send(client, graph, 'e', q, opts.exactDoubles) : null;
    if (!keep || rows.length === 0) continue;
    const raws = rows.map((r) => (decode(r[0]!) as { edge: RawEdge }).edge);
    await names.ensure([], raws.map((e) => e.typeId), raws.flatMap((e) => e.props.map((p) => p[0])));
    let missing = false;
    const batch: EdgeRecord[] = raws.map((e, i) => {
      const props: { [k: string]: TypedValue } = {};
      if (buildProps(e.props, rows[i]!, cur.keys, names, dk, `graph "${graph}", edge ${e.id}`, props) && opts.exactDoubles) missing = true;
      return { type: names.type(e.typeId), src: e.src, dst: e.dst, props };
    });
    if (missing) await patchPage(client, graph, 'e', cur, raws.map((e) => e.id), batch.map((e) => e.props));
    yield batch;
  }
}
