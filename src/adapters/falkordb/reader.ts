/**
 * Reads a whole graph as archive records. A node's key is its internal id. On a graph nobody
 * writes to (a point-in-time copy, a staging graph) the records are one state of the graph; on
 * a live graph (`live`, see live.ts) each page is one state, edges are only written when both
 * endpoints are in the archive, and the windows above the starting highest id are read again
 * before the node shards close.
 *
 * - Nodes and edges are paged through windows of node ids (windows.ts): nodes by their own id,
 *   edges by their source node's (`MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi`: a
 *   node-id seek, then each node's outgoing edges). FalkorDB 4.16 has no edge id seek, so an
 *   `id(e)` cursor rescans every edge on every page (2.5× slower at 200k edges). Every edge has
 *   one source, so the windows cover each edge once.
 * - Two pages are in flight while the client decodes the current one and the consumer writes;
 *   pages arrive on the page connections (page-connection.ts) and are decoded in place.
 * - Exact doubles (exact-double.ts): one column per property key seen holding doubles, and one
 *   per key seen holding arrays with doubles (nested arrays up to three levels). A page holding a double under a key without its
 *   column is asked for again with the columns it needs (and the generic expression for keys a
 *   query cannot name), so every page is decoded from one reply, one state of the graph.
 * - One value is archived with a change, and a warning naming the graph, entity and property:
 *   a double nested more than three arrays deep (15 significant digits). Every other value
 *   restores exactly (arrays holding points, vecf32, temporal values or non-finite doubles
 *   included, see write-batches.ts; a point coordinate −0, see compact.ts).
 */
import { MemarcError } from '../../errors.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import { typedDouble } from '../../format/records.ts';
import type { FalkorClient, Reply } from './client.ts';
import { decode, decodeProp, T, type RawEdge, type RawNode, type RawProp } from './compact.ts';
import { agrees, arrayColumn, columnable, EXACT_ARRAY_DEPTH, exactColumn, exactDoublesExpr, exactFrom, exactGuard, fromParts } from './exact-double.ts';
import { graphState, type LiveRead } from './live.ts';
import { windowPages, type ExactCols, type PageQuery, type WindowQueries } from './windows.ts';
import { setMember } from '../../format/json.ts';

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

  /**
   * Resolves every label, type and property key id of a page's entities (and `keyIds`),
   * refreshing once if the schema grew meanwhile. The page is walked where it lies: collecting its
   * ids into arrays first made a number per property of every record (5 % of a graph export's
   * allocation, bench/RESULTS.md session 9).
   */
  async ensurePage(raws: ReadonlyArray<PageEntity>, keyIds: readonly number[] = []): Promise<void> {
    if (this.knows(raws, keyIds)) return;
    await this.refresh();
    if (!this.knows(raws, keyIds)) {
      throw new MemarcError('STORE_ERROR', `graph "${this.graph}": a label, type or property id has no name in the schema`);
    }
  }

  private knows(raws: ReadonlyArray<PageEntity>, keyIds: readonly number[]): boolean {
    for (let i = 0; i < keyIds.length; i++) if (this.keys[keyIds[i]!] === undefined) return false;
    for (let j = 0; j < raws.length; j++) {
      const r = raws[j]!;
      const ls = r.labelIds;
      if (ls) for (let i = 0; i < ls.length; i++) if (this.labels[ls[i]!] === undefined) return false;
      if (r.typeId !== undefined && this.types[r.typeId] === undefined) return false;
      const ps = r.props;
      for (let i = 0; i < ps.length; i++) if (this.keys[Number(ps[i]![0])] === undefined) return false;
    }
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
  /** A live graph: archived node ids, counts, the states before and after (live.ts). */
  live?: LiveRead;
  /** Values archived with a change (−0 in a point, deeply nested doubles), named. */
  warn?: (msg: string) => void;
  /** The graph's name in messages, when the pages come from its copy. */
  name?: string;
}

function checkAbort(signal: AbortSignal | undefined, graph: string): void {
  if (signal?.aborted) throw new MemarcError('INTERRUPTED', `reading graph "${graph}" was interrupted`, { cause: signal.reason });
}

