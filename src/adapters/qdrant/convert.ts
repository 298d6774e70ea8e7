/**
 * Points between Qdrant's JSON form and the archive record form (src/format/records.ts). Qdrant
 * prints every stored element as an f32 (or an f16/u8 widened to f32), so `Float32Array.from` of
 * the parsed numbers is exact, and the decimal text of each float32 sent back parses to the same
 * float32 on the server.
 */
import { MemarcError } from '../../errors.ts';
import { F32_TEXT_MAX, vectorTextMax, writeF32s, writeVector } from './f32-text.ts';
import { setMember, stringifyJson } from '../../format/json.ts';
import { f32Count } from '../../format/validate.ts';
import { encodeF32, type JsonObject, type PointRecord, type VectorValue } from '../../format/records.ts';

export type QdrantId = number | bigint | string;

/**
 * A vector as Qdrant reads and writes it; an unnamed dense vector of a read-back point may come
 * already read into float32s (point-scan.ts).
 */
export type QdrantVector = number[] | number[][] | { indices: number[]; values: number[] } | Float32Array;

export interface QdrantPoint {
  id: QdrantId;
  vector?: QdrantVector | { [name: string]: QdrantVector } | null;
  payload?: JsonObject | null;
}

/** A dense vector: its first element a number, or `null` (a NaN the server holds). */
function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number' || v[0] === null);
}

/**
 * A server's vector elements as float32 base64. Every element must be a number, or `null`, which
 * is how Qdrant prints a NaN it holds (kept as NaN and warned about, restorable.ts and spec
 * section 15.2): Float32Array.from would make anything else NaN silently (or throw on a big
 * integer), and write it into the archive unnamed.
 */
function f32Of(values: unknown, id: QdrantId, name: string): string {
  if (!Array.isArray(values)) throw badVector(id, name, 'is not an array of numbers');
  let nulls = false;
  for (let i = 0; i < values.length; i++) {
    const x: unknown = values[i];
    if (x === null) nulls = true;
    else if (typeof x !== 'number') throw badVector(id, name, `holds ${shown(x)} at element ${i}, not a number`);
  }
  // Copied only when the server held a NaN: every other vector of an export goes as it came.
  return encodeF32(nulls ? (values as Array<number | null>).map((x) => (x === null ? NaN : x)) : (values as number[]));
}

