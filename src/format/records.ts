/**
 * Record kinds of format v1 (spec/FORMAT.md, "Records"). In memory a record is exactly its
 * archive JSON form: vectors stay base64 strings of little-endian float32, so the writer, the
 * reader and the digest never convert them. Adapters convert to and from their store's form with
 * the helpers below.
 *
 * Integers that do not fit a double exactly (ids above 2^53, int64 properties) are `bigint` in
 * memory and exact decimal digits in the archive.
 */

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A base64 string of little-endian IEEE-754 float32 values. */
export type F32Base64 = string;

export type VectorValue =
  | { dense: F32Base64 }
  | { sparse: { indices: number[]; values: F32Base64 } }
  | { multi: F32Base64[] };

/** Kind `point` (dataset kind `qdrant.collection`). The unnamed default vector has the name "". */
export interface PointRecord {
  id: number | bigint | string;
  vectors: { [name: string]: VectorValue };
  payload: JsonObject | null;
}

/**
 * A typed graph property value. Strings, booleans and integers are plain JSON; everything that
 * plain JSON would blur is a one-key object.
 */
export type TypedValue =
  | string
  | boolean
  | number // an integer (int64); never a fraction
  | bigint // an integer outside ±2^53
  | TypedValue[]
  | { double: number | 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { vecf32: F32Base64 }
  | { point: { latitude: number; longitude: number } }
  | { datetime: number | bigint }
  | { date: number | bigint }
  | { time: number | bigint }
  | { duration: number | bigint };

export type NodeKey = number | bigint | string;

/** Kind `node` (dataset kind `falkordb.graph`). `key` is unique within the dataset and means nothing outside it. */
export interface NodeRecord {
  key: NodeKey;
  labels: string[];
  props: { [name: string]: TypedValue };
}

/** Kind `edge`. Endpoints are node keys of the same dataset; every node shard precedes every edge shard. */
export interface EdgeRecord {
  type: string;
  src: NodeKey;
  dst: NodeKey;
  props: { [name: string]: TypedValue };
}

/**
 * A table cell (format 2, kind `row`; spec/FORMAT.md 6.6): null (SQL NULL), a typed value of a
 * graph property, or one of the table tags.
 */
export type CellValue =
  | null
  | TypedValue
  | { decimal: string }
  | { bytes: string }
  | { json: Json }
  | { timestamp: string }
  | { timestamptz: string }
  | { timeofday: string }
  | { interval: { months: number; days: number; micros: number | bigint } }
  | CellValue[];

/** Kind `row` (family `table`, format 2): one table row, cells by column name. */
export interface RowRecord {
  cells: { [column: string]: CellValue };
}

export type RecordKind = 'point' | 'node' | 'edge' | 'row';

export interface RecordByKind {
  point: PointRecord;
  node: NodeRecord;
  edge: EdgeRecord;
  row: RowRecord;
}

export type AnyRecord = PointRecord | NodeRecord | EdgeRecord | RowRecord;

/** The store-neutral dataset families of format 2 and the record kinds each holds, in shard order. */
export const FAMILIES = {
  vectors: ['point'],
  graph: ['node', 'edge'],
  table: ['row'],
} as const satisfies Record<string, readonly RecordKind[]>;

export type Family = keyof typeof FAMILIES;

/** Dataset kinds and the record kinds each holds, in the order their shards must appear. */
export const DATASET_KINDS = {
  'qdrant.collection': ['point'],
  'falkordb.graph': ['node', 'edge'],
} as const satisfies Record<string, readonly RecordKind[]>;

export type DatasetKind = keyof typeof DATASET_KINDS;

/** The family and native store a format-1 dataset kind stands for. */
export const KIND_FAMILY: Record<DatasetKind, { family: Family; store: string }> = {
  'qdrant.collection': { family: 'vectors', store: 'qdrant' },
  'falkordb.graph': { family: 'graph', store: 'falkordb' },
};

const f32Scratch = new Float32Array(1);

/** float32 values (any numeric array) to the archive's base64 form. Bit-exact for Float32Array input. */
export function encodeF32(values: ArrayLike<number>): F32Base64 {
  const arr = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  // Little-endian platforms only need a view; big-endian ones would need a byte swap.
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).toString('base64');
}

/** The archive's base64 form to float32 values. Throws on a length that is not a multiple of 4. */
export function decodeF32(b64: F32Base64): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length % 4 !== 0) throw new RangeError(`vector byte length ${buf.length} is not a multiple of 4`);
  const out = new Float32Array(buf.length / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Rounds a double to float32, as Qdrant stores it. */
export function toF32(x: number): number {
  f32Scratch[0] = x;
  return f32Scratch[0]!;
}

/** Encodes a double as a typed graph value, keeping −0, NaN and ±Infinity. */
export function typedDouble(x: number): { double: number | 'NaN' | 'Infinity' | '-Infinity' | '-0' } {
  if (Number.isNaN(x)) return { double: 'NaN' };
  if (x === Infinity) return { double: 'Infinity' };
  if (x === -Infinity) return { double: '-Infinity' };
  if (Object.is(x, -0)) return { double: '-0' };
  return { double: x };
}

/** Decodes a typed double back to a number. */
export function untypedDouble(v: number | bigint | string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v); // writer printed an integral double as digits
  switch (v) {
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '-0': return -0;
  }
  throw new RangeError(`not a typed double: ${JSON.stringify(v)}`);
}
