/**
 * Vector values as Qdrant stores them: dense as float32 (or float16 / uint8 by datatype), Cosine
 * vectors normalised on upsert, sparse vectors sorted by index, multivectors as rows of one matrix.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { badInput, QdrantHttpError } from './errors.ts';
import type { DenseSpec, VectorSpec } from './config.ts';

export interface SparseStored {
  indices: Uint32Array;
  values: Float32Array;
}
export interface MultiStored {
  dim: number;
  rows: Float32Array;
}
export type StoredVector = Float32Array | SparseStored | MultiStored;

const F32_EPSILON = Math.fround(1.1920929e-7);
const NORMALISED_TOLERANCE = Math.fround(1.0e-6);
const fround = Math.fround;

/**
 * Qdrant's `cosine_preprocess` in float32: the squared length is summed left to right, the vector
 * is left alone when that sum is ~0 or already within 1e-6 of 1, else each component is divided by
 * the float32 square root. Works in place on `v[from, from+dim)`.
 */
export function cosineNormaliseInPlace(v: Float32Array, from = 0, dim = v.length): void {
  let sum = 0;
  for (let i = from; i < from + dim; i++) {
    const x = v[i] as number;
    sum = fround(sum + fround(x * x));
  }
  if (sum < F32_EPSILON || Math.abs(fround(sum - 1)) <= NORMALISED_TOLERANCE) return;
  const length = fround(Math.sqrt(sum));
  // A squared length that overflows float32 (a component like 3.4e38): a real Qdrant 1.16.3 was
  // seen to store such a vector as NaN (printed as null), so the emulator does the same.
  if (!Number.isFinite(length)) {
    for (let i = from; i < from + dim; i++) v[i] = NaN;
    return;
  }
  for (let i = from; i < from + dim; i++) v[i] = fround((v[i] as number) / length);
}

/** Rust's saturating `f32 as u8`: NaN is 0, fractions are cut toward zero, out of range clamps. */
const toU8 = (x: number): number => (Number.isNaN(x) ? 0 : Math.min(255, Math.max(0, Math.trunc(x))));

function numbers(raw: unknown, where: string): number[] {
  if (!Array.isArray(raw)) throw badInput(`${where}: expected a list of numbers`);
  for (const x of raw) {
    if (typeof x !== 'number' && typeof x !== 'bigint') throw badInput(`${where}: expected a list of numbers`);
  }
  return raw as number[];
}

function storeDense(values: ArrayLike<number | bigint>, spec: DenseSpec, out: Float32Array, at: number): void {
  for (let i = 0; i < spec.size; i++) {
    const x = Number(values[i]);
    out[at + i] = spec.datatype === 'uint8' ? toU8(x) : x;
  }
  // Normalise in float32 first, then narrow: Qdrant preprocesses before converting the storage type.
  if (spec.distance === 'Cosine' && spec.datatype !== 'uint8') cosineNormaliseInPlace(out, at, spec.size);
  if (spec.datatype === 'float16') for (let i = at; i < at + spec.size; i++) out[i] = Math.f16round(out[i] as number);
}

const dimError = (expected: number, got: number): QdrantHttpError =>
  badInput(`Vector dimension error: expected dim: ${expected}, got ${got}`);

/**
 * Converts one vector of a request into stored form, checking it against the collection's spec.
 * `field` names the vector in validation messages (e.g. `points[3].vector.text`).
 */
export function toStored(raw: unknown, name: string, spec: VectorSpec | undefined, field: string): StoredVector {
  if (!spec) throw badInput(`Not existing vector name error: ${name}`);
  const isSparse = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'indices' in raw;
  if (spec.kind === 'sparse') {
    if (!isSparse) throw badInput('Conversion between sparse and regular vectors failed');
    return toSparse(raw as { indices: unknown; values: unknown }, field);
  }
  if (isSparse) throw badInput('Conversion between sparse and regular vectors failed');
  if (!Array.isArray(raw)) throw badInput(`Vector ${name} has an unsupported form`);
  const isMulti = raw.length > 0 && Array.isArray(raw[0]);
  if (spec.multivector) {
    // A plain dense vector given to a multivector is taken as a matrix of one row.
    const rows = isMulti ? (raw as unknown[]) : [raw];
    if (rows.length === 0) throw badInput('Multi-vector must contain at least one vector');
    const out = new Float32Array(rows.length * spec.size);
    rows.forEach((row, r) => {
      const values = numbers(row, field);
      if (values.length !== spec.size) throw dimError(spec.size, values.length);
      storeDense(values, spec, out, r * spec.size);
    });
    return { dim: spec.size, rows: out };
  }
  if (isMulti) throw badInput('Conversion between multi and regular vectors failed');
  const values = numbers(raw, field);
  if (values.length !== spec.size) throw dimError(spec.size, values.length);
  const out = new Float32Array(spec.size);
  storeDense(values, spec, out, 0);
  return out;
}

function toSparse(raw: { indices: unknown; values: unknown }, field: string): SparseStored {
  const indices = numbers(raw.indices, `${field}.indices`);
  const values = numbers(raw.values, `${field}.values`);
  const problems: string[] = [];
  if (indices.length !== values.length) problems.push(`${field}.values: Validation error: must be the same length as indices [{}]`);
  if (new Set(indices.map(Number)).size !== indices.length) problems.push(`${field}.indices: Validation error: must be unique [{}]`);
  if (problems.length > 0) throw new QdrantHttpError(422, `Validation error in JSON body: [${problems.join('; ')}]`);
  for (const i of indices) {
    const n = Number(i);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw badInput(`${field}.indices: invalid value: ${String(i)}, expected u32`);
  }
  const order = indices.map((_, k) => k).sort((a, b) => Number(indices[a]) - Number(indices[b]));
  return {
    indices: Uint32Array.from(order, (k) => Number(indices[k])),
    values: Float32Array.from(order, (k) => Number(values[k])),
  };
}

/** The JSON form Qdrant answers with for one stored vector. */
export function vectorOutput(v: StoredVector): Schemas['VectorOutput'] | Float32Array | Float32Array[] | { indices: Uint32Array; values: Float32Array } {
  if (v instanceof Float32Array) return v;
  if ('indices' in v) return { indices: v.indices, values: v.values };
  const rows: Float32Array[] = [];
  for (let r = 0; r < v.rows.length; r += v.dim) rows.push(v.rows.subarray(r, r + v.dim));
  return rows;
}
