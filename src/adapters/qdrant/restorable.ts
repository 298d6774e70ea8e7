/**
 * Vectors Qdrant would not store back as they are (spec/FORMAT.md, section 15.2). JSON has no NaN
 * or ±Infinity, so such a component cannot be sent at all (Qdrant prints a NaN it holds as
 * `null`); and a Cosine vector whose squared length overflows float32 (a component like 3.4e38) is
 * normalised by the server into NaN. An export warns about such points, naming them, and an
 * import refuses them before anything of their batch is sent (a dry run says so first).
 */
import { isNormalised } from './verify.ts';
import type { VectorSpec } from './fingerprint.ts';

const F32_MAX = 3.4028234663852886e38;

/** Why Qdrant would not store these components as they are, or null. `null` entries are the server's NaN. */
export function componentsHazard(values: ArrayLike<number | null>, normalised: boolean): string | null {
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      return `component ${i} is ${x === null || x === undefined || Number.isNaN(x) ? 'NaN' : String(x)}, which JSON cannot carry back to Qdrant`;
    }
    sq += x * x;
  }
  if (normalised && sq > F32_MAX) {
    return 'its squared length overflows float32, so Qdrant\'s Cosine normalisation would store NaN';
  }
  return null;
}

/** The first hazard among a vector's rows (a multivector has several), or null. */
export function vectorHazard(rows: Array<ArrayLike<number | null>>, spec: VectorSpec | undefined): string | null {
  const normalised = isNormalised(spec);
  for (let r = 0; r < rows.length; r++) {
    const h = componentsHazard(rows[r]!, normalised);
    if (h) return rows.length > 1 ? `row ${r}: ${h}` : h;
  }
  return null;
}
