/**
 * Read-back verification of restored points (the rule: spec/FORMAT.md, section 15.2).
 *
 * Ids must be equal exactly; payloads as payload-compare.ts says (structure and strings exactly,
 * numbers as Qdrant stores them, section 15.3); vectors bit-exactly, except dense and multi vectors
 * of a Cosine vector whose datatype is float32 or float16: Qdrant renormalises those on every
 * upsert (in float32, then narrows to the storage type), so each component is compared against
 * the archive vector normalised in float64, within
 *
 *     |live_i − e_i| ≤ |e_i| · ((n + 4) · 2^-24 + 2s) + 2^-23,   e_i = a_i / ‖a‖
 *
 * with n the dimension and s the unit roundoff of the storage type (2^-24 for float32, 2^-11 for
 * float16). (n + 4) · 2^-24 bounds the relative error of a float32 norm of n squares in any
 * summation order (≤ n·u for the sum, halved by the square root, plus the roots and quotient's
 * roundings), 2s one rounding to storage with a factor of two to spare, 2^-23 the absolute
 * rounding of components near zero. Skipping the renormalisation of an almost-unit vector, as
 * Qdrant does within 1e-6, stays inside the bound too.
 */
import { decodeF32, type PointRecord, type VectorValue } from '../../format/records.ts';
import { denseRecord, isDensePoint, recordFromQdrant, type DensePoint, type QdrantPoint } from './convert.ts';
import type { Datatype, VectorSpec } from './fingerprint.ts';
import { comparePayload, type NumberChange } from './payload-compare.ts';

/** Unit roundoff of each storage type. */
const U: Record<Datatype, number> = { float32: 2 ** -24, float16: 2 ** -11, uint8: 0 };
/** Below this norm Qdrant leaves a vector as it is (f32::EPSILON). */
const TINY_NORM = 1.1920929e-7;

