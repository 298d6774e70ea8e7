/**
 * float32 values as Qdrant prints them: serde_json writes an f32 with ryu's shortest float32
 * digits in Rust's layout (`0.6`, `1.0`, `0.099975586`, `1e-45`), not the shortest double of its
 * widened value (`0.6000000238418579`).
 */
import { ryuLayout } from '../../src/adapters/qdrant/server-numbers.ts';

const fround = Math.fround;

/** Whether the closest p-digit decimal reads back as the float32 `x`. */
const fits = (x: number, p: number): boolean => fround(Number(x.toExponential(p - 1))) === x;

/** Digits and decimal point position of a decimal in exponent form, trailing zeros dropped. */
function layoutOf(text: string): { digits: string; kk: number } {
  const [mant, exp] = text.split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/(?<=.)0+$/, '');
  return { digits, kk: Number(exp) + 1 };
}

/**
 * The shortest decimal digits that read back as the float32 `x` (> 0), the closest of them when
 * several do (ryu's choice). Fitting is monotone in the digit count, so the search starts at 7
 * digits, where most values land. A power of two has a narrower interval below it, where the
 * closest p-digit decimal can miss while a neighbour fits: those take the exhaustive path.
 */
function shortestF32(x: number): { digits: string; kk: number } {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  if ((bits & 0x7fffff) === 0) return exhaustive(x);
  let p = 7;
  if (fits(x, p)) {
    while (p > 1 && fits(x, p - 1)) p--;
  } else {
    p = fits(x, 8) ? 8 : 9;
  }
  return layoutOf(x.toExponential(p - 1));
}

function exhaustive(x: number): { digits: string; kk: number } {
  for (let p = 1; p <= 9; p++) {
    const [mant, exp] = x.toExponential(p - 1).split('e') as [string, string];
    const m = BigInt(mant.replace('.', ''));
    const e = Number(exp) - (p - 1);
    let best: string | undefined;
    let bestErr = Infinity;
    for (const c of [m, m - 1n, m + 1n]) {
      if (c <= 0n) continue;
      const v = Number(`${c}e${e}`);
      if (fround(v) !== x || Math.abs(v - x) >= bestErr) continue;
      best = v.toExponential(p - 1);
      bestErr = Math.abs(v - x);
    }
    if (best !== undefined) return layoutOf(best);
  }
  throw new RangeError(`${x} is not a float32`);
}

const cache = new Map<number, string>();

/** A float32 as serde_json prints it; non-finite values print as null, as serde_json does. */
export function formatF32(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const hit = cache.get(x);
  if (hit !== undefined) return hit;
  const { digits, kk } = shortestF32(Math.abs(x));
  const s = ryuLayout(x < 0, digits, kk, 13, -6);
  // Bounded: benchmarks reuse a pool of vectors, and a hit costs a fraction of the search.
  if (cache.size < 1 << 20) cache.set(x, s);
  return s;
}
