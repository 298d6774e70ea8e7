/**
 * A pgvector table seen as a `vectors` dataset (spec/FORMAT.md 4.1, 15.7), for conversion to
 * Qdrant or any vectors store. The URL names the table and the mapping:
 *
 *   postgres://host/db?table=memory_entries&id=id&vectors=embedding&payload=content,metadata&distance=cosine
 *
 * - `table`: the table (`schema.table`, or a table of `public`); with it, the source exports only
 *   that table, as a vectors dataset named after it;
 * - `id`: the point id column (default: the single-column primary key); its values must be
 *   non-negative integers or UUIDs (Qdrant's point ids), or text spelling one of them;
 * - `vectors`: the vector columns (`vector`, `halfvec` or `sparsevec`; default: every such column).
 *   One vector column becomes the unnamed vector; several keep their column names;
 * - `payload`: the payload columns (default: every other column);
 * - `payload_json`: instead, one json/jsonb column that holds each point's whole payload (as in
 *   a table memarc built from a vectors dataset: `payload_json=payload`);
 * - `distance`: `cosine`, `dot`, `euclid` or `manhattan` (default: the operator class of the
 *   column's HNSW or IVFFlat index, else cosine).
 *
 * Payload values become plain JSON: numbers stay numbers (numeric with its exact digits), jsonb
 * its document, bytea base64, dates and times ISO text. This is a conversion: the table's other
 * columns' types do not come back from a vectors dataset.
 */
import { MemarcError } from '../../errors.ts';
import { rawNumber, setMember } from '../../format/json.ts';
import { decodeF32, type CellValue, type Json, type JsonObject, type PointRecord, type VectorValue } from '../../format/records.ts';
import type { ColumnConfig, TableConfig } from './catalog.ts';

export interface VectorsSpec {
  table: string;
  id?: string;
  vectors?: string[];
  payload?: string[];
  /** A json/jsonb column holding the whole payload. */
  payloadJson?: string;
  distance?: string;
}

export interface VectorColumn {
  column: string;
  name: string;
  kind: 'dense' | 'sparse';
  dimension?: number;
  datatype: 'float32' | 'float16';
  distance: string;
}

export interface VectorsView {
  id: ColumnConfig;
  vectors: VectorColumn[];
  payload: string[];
  /** The column holding the whole payload, when the payload is one json document. */
  payloadJson?: string;
}

const DISTANCES = ['cosine', 'dot', 'euclid', 'manhattan'];
const VECTOR_TYPES = new Set(['vector', 'halfvec', 'sparsevec']);

/** `vector_cosine_ops` → cosine, and so on for the l2, ip and l1 classes of each pgvector type. */
export function distanceOfOpclass(opclass: string): string | null {
  if (/_cosine_ops$/.test(opclass)) return 'cosine';
  if (/_l2_ops$/.test(opclass)) return 'euclid';
  if (/_ip_ops$/.test(opclass)) return 'dot';
  if (/_l1_ops$/.test(opclass)) return 'manhattan';
  return null;
}

/** The opclass of a distance for a pgvector type (the way back). */
export function opclassOf(type: 'vector' | 'halfvec' | 'sparsevec', distance: string): string {
  const op = distance === 'euclid' ? 'l2' : distance === 'dot' ? 'ip' : distance === 'manhattan' ? 'l1' : 'cosine';
  return `${type}_${op}_ops`;
}

export function specOf(params: Record<string, string>): VectorsSpec | null {
  if (!params.table) return null;
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  const spec: VectorsSpec = { table: params.table };
  if (params.id) spec.id = params.id;
  const vectors = list(params.vectors);
  if (vectors) spec.vectors = vectors;
  const payload = list(params.payload);
  if (payload) spec.payload = payload;
  if (params.payload_json) spec.payloadJson = params.payload_json;
  if (params.distance) {
    if (!DISTANCES.includes(params.distance)) throw new MemarcError('USAGE', `distance=${params.distance} is not one of ${DISTANCES.join(', ')}`);
    spec.distance = params.distance;
  }
  return spec;
}

function usage(t: TableConfig, what: string): MemarcError {
  return new MemarcError('USAGE', `table "${t.schema}.${t.table}" as a vectors dataset: ${what}`, {
    hint: 'name the columns on the URL: ?table=T&id=COLUMN&vectors=COL1,COL2&payload=COL3,COL4',
  });
}

