/**
 * Reads a whole graph as archive records. A node's key is its internal id, so this must read a
 * graph nobody writes to (a point-in-time copy, or a staging graph) for keys to be unique and
 * edges to point at the right nodes.
 *
 * - Nodes and edges are paged through windows of node ids (windows.ts): nodes by their own id,
 *   edges by their source node's (`MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi`: a
 *   node-id seek, then each node's outgoing edges). FalkorDB 4.16 has no edge id seek, so an
 *   `id(e)` cursor rescans every edge on every page (2.5× slower at 200k edges). Every edge has
 *   one source, so the windows cover each edge once.
 * - Two pages are in flight while the client decodes the current one and the consumer writes;
 *   pages arrive on the page connections (page-connection.ts) and are decoded in place.
 * - Exact doubles (exact-double.ts): one column per property key seen holding a double; a page
 *   that holds a double under another key gets a follow-up query with the generic expression.
 */
import { MemarcError } from '../../errors.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import { typedDouble } from '../../format/records.ts';
import type { FalkorClient, Reply } from './client.ts';
import { decode, decodeProp, patchExact, type RawEdge, type RawNode, type RawProp } from './compact.ts';
import { columnable, exactColumn, exactDoublesExpr, exactGuard, fromSignificand, NO_EXACT } from './exact-double.ts';
import { windowPages, type PageQuery, type WindowQueries } from './windows.ts';

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
  /** Page requests in flight at once (default 2, see windows.ts). */
  depth?: number;
  signal?: AbortSignal;
}

function checkAbort(signal: AbortSignal | undefined, graph: string): void {
  if (signal?.aborted) throw new MemarcError('INTERRUPTED', `reading graph "${graph}" was interrupted`, { cause: signal.reason });
}