/** The property keys seen so far that hold doubles (scalar) or arrays with doubles, for one entity kind. */
class DoubleKeys {
  readonly scalars: string[] = [];
  readonly arrays: string[] = [];
  /** A double under a key no query can name (a backtick in it): the generic expression. */
  generic = false;
  private readonly seenScalar = new Set<string>();
  private readonly seenArray = new Set<string>();

  addScalar(key: string): void {
    if (this.seenScalar.has(key)) return;
    this.seenScalar.add(key);
    if (columnable(key)) this.scalars.push(key);
    else this.generic = true;
  }

  addArray(key: string): void {
    if (this.seenArray.has(key)) return;
    this.seenArray.add(key);
    if (columnable(key)) this.arrays.push(key);
  }

  cols(): ExactCols {
    return { keys: [...this.scalars], arrayKeys: [...this.arrays], generic: this.generic };
  }
}

/** A double's compact text that is not exact by itself (finite, not zero). */
function needsExact(text: string): boolean {
  if (text === 'inf' || text === '-inf' || text === 'nan' || text === '-nan') return false;
  return Number(text) !== 0;
}

function approxOf(text: string): number {
  return Number(text); // 'inf' never gets here; an overflowed finite text parses as ±Infinity
}

/** The props of an entity cell, without decoding the rest. */
function rawProps(cell: Reply): RawProp[] {
  const c = cell as Reply[];
  const v = c[1] as Reply[];
  return ((Number(c[0]) === T.NODE ? v[2] : v[4]) as RawProp[] | null) ?? [];
}

/** True when an array holds (within EXACT_ARRAY_DEPTH levels) a double whose text is not exact. */
function arrayNeedsExact(cells: Reply[], depth: number): boolean {
  for (const el of cells) {
    const e = el as Reply[];
    const code = Number(e[0]);
    if (code === T.DOUBLE && needsExact(String(e[1]))) return true;
    if (code === T.ARRAY && depth < EXACT_ARRAY_DEPTH && arrayNeedsExact((e[1] as Reply[]) ?? [], depth + 1)) return true;
  }
  return false;
}

/** Property key ids of a page whose values need exact columns: [scalar key ids, array key ids]. */
function exactKeyIds(rows: Reply[][]): [Set<number>, Set<number>] {
  const scalars = new Set<number>();
  const arrays = new Set<number>();
  for (const row of rows) {
    for (const p of rawProps(row[0]!)) {
      const code = Number(p[1]);
      if (code === T.DOUBLE) {
        if (needsExact(String(p[2]))) scalars.add(Number(p[0]));
      } else if (code === T.ARRAY && !arrays.has(Number(p[0])) && arrayNeedsExact((p[2] as Reply[]) ?? [], 1)) {
        arrays.add(Number(p[0]));
      }
    }
  }
  return [scalars, arrays];
}

/** Adds the page's double keys to `dk`; true when the request `cols` lacked a column for one. */
async function learnKeys(rows: Reply[][], cols: ExactCols | null, names: SchemaNames, dk: DoubleKeys): Promise<boolean> {
  const [scalars, arrays] = exactKeyIds(rows);
  if (scalars.size === 0 && arrays.size === 0) return false;
  await names.ensurePage([], [...scalars, ...arrays]);
  let missing = false;
  for (const id of scalars) {
    const k = names.key(id);
    dk.addScalar(k);
    if (cols && !(columnable(k) ? cols.keys.includes(k) : cols.generic)) missing = true;
  }
  for (const id of arrays) {
    const k = names.key(id);
    dk.addArray(k);
    if (cols && columnable(k) && !cols.arrayKeys.includes(k)) missing = true;
  }
  return missing;
}

function pageCypher(v: string, q: PageQuery): string {
  const { keys, arrayKeys, generic } = q.cols;
  if (keys.length === 0 && arrayKeys.length === 0 && !generic) return `${q.match} RETURN ${v}`;
  const guards = keys.map((k, i) => `, ${exactGuard(v, k)} AS x${i}`).join('');
  const cols = [...keys.map((_k, i) => exactColumn(`x${i}`)), ...arrayKeys.map((k) => arrayColumn(v, k)), ...(generic ? [exactDoublesExpr(v)] : [])];
  return `${q.match} WITH ${v}${guards} RETURN ${v}, ${cols.join(', ')}`;
}