/** A short text of a value for a message: numbers and big integers as digits, the rest as JSON (at most 40 characters). */
function shown(x: unknown): string {
  if (typeof x === 'number' || typeof x === 'bigint') return String(x);
  const text = typeof x === 'object' && x !== null ? (Array.isArray(x) ? 'an array' : 'an object') : (JSON.stringify(x) ?? typeof x);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function badVector(id: QdrantId, name: string, what: string): MemarcError {
  return new MemarcError('STORE_ERROR', `point ${String(id)}: vector ${JSON.stringify(name)} ${what}`, {
    hint: "the server (or a proxy in front of it) sent a vector that is not Qdrant's; check QDRANT_URL",
    context: { point: String(id), vector: name },
  });
}

function fromVector(name: string, v: unknown, id: QdrantId): VectorValue {
  if (v instanceof Float32Array) return { dense: encodeF32(v) };
  if (isNumberArray(v)) return { dense: f32Of(v, id, name) };
  if (Array.isArray(v)) return { multi: (v as unknown[]).map((row) => f32Of(row, id, name)) };
  if (v && typeof v === 'object' && 'indices' in v && 'values' in v) {
    const s = v as { indices: unknown; values: unknown };
    if (!Array.isArray(s.indices) || !s.indices.every((i) => Number.isInteger(i) && (i as number) >= 0)) throw badVector(id, name, 'has sparse indices that are not whole numbers');
    return { sparse: { indices: [...(s.indices as number[])], values: f32Of(s.values, id, name) } };
  }
  throw badVector(id, name, 'has an unknown shape');
}

/** A scrolled or retrieved Qdrant point to its archive record. */
export function recordFromQdrant(p: QdrantPoint): PointRecord {
  const vectors: PointRecord['vectors'] = {};
  const v = p.vector;
  if (Array.isArray(v) || v instanceof Float32Array) {
    vectors[''] = fromVector('', v, p.id);
  } else if (v && typeof v === 'object') {
    // A top-level object is always a map of names: sparse vectors are always named.
    for (const [name, val] of Object.entries(v as Record<string, unknown>)) setMember(vectors, name, fromVector(name, val, p.id));
  }
  return { id: p.id, vectors, payload: p.payload ?? null };
}

/** One upserted point's JSON text, ready to be written: at most `size` bytes. */
export interface PointText {
  readonly size: number;
  /** Writes the text at `out[at]` (room for `size` bytes); returns the offset after it. */
  write(out: Buffer, at: number): number;
}

/**
 * An archive record to the JSON text of one upserted point: `{"id":…,"vector":…,"payload":…}`,
 * the unnamed vector alone in the plain form every server version accepts, else a map of names.
 * The vectors' elements are written by f32-text.ts (9 significant digits, half the time of
 * JSON.stringify and two thirds of its bytes); the id, names, sparse indices and payload by
 * stringifyJson, which keeps big integers and payload number lexemes. Measured, then written:
 * the upsert body puts one point after another into reused chunks (api.ts), so a point costs no
 * buffer of its own.
 */
export function pointText(r: PointRecord): PointText {
  const names = Object.keys(r.vectors);
  const plain = names.length === 1 && names[0] === '';
  const keys = plain ? [] : names.map((n) => stringifyJson(n));
  const indices: Array<string | null> = names.map((n) => {
    const v = r.vectors[n]!;
    return 'sparse' in v ? stringifyJson(v.sparse.indices) : null;
  });
  let size = 0;
  for (let i = 0; i < names.length; i++) {
    const v = r.vectors[names[i]!]!;
    size += (keys[i] === undefined ? 0 : Buffer.byteLength(keys[i]!) + 2) + (indices[i]?.length ?? 0) + 32;
    if ('dense' in v) size += vectorTextMax(v.dense.length);
    else if ('multi' in v) for (const row of v.multi) size += vectorTextMax(row.length) + 1;
    else size += vectorTextMax(v.sparse.values.length);
  }
  return framedPoint(r.id, r.payload, size, (b, at) => {
    if (!plain) b[at++] = 123; // {
    for (let i = 0; i < names.length; i++) {
      if (!plain) {
        if (i > 0) b[at++] = 44;
        at += b.write(keys[i]!, at);
        b[at++] = 58; // :
      }
      at = writeVectorValue(r.vectors[names[i]!]!, indices[i]!, b, at);
    }
    if (!plain) b[at++] = 125;
    return at;
  });
}

/**
 * `{"id":…,"vector":…,"payload":…}` around a vector part that `writeVectors` writes in at most
 * `vectorSize` bytes (pointText and densePointText).
 */
function framedPoint(pointId: QdrantId, payloadValue: JsonObject | null, vectorSize: number, writeVectors: (b: Buffer, at: number) => number): PointText {
  const id = stringifyJson(pointId);
  const payload = payloadValue !== null ? stringifyJson(payloadValue) : null;
  return {
    size: 64 + Buffer.byteLength(id) + (payload === null ? 0 : Buffer.byteLength(payload)) + vectorSize,
    write(b: Buffer, at: number): number {
      at += b.write('{"id":', at, 'latin1');
      at += b.write(id, at);
      at += b.write(',"vector":', at, 'latin1');
      at = writeVectors(b, at);
      if (payload !== null) {
        at += b.write(',"payload":', at, 'latin1');
        at += b.write(payload, at);
      }
      b[at++] = 125;
      return at;
    },
  };
}

/**
 * A point whose only vector is the unnamed dense one (the common shape), that vector decoded into
 * float32s. The Qdrant sink holds a batch's points in this form from their upsert until their
 * read-back is compared: the base64 text of a 768-dim vector is 4 KB on V8's heap, which every
 * young-generation collection copied while the point waited (about 10 KB a point was promoted,
 * bench/RESULTS.md, "Session 12"), while a float32 view of a buffer outside the heap is a small
 * object. The vector is decoded once, for both the upsert's text and the comparison, where each
 * decoded it before.
 */
export interface DensePoint {
  readonly id: QdrantId;
  readonly payload: JsonObject | null;
  readonly dense: Float32Array;
}

/**
 * The records as DensePoints, their vectors decoded into one buffer; null unless every record has
 * the unnamed dense vector alone, of whole float32s (the records must have been validated).
 */
export function densePoints(records: readonly PointRecord[]): DensePoint[] | null {
  let total = 0;
  for (const r of records) {
    const v = r.vectors[''];
    if (v === undefined || !('dense' in v)) return null;
    for (const name in r.vectors) if (name !== '') return null;
    total += f32Count(v.dense);
  }
  // One float32 more than the vectors need: room for a text that decodes to more than n of them.
  const values = new Float32Array(total + 1);
  const bytes = Buffer.from(values.buffer);
  const out: DensePoint[] = new Array(records.length);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const b64 = (r.vectors[''] as { dense: string }).dense;
    const n = f32Count(b64);
    // Decoded straight into the shared buffer; a text that is not whole float32s (or not base64)
    // decodes to another length, and the records are kept as they are.
    if (bytes.write(b64, at * 4, n * 4 + 4, 'base64') !== n * 4) return null;
    out[i] = { id: r.id, payload: r.payload, dense: values.subarray(at, at + n) };
    at += n;
  }
  return out;
}