export function vectorsView(t: TableConfig, spec: VectorsSpec): VectorsView {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const col = (name: string): ColumnConfig => {
    const c = byName.get(name);
    if (!c) throw usage(t, `it has no column "${name}"`);
    return c;
  };
  let id: ColumnConfig;
  if (spec.id) id = col(spec.id);
  else {
    const pk = t.constraints.find((c) => c.type === 'p');
    if (!pk || pk.columns.length !== 1) throw usage(t, 'it has no single-column primary key: name the id column (id=…)');
    id = col(pk.columns[0]!);
  }
  if (!['int2', 'int4', 'int8', 'uuid', 'text', 'varchar'].includes(id.pgType.name)) throw usage(t, `the id column "${id.name}" is ${id.type}; point ids are unsigned integers or UUIDs`);
  const vecCols = spec.vectors ? spec.vectors.map(col) : t.columns.filter((c) => VECTOR_TYPES.has(c.pgType.name));
  if (vecCols.length === 0) throw usage(t, 'it has no vector, halfvec or sparsevec column');
  const vectors = vecCols.map((c): VectorColumn => {
    if (!VECTOR_TYPES.has(c.pgType.name)) throw usage(t, `column "${c.name}" is ${c.type}, not a pgvector type`);
    const index = t.indexes.find((i) => (i.method === 'hnsw' || i.method === 'ivfflat') && i.columns.length === 1 && i.columns[0] === c.name);
    const distance = spec.distance ?? (index ? distanceOfOpclass(index.opclasses[0] ?? '') : null) ?? 'cosine';
    return {
      column: c.name,
      name: vecCols.length === 1 ? '' : c.name,
      kind: c.pgType.name === 'sparsevec' ? 'sparse' : 'dense',
      ...(c.pgType.name !== 'sparsevec' && c.typmod > 0 ? { dimension: c.typmod } : {}),
      datatype: c.pgType.name === 'halfvec' ? 'float16' : 'float32',
      distance: c.pgType.name === 'sparsevec' ? 'dot' : distance,
    };
  });
  for (const v of vectors) if (v.kind === 'dense' && v.dimension === undefined) throw usage(t, `column "${v.column}" has no dimension (declare it as vector(n))`);
  if (spec.payloadJson) {
    const pj = col(spec.payloadJson);
    if (pj.pgType.name !== 'json' && pj.pgType.name !== 'jsonb') throw usage(t, `payload_json column "${pj.name}" is ${pj.type}, not json or jsonb`);
    if (spec.payload) throw usage(t, 'payload and payload_json exclude each other');
    return { id, vectors, payload: [pj.name], payloadJson: pj.name };
  }
  const taken = new Set([id.name, ...vectors.map((v) => v.column)]);
  const payload = spec.payload ? spec.payload.map((p) => col(p).name) : t.columns.filter((c) => !taken.has(c.name) && c.generated === undefined).map((c) => c.name);
  return { id, vectors, payload };
}

/** The neutral vectors schema of the view (spec 4.5). */
export function vectorsSchemaOf(v: VectorsView): JsonObject {
  return {
    vectors: [...v.vectors]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((x) => ({ name: x.name, kind: x.kind, ...(x.dimension !== undefined ? { dimension: x.dimension } : {}), distance: x.distance, datatype: x.datatype })),
    payloadIndexes: [],
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pointId(v: CellValue, where: () => string): number | bigint | string {
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (v < 0) throw new MemarcError('USAGE', `${where()}: the id ${v} is negative; point ids are unsigned integers or UUIDs`);
    return v;
  }
  if (typeof v === 'string') {
    if (UUID.test(v)) return v.toLowerCase();
    if (/^(0|[1-9]\d{0,19})$/.test(v) && BigInt(v) < 2n ** 64n) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : BigInt(v);
    }
  }
  throw new MemarcError('USAGE', `${where()}: the id ${JSON.stringify(v)} is neither an unsigned integer nor a UUID`, { hint: 'choose another id column (id=…)' });
}

/** A cell as plain JSON for a payload. */
export function payloadValue(v: CellValue): Json {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(payloadValue);
  const [tag, x] = Object.entries(v)[0] as [string, unknown];
  switch (tag) {
    case 'double': {
      if (typeof x === 'number') return x;
      if (x === '-0') return rawNumber('-0.0') as unknown as Json;
      throw new RangeError(`${String(x)} has no form in a JSON payload`);
    }
    case 'decimal':
      return rawNumber(x as string) as unknown as Json;
    case 'json':
      return x as Json;
    case 'vecf32':
      return Array.from(decodeF32(x as string));
    case 'date': {
      const d = new Date(Number(x) * 86_400_000);
      return Number.isNaN(d.getTime()) ? String(x) : d.toISOString().slice(0, 10);
    }
    case 'bytes':
    case 'timestamp':
    case 'timestamptz':
    case 'timeofday':
      return x as string;
    default:
      return { [tag]: x as Json };
  }
}

/** A row as a point of the view. */
export function pointOf(view: VectorsView, cells: Record<string, CellValue>, where: () => string): PointRecord {
  const vectors: Record<string, VectorValue> = {};
  for (const v of view.vectors) {
    const cell = cells[v.column];
    if (cell === null || cell === undefined) continue;
    if (v.kind === 'dense') setMember(vectors, v.name, { dense: (cell as { vecf32: string }).vecf32 });
    else {
      const j = (cell as { json: { indices: number[]; values: string } }).json;
      setMember(vectors, v.name, { sparse: { indices: j.indices, values: j.values } });
    }
  }
  if (view.payloadJson) {
    const doc = cells[view.payloadJson];
    if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray((doc as { json: unknown }).json) || typeof (doc as { json: unknown }).json !== 'object')) {
      throw new MemarcError('USAGE', `${where()}, column "${view.payloadJson}": a payload is a JSON object`);
    }
    return { id: pointId(cells[view.id.name] ?? null, where), vectors, payload: doc ? ((doc as { json: JsonObject | null }).json ?? null) : null };
  }
  const payload: JsonObject = {};
  for (const p of view.payload) {
    try {
      setMember(payload, p, payloadValue(cells[p] ?? null));
    } catch (err) {
      throw new MemarcError('USAGE', `${where()}, column "${p}": ${(err as Error).message}`, { hint: 'leave the column out of the payload (payload=…)' });
    }
  }
  return { id: pointId(cells[view.id.name] ?? null, where), vectors, payload };
}