/**
 * A page request, on one of the page connections. With exact doubles, a page holding a double
 * under a key its request had no column for is asked for again with the columns (at most a few
 * times: on a live graph a writer may keep adding keys); `q.cols` is updated to the reply's.
 */
async function send(client: FalkorClient, graph: string, v: string, q: PageQuery, exact: boolean, names: SchemaNames, dk: DoubleKeys): Promise<Reply[][]> {
  for (let attempt = 0; ; attempt++) {
    const rows = (await client.queryPage(graph, pageCypher(v, q), q.params)).rows;
    if (!exact || !(await learnKeys(rows, q.cols, names, dk))) return rows;
    if (attempt >= 4) throw new MemarcError('STORE_ERROR', `graph "${graph}": new property keys holding doubles kept appearing while a page was read`, { hint: 'run the export again, or with --snapshot copy' });
    q.cols = dk.cols();
  }
}

/** A failure to read a double exactly: never archive a changed value silently. */
function inexact(where: string, key: string): MemarcError {
  return new MemarcError('STORE_ERROR', `${where}, property "${key}": the server did not give the exact value of a double`, {
    hint: 'report this with the server version; the export stopped rather than archive a rounded value',
  });
}

/** Warns once per property key and kind of change. */
class Warnings {
  private readonly said = new Set<string>();
  private readonly warn: ((m: string) => void) | undefined;

  constructor(warn: ((m: string) => void) | undefined) {
    this.warn = warn;
  }

  once(kind: string, key: string, msg: () => string): void {
    if (!this.warn || this.said.has(`${kind}\u0000${key}`)) return;
    this.said.add(`${kind}\u0000${key}`);
    this.warn(msg());
  }
}

/** The typed props of one entity from its cells and the row's exact columns. */
function buildProps(raw: RawProp[], row: Reply[], cols: ExactCols, exact: boolean, names: SchemaNames, where: () => string, warnings: Warnings): { [k: string]: TypedValue } {
  const out: { [k: string]: TypedValue } = {};
  let generic: Map<string, [number, bigint]> | null = null;
  for (const p of raw) {
    const key = names.key(Number(p[0]));
    const code = Number(p[1]);
    if (code === T.DOUBLE && exact && needsExact(String(p[2]))) {
      const approx = approxOf(String(p[2]));
      let x: number | null = null;
      const i = cols.keys.indexOf(key);
      if (i >= 0) x = exactFrom((row[1 + i] as Reply[] | undefined)?.[1] as string | undefined, approx);
      else if (cols.generic) {
        generic ??= genericParts(row[1 + cols.keys.length + cols.arrayKeys.length]);
        const parts = generic.get(key);
        if (parts) {
          const y = fromParts(parts[0], parts[1]);
          if (agrees(y, approx)) x = y;
        }
      }
      if (x === null) throw inexact(where(), key);
      setMember(out, key, typedDouble(x));
      continue;
    }
    const value = decodeProp(p, where);
    if (code === T.ARRAY && exact) patchArray(p, value as TypedValue[], row, cols, key, where, warnings);
    setMember(out, key, value);
  }
  return out;
}

/**
 * Exact values for the doubles inside an array, from the key's array column (a list of the
 * array's shape, EXACT_ARRAY_DEPTH levels deep); deeper doubles keep 15 digits, with a warning.
 */
function patchArray(p: RawProp, value: TypedValue[], row: Reply[], cols: ExactCols, key: string, where: () => string, warnings: Warnings): void {
  const j = cols.arrayKeys.indexOf(key);
  const column = j >= 0 ? (row[1 + cols.keys.length + j] as Reply[] | undefined) : undefined;
  patchLevel((p[2] as Reply[]) ?? [], value, column ? ((column[1] as Reply[] | undefined) ?? []) : null, 1, key, where, warnings);
}