/** A page request, on one of the page connections. */
async function send(client: FalkorClient, graph: string, v: string, q: PageQuery, exact: boolean): Promise<Reply[][]> {
  let cypher = `${q.match} RETURN ${v}`;
  if (exact && q.keys.length > 0) {
    const guards = q.keys.map((k, i) => `${exactGuard(v, k)} AS x${i}`).join(', ');
    cypher = `${q.match} WITH ${v}, ${guards} RETURN ${v}, ${q.keys.map((_k, i) => exactColumn(`x${i}`)).join(', ')}`;
  }
  return (await client.queryPage(graph, cypher, q.params)).rows;
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
function wantsExact(p: RawProp, value: TypedValue): boolean {
  if (!isExactable(value)) return false;
  if (Number.isFinite(value.double)) return true;
  const text = p[2];
  return text !== 'inf' && text !== '-inf';
}

/** Every label, type and property key id of a page, for SchemaNames.ensure. */
function pageIds(raws: Array<{ labelIds?: number[]; typeId?: number; props: RawProp[] }>): [number[], number[], number[]] {
  const labels: number[] = [];
  const types: number[] = [];
  const keys: number[] = [];
  for (const r of raws) {
    if (r.labelIds) for (const l of r.labelIds) labels.push(l);
    if (r.typeId !== undefined) types.push(r.typeId);
    for (const p of r.props) keys.push(Number(p[0]));
  }
  return [labels, types, keys];
}

/**
 * Props of one entity into `out`. Exact columns (`keys`, from `row[1…]`) patch the doubles they
 * cover; returns true when a double was left without its exact value.
 */
function buildProps(raw: RawProp[], row: Reply[], keys: string[], names: SchemaNames, dk: DoubleKeys, where: () => string, out: { [k: string]: TypedValue }): boolean {
  let want: string[] | null = null;
  for (const p of raw) {
    const name = names.key(Number(p[0]));
    const value = decodeProp(p, where);
    out[name] = value;
    if (wantsExact(p, value)) {
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
  await names.ensure([], [], props.flatMap((p) => p.map((x) => Number(x[0]))));
  for (const p of props) {
    for (const x of p) if (wantsExact(x, decodeProp(x, () => `graph "${graph}"`))) dk.add(names.key(Number(x[0])));
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

/** Requests in flight at once, each on its own connection (windows.ts). */
const DEPTH = 2;

async function scalar(client: FalkorClient, graph: string, cypher: string): Promise<number> {
  const { rows } = await client.query(graph, cypher, {}, true);
  const v = decode(rows[0]![0]!);
  return v === null ? -1 : Number(v);
}

const NODE_WINDOWS: WindowQueries = {
  window: (lo, hi, k) => ({ match: 'MATCH (n) WHERE id(n) >= $lo AND id(n) < $hi WITH n LIMIT $k', params: { lo, hi, k } }),
};

const EDGE_WINDOWS: WindowQueries = {
  window: (lo, hi, k) => ({ match: 'MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi WITH e LIMIT $k', params: { lo, hi, k } }),
  hub: (lo, last, k) => ({ match: 'MATCH (a)-[e]->() WHERE id(a) = $lo AND id(e) > $last WITH e ORDER BY id(e) LIMIT $k', params: { lo, last, k } }),
};

export async function* readNodes(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<NodeRecord[]> {
  const nodes = await scalar(client, graph, 'MATCH (n) RETURN count(n)');
  if (nodes === 0) return;
  const maxId = await scalar(client, graph, 'MATCH (n) RETURN max(id(n))');
  yield* readPages(client, graph, names, opts, 'n', NODE_WINDOWS, maxId, nodes / (maxId + 1), (cell) => (decode(cell) as { node: RawNode }).node, (n, props) => ({
    key: n.id,
    labels: n.labelIds.map((l) => names.label(l)),
    props,
  }));
}

export async function* readEdges(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<EdgeRecord[]> {
  const edges = await scalar(client, graph, 'MATCH ()-[e]->() RETURN count(e)');
  if (edges === 0) return;
  const nodes = await scalar(client, graph, 'MATCH (n) RETURN count(n)');
  const maxId = await scalar(client, graph, 'MATCH (n) RETURN max(id(n))');
  // Edge windows are windows of source-node ids: the density is edges per node.
  yield* readPages(client, graph, names, opts, 'e', EDGE_WINDOWS, maxId, edges / Math.max(nodes, 1), (cell) => (decode(cell) as { edge: RawEdge }).edge, (e, props) => ({
    type: names.type(e.typeId),
    src: e.src,
    dst: e.dst,
    props,
  }));
}

/**
 * The page loop shared by nodes (`v` = 'n') and edges ('e'): windowed pages, label/type/key
 * names resolved per page, typed properties, and the exact-double follow-up for a page that
 * holds a double under a key not seen before.
 */
async function* readPages<Raw extends { id: number; labelIds?: number[]; typeId?: number; props: RawProp[] }, R>(
  client: FalkorClient,
  graph: string,
  names: SchemaNames,
  opts: ReadOptions,
  v: 'n' | 'e',
  windows: WindowQueries,
  maxId: number,
  density: number,
  unwrap: (cell: Reply) => Raw,
  toRecord: (raw: Raw, props: { [k: string]: TypedValue }) => R,
): AsyncGenerator<R[]> {
  const what = v === 'n' ? 'node' : 'edge';
  const dk = new DoubleKeys();
  if (opts.exactDoubles) await seedKeys(client, graph, names, dk, v);
  const plan = { maxId, density, pageSize: opts.pageSize, depth: opts.depth ?? DEPTH };
  const pages = windowPages(plan, windows, (q) => send(client, graph, v, q, opts.exactDoubles), () => [...dk.list], rowId);
  for await (const { rows, q } of pages) {
    checkAbort(opts.signal, graph);
    const raws = rows.map((r) => unwrap(r[0]!));
    await names.ensure(...pageIds(raws));
    let missing = false;
    const propsOf = raws.map((raw, i) => {
      const props: { [k: string]: TypedValue } = {};
      if (buildProps(raw.props, rows[i]!, q.keys, names, dk, () => `graph "${graph}", ${what} ${raw.id}`, props) && opts.exactDoubles) missing = true;
      return props;
    });
    if (missing) await patchPage(client, graph, v, q, raws.map((r) => r.id), propsOf);
    yield raws.map((raw, i) => toRecord(raw, propsOf[i]!));
  }
}