/** A DensePoint as one upserted point's text: the same text pointText writes for its record. */
export function densePointText(p: DensePoint): PointText {
  const bits = new Int32Array(p.dense.buffer, p.dense.byteOffset, p.dense.length);
  return framedPoint(p.id, p.payload, 32 + bits.length * F32_TEXT_MAX + 2, (b, at) => writeF32s(bits, b, at));
}

/** Whether a held point is a DensePoint: a record always has `vectors`, and may carry other members. */
export function isDensePoint(p: PointRecord | DensePoint): p is DensePoint {
  return !('vectors' in p);
}

/** A DensePoint as its archive record again (for a comparison that needs the record form). */
export function denseRecord(p: DensePoint): PointRecord {
  return { id: p.id, vectors: { '': { dense: encodeF32(p.dense) } }, payload: p.payload };
}

/** pointText as one buffer of its own, for the tests. */
export function pointJson(r: PointRecord): Buffer {
  const t = pointText(r);
  const out = Buffer.allocUnsafe(t.size);
  return out.subarray(0, t.write(out, 0));
}

function writeVectorValue(v: VectorValue, indices: string | null, out: Buffer, at: number): number {
  if ('dense' in v) return writeVector(v.dense, out, at);
  if ('multi' in v) {
    out[at++] = 91;
    for (let i = 0; i < v.multi.length; i++) {
      if (i > 0) out[at++] = 44;
      at = writeVector(v.multi[i]!, out, at);
    }
    out[at++] = 93;
    return at;
  }
  at += out.write('{"indices":', at, 'latin1');
  at += out.write(indices!, at, 'latin1');
  at += out.write(',"values":', at, 'latin1');
  at = writeVector(v.sparse.values, out, at);
  out[at++] = 125;
  return at;
}

/**
 * A key that is equal for equal Qdrant ids: numbers and bigints by value, UUIDs case- and
 * hyphen-insensitively (Qdrant accepts the simple form and answers with the hyphenated one).
 */
export function idKey(id: QdrantId): string {
  if (typeof id === 'string') return 'u:' + id.toLowerCase().replace(/-/g, '');
  return 'n:' + id.toString();
}