function patchLevel(cells: Reply[], value: TypedValue[], ms: Reply[] | null, depth: number, key: string, where: () => string, warnings: Warnings): void {
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as Reply[];
    const code = Number(c[0]);
    if (code === T.ARRAY) {
      if (depth < EXACT_ARRAY_DEPTH && ms !== null) {
        patchLevel((c[1] as Reply[]) ?? [], value[i] as TypedValue[], (((ms[i] as Reply[] | undefined)?.[1] as Reply[] | undefined) ?? []), depth + 1, key, where, warnings);
      } else if (JSON.stringify(c[1]).includes(`["${T.DOUBLE}"`)) {
        warnings.once('nested', key, () => `${where()}, property "${key}": doubles nested more than ${EXACT_ARRAY_DEPTH} arrays deep are archived with 15 significant digits (no exact form on the server); later ones are not reported`);
      }
      continue;
    }
    if (code !== T.DOUBLE || !needsExact(String(c[1]))) continue;
    // A key no query can name has no array column: say so rather than change the value silently.
    if (ms === null) {
      warnings.once('nocol', key, () => `${where()}, property "${key}": doubles in this array are archived with 15 significant digits (the key cannot be named in a query)`);
      continue;
    }
    const x = exactFrom((ms[i] as Reply[] | undefined)?.[1] as string | undefined, approxOf(String(c[1])));
    if (x === null) throw inexact(where(), key);
    value[i] = typedDouble(x);
  }
}

/** The generic column `[[key, e, m], …]` as a map. */
function genericParts(cell: Reply | undefined): Map<string, [number, bigint]> {
  const out = new Map<string, [number, bigint]>();
  for (const item of ((cell as Reply[] | undefined)?.[1] as Reply[] | undefined) ?? []) {
    const [k, e, m] = ((item as Reply[])[1] as Reply[]).map((c) => (c as Reply[])[1]);
    out.set(String(k), [Number(e), BigInt(String(m))]);
  }
  return out;
}

/** What SchemaNames.ensurePage reads of an entity. */
interface PageEntity {
  labelIds?: number[];
  typeId?: number;
  props: RawProp[];
}

/**
 * Seeds the exact columns from a sample of entities (`LIMIT` stops the scan early), so the first
 * pages need no second request in the common case of keys that hold doubles everywhere.
 */
async function seedKeys(client: FalkorClient, graph: string, names: SchemaNames, dk: DoubleKeys, v: 'n' | 'e'): Promise<void> {
  const pattern = v === 'n' ? '(n)' : '()-[e]->()';
  const { rows } = await client.query(graph, `MATCH ${pattern} WITH ${v} LIMIT 1000 RETURN ${v}`, {}, true);
  await learnKeys(rows, null, names, dk);
}

/** The id of the entity in a row's first cell, without decoding the rest. */
function rowId(row: Reply[]): number {
  return Number(((row[0] as Reply[])[1] as Reply[])[0]);
}

/** Requests in flight at once, each on its own connection (windows.ts). */
const DEPTH = 2;

/** Rounds of reading the windows above the highest id read so far, for nodes created meanwhile. */
const CATCH_UP_ROUNDS = 3;

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

function toNode(names: SchemaNames) {
  return (n: RawNode, props: { [k: string]: TypedValue }): NodeRecord => ({ key: n.id, labels: n.labelIds.map((l) => names.label(l)), props });
}