/** Whether the server renormalises this vector on upsert. */
export function isNormalised(spec: VectorSpec | undefined): boolean {
  return !!spec && spec.distance === 'Cosine' && spec.kind !== 'sparse' && spec.datatype !== 'uint8';
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/**
 * Compares a stored Cosine vector with the archive's. Returns null when within the bound, or the
 * first offending component.
 */
export function cosineMismatch(archive: Float32Array, live: Float32Array, u: number = 2 ** -24): string | null {
  if (archive.length !== live.length) return `${live.length} components instead of ${archive.length}`;
  let sq = 0;
  for (let i = 0; i < archive.length; i++) sq += archive[i]! * archive[i]!;
  const norm = Math.sqrt(sq);
  if (norm < TINY_NORM && bitsEqual(archive, live)) return null;
  const n = archive.length;
  for (let i = 0; i < n; i++) {
    const e = archive[i]! / norm;
    const tol = Math.abs(e) * ((n + 4) * 2 ** -24 + 2 * u) + 2 ** -23;
    const d = Math.abs(live[i]! - e);
    if (!(d <= tol)) return `component ${i} is ${live[i]} instead of ${e} (|Δ| ${d.toExponential(3)} > bound ${tol.toExponential(3)})`;
  }
  return null;
}

function denseMismatch(a: string, b: string, spec: VectorSpec | undefined): string | null {
  if (a === b) return null;
  const fa = decodeF32(a);
  const fb = decodeF32(b);
  if (isNormalised(spec)) return cosineMismatch(fa, fb, U[spec!.datatype]);
  return componentMismatch(fa, fb);
}

function sparsePairs(v: { indices: number[]; values: string }): Map<number, number> {
  const vals = new Uint32Array(decodeF32(v.values).buffer);
  const m = new Map<number, number>();
  v.indices.forEach((ix, i) => m.set(ix, vals[i]!));
  return m;
}

function vectorMismatch(a: VectorValue, b: VectorValue | undefined, spec: VectorSpec | undefined): string | null {
  if (b === undefined) return 'missing';
  if ('dense' in a) return 'dense' in b ? denseMismatch(a.dense, b.dense, spec) : 'stored as another vector kind';
  if ('multi' in a) {
    if (!('multi' in b)) return 'stored as another vector kind';
    if (a.multi.length !== b.multi.length) return `${b.multi.length} sub-vectors instead of ${a.multi.length}`;
    for (let i = 0; i < a.multi.length; i++) {
      const m = denseMismatch(a.multi[i]!, b.multi[i]!, spec);
      if (m) return `sub-vector ${i}: ${m}`;
    }
    return null;
  }
  if (!('sparse' in b)) return 'stored as another vector kind';
  // The server sorts sparse indices; compare as index → value bits.
  const pa = sparsePairs(a.sparse);
  const pb = sparsePairs(b.sparse);
  if (pa.size !== pb.size) return `${pb.size} non-zero elements instead of ${pa.size}`;
  for (const [ix, bits] of pa) if (pb.get(ix) !== bits) return `element ${ix} differs`;
  return null;
}

function isEmptySparse(v: VectorValue | undefined): boolean {
  return !!v && 'sparse' in v && v.sparse.indices.length === 0;
}

/**
 * Why a stored point differs from its archive record, or null if it matches under the rule
 * above. Ids are matched by the caller. Payload numbers the server is known to store as another
 * double (spec section 15.3) match, and are added to `changes`.
 */
export function pointMismatch(archive: PointRecord, live: PointRecord, specs: Map<string, VectorSpec>, changes?: NumberChange[]): string | null {
  const payload = comparePayload(archive.payload, live.payload);
  if (payload.problem) return `payload differs: ${payload.problem}`;
  if (changes) for (const c of payload.changes) changes.push(c);
  const names = new Set([...Object.keys(archive.vectors), ...Object.keys(live.vectors)]);
  for (const name of names) {
    const a = archive.vectors[name];
    const b = live.vectors[name];
    // An empty sparse vector and no vector are the same point.
    if ((a === undefined || isEmptySparse(a)) && (b === undefined || isEmptySparse(b))) continue;
    if (a === undefined) return `vector ${JSON.stringify(name)} is stored but not in the archive`;
    const m = vectorMismatch(a, b, specs.get(name));
    if (m) return `vector ${JSON.stringify(name)}: ${m}`;
  }
  return null;
}

/**
 * pointMismatch against a point as the server returned it, for an archive record or a DensePoint
 * (its vector already decoded, convert.ts). A point with only the unnamed dense vector (the common
 * shape) is compared without turning the stored vector into base64 and back: the same comparison,
 * minus two conversions of every component (about 5% of a verified import's client time,
 * bench/RESULTS.md, "The whole job").
 */
export function storedPointMismatch(archive: PointRecord | DensePoint, live: QdrantPoint, specs: Map<string, VectorSpec>, changes?: NumberChange[]): string | null {
  // A record always has `vectors` (a record may carry other members: `dense` would not tell).
  const a = isDensePoint(archive) ? archive.dense : plainDense(archive);
  const v = live.vector;
  if (a === null || !(v instanceof Float32Array || (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number')))) {
    return pointMismatch(isDensePoint(archive) ? denseRecord(archive) : archive, recordFromQdrant(live), specs, changes);
  }
  const payload = comparePayload(archive.payload, live.payload ?? null);
  if (payload.problem) return `payload differs: ${payload.problem}`;
  if (changes) for (const c of payload.changes) changes.push(c);
  // As encodeF32 reads the stored numbers (recordFromQdrant): Float32Array.from, unless they came
  // read so already (point-scan.ts).
  const fb = v instanceof Float32Array ? v : Float32Array.from(v as number[]);
  const fa = typeof a === 'string' ? decodeF32(a) : a;
  if (bitsEqual(fa, fb)) return null;
  const spec = specs.get('');
  const m = isNormalised(spec) ? cosineMismatch(fa, fb, U[spec!.datatype]) : componentMismatch(fa, fb);
  return m ? `vector "": ${m}` : null;
}

/** The base64 of a record's unnamed dense vector when it is the record's only vector, else null. */
function plainDense(r: PointRecord): string | null {
  const a = r.vectors[''];
  return a !== undefined && 'dense' in a && Object.keys(r.vectors).length === 1 ? a.dense : null;
}

function componentMismatch(fa: Float32Array, fb: Float32Array): string | null {
  if (fa.length !== fb.length) return `${fb.length} components instead of ${fa.length}`;
  for (let i = 0; i < fa.length; i++) {
    if (!bitsEqual(fa.subarray(i, i + 1), fb.subarray(i, i + 1))) return `component ${i} is ${f32Text(fb[i]!)} instead of ${f32Text(fa[i]!)}`;
  }
  return null;
}

/** A component as a message shows it: -0 with its sign (String(-0) is "0"). */
function f32Text(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}
