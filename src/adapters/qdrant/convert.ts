/**
 * Points between Qdrant's JSON form and the archive record form (src/format/records.ts). Qdrant
 * prints every stored element as an f32 (or an f16/u8 widened to f32), so `Float32Array.from` of
 * the parsed numbers is exact, and the decimal text of each float32 sent back parses to the same
 * float32 on the server.
 */
import { rawNumber, setMember } from '../../format/json.ts';
import { decodeF32, encodeF32, type JsonObject, type PointRecord, type VectorValue } from '../../format/records.ts';

export type QdrantId = number | bigint | string;

/** A vector as Qdrant reads and writes it. */
export type QdrantVector = number[] | number[][] | { indices: number[]; values: number[] };

export interface QdrantPoint {
  id: QdrantId;
  vector?: QdrantVector | { [name: string]: QdrantVector } | null;
  payload?: JsonObject | null;
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number');
}

function fromVector(name: string, v: unknown, id: QdrantId): VectorValue {
  if (isNumberArray(v)) return { dense: encodeF32(v) };
  if (Array.isArray(v)) return { multi: (v as unknown[]).map((row) => encodeF32(row as number[])) };
  if (v && typeof v === 'object' && 'indices' in v && 'values' in v) {
    const s = v as { indices: number[]; values: number[] };
    return { sparse: { indices: [...s.indices], values: encodeF32(s.values) } };
  }
  throw new TypeError(`point ${String(id)}: vector "${name}" has an unknown shape`);
}

/** A scrolled or retrieved Qdrant point to its archive record. */
export function recordFromQdrant(p: QdrantPoint): PointRecord {
  const vectors: PointRecord['vectors'] = {};
  const v = p.vector;
  if (Array.isArray(v)) {
    vectors[''] = fromVector('', v, p.id);
  } else if (v && typeof v === 'object') {
    // A top-level object is always a map of names: sparse vectors are always named.
    for (const [name, val] of Object.entries(v as Record<string, unknown>)) setMember(vectors, name, fromVector(name, val, p.id));
  }
  return { id: p.id, vectors, payload: p.payload ?? null };
}

/**
 * float32 values as plain numbers for JSON (a loop: Array.from on a typed array is several times
 * slower). A -0 component goes as the JSON text `-0.0`, since JSON.stringify writes -0 as `0` and
 * the server would store another float (its sign bit lost).
 */
function numbers(b64: string): number[] {
  const f = decodeF32(b64);
  const out = new Array<number>(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = f[i]!;
    out[i] = x === 0 && Object.is(x, -0) ? NEGATIVE_ZERO : x;
  }
  return out;
}

/** `-0.0` as raw JSON text, typed as the number it stands for in the request body. */
const NEGATIVE_ZERO = rawNumber('-0.0') as unknown as number;

function toVector(v: VectorValue): QdrantVector {
  if ('dense' in v) return numbers(v.dense);
  if ('multi' in v) return v.multi.map(numbers);
  return { indices: v.sparse.indices, values: numbers(v.sparse.values) };
}

/** An archive record to the body of one upserted point. */
export function qdrantFromRecord(r: PointRecord): QdrantPoint {
  const names = Object.keys(r.vectors);
  let vector: QdrantPoint['vector'];
  if (names.length === 1 && names[0] === '') {
    // The unnamed default vector alone: the plain form every server version accepts.
    vector = toVector(r.vectors['']!);
  } else {
    const named: { [name: string]: QdrantVector } = {};
    for (const n of names) named[n] = toVector(r.vectors[n]!);
    vector = named;
  }
  const out: QdrantPoint = { id: r.id, vector };
  if (r.payload !== null) out.payload = r.payload;
  return out;
}

/**
 * A key that is equal for equal Qdrant ids: numbers and bigints by value, UUIDs case- and
 * hyphen-insensitively (Qdrant accepts the simple form and answers with the hyphenated one).
 */
export function idKey(id: QdrantId): string {
  if (typeof id === 'string') return 'u:' + id.toLowerCase().replace(/-/g, '');
  return 'n:' + id.toString();
}

/** Number of float32 elements in a base64 vector, without decoding it. */
export function f32Count(b64: string): number {
  let pad = 0;
  if (b64.endsWith('==')) pad = 2;
  else if (b64.endsWith('=')) pad = 1;
  return Math.floor(((b64.length * 3) / 4 - pad) / 4);
}