export async function* readNodes(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<NodeRecord[]> {
  const live = opts.live;
  if (live) live.before = await graphState(client, graph);
  const nodes = live ? live.before!.nodes : await scalar(client, graph, 'MATCH (n) RETURN count(n)');
  let maxId = live ? live.before!.maxNodeId : nodes === 0 ? -1 : await scalar(client, graph, 'MATCH (n) RETURN max(id(n))');
  if (maxId < 0 && !live) return;
  const unwrap = (cell: Reply): RawNode => (decode(cell) as { node: RawNode }).node;
  const dk = new DoubleKeys();
  const warnings = new Warnings(opts.warn);
  let start = 0;
  // A live graph: after the windows up to the highest id at the start, read the ones above the
  // highest id now, a few rounds, so nodes created meanwhile with new ids are in the archive.
  for (let round = 0; maxId >= start; round++) {
    for await (const page of readPages(client, graph, names, opts, 'n', NODE_WINDOWS, start, maxId, nodes / (maxId + 1), unwrap, toNode(names), dk, warnings)) {
      if (live) {
        for (const n of page) live.seen.add(n.key as number);
        live.nodesRead += page.length;
      }
      yield page;
    }
    if (!live || round >= CATCH_UP_ROUNDS) break;
    start = maxId + 1;
    // An id seek: only the nodes above the windows read so far are looked at.
    maxId = await scalar(client, graph, `CYPHER m=${maxId} MATCH (n) WHERE id(n) > $m RETURN max(id(n))`);
  }
}

export async function* readEdges(client: FalkorClient, graph: string, names: SchemaNames, opts: ReadOptions): AsyncGenerator<EdgeRecord[]> {
  const live = opts.live;
  try {
    const edges = await scalar(client, graph, 'MATCH ()-[e]->() RETURN count(e)');
    if (edges === 0 && !live) return;
    const nodes = await scalar(client, graph, 'MATCH (n) RETURN count(n)');
    // A live graph: only sources in the archive can give an edge that is kept.
    const maxId = live ? live.seen.max : await scalar(client, graph, 'MATCH (n) RETURN max(id(n))');
    if (maxId < 0 || edges === 0) return;
    const dk = new DoubleKeys();
    const warnings = new Warnings(opts.warn);
    // Edge windows are windows of source-node ids: the density is edges per node.
    const pages = readPages(client, graph, names, opts, 'e', EDGE_WINDOWS, 0, maxId, edges / Math.max(nodes, 1), (cell) => (decode(cell) as { edge: RawEdge }).edge, (e, props) => ({
      type: names.type(e.typeId),
      src: e.src,
      dst: e.dst,
      props,
    }), dk, warnings);
    for await (const page of pages) {
      if (!live) {
        yield page;
        continue;
      }
      const kept = page.filter((e) => live.seen.has(e.src as number) && live.seen.has(e.dst as number));
      live.edgesLeftOut += page.length - kept.length;
      live.edgesRead += kept.length;
      if (kept.length > 0) yield kept;
    }
  } finally {
    // After the last page, also when the reader stops early: the state after, for the check.
    if (live) live.after = await graphState(client, graph).catch(() => null);
  }
}

/**
 * The page loop shared by nodes (`v` = 'n') and edges ('e'): windowed pages from `start` to
 * `maxId`, label/type/key names resolved per page, typed properties with exact doubles.
 */
async function* readPages<Raw extends { id: number; labelIds?: number[]; typeId?: number; props: RawProp[] }, R>(
  client: FalkorClient,
  graph: string,
  names: SchemaNames,
  opts: ReadOptions,
  v: 'n' | 'e',
  windows: WindowQueries,
  start: number,
  maxId: number,
  density: number,
  unwrap: (cell: Reply) => Raw,
  toRecord: (raw: Raw, props: { [k: string]: TypedValue }) => R,
  dk: DoubleKeys,
  warnings: Warnings,
): AsyncGenerator<R[]> {
  const what = v === 'n' ? 'node' : 'edge';
  if (opts.exactDoubles && start === 0) await seedKeys(client, graph, names, dk, v);
  const plan = { start, maxId, density, pageSize: opts.pageSize, depth: opts.depth ?? DEPTH };
  const pages = windowPages(plan, windows, (q) => send(client, graph, v, q, opts.exactDoubles, names, dk), () => dk.cols(), rowId);
  for await (const { rows, q } of pages) {
    checkAbort(opts.signal, graph);
    const raws = rows.map((r) => unwrap(r[0]!));
    await names.ensurePage(raws);
    const shown = opts.name ?? graph;
    yield raws.map((raw, i) => toRecord(raw, buildProps(raw.props, rows[i]!, q.cols, opts.exactDoubles, names, () => `graph "${shown}", ${what} ${raw.id}`, warnings)));
  }
}
