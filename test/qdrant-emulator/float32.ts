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

/** 10^k for k in [0, 89], the doubles nearest (exact up to 10^22). */
const P10 = new Float64Array(90);
for (let k = 0; k < P10.length; k++) P10[k] = Number(`1e${k}`);
/** Half the spacing of float32s of biased exponent e (2^-150 for subnormals, as at e = 1). */
const HALF_ULP = new Float64Array(256);
for (let e = 0; e < 256; e++) HALF_ULP[e] = 2 ** (Math.max(e, 1) - 151);
/** Products closer than this (relative) to a boundary or a tie are left to the search. */
const MARGIN = 2 ** -47;
const BITS = new Uint32Array(1);
const VALUE = new Float32Array(BITS.buffer);

/** The p-digit integer closest to x·10^(p−1−e10) found by `fitsAt` when it fits. */
let digitsFound = 0;

/**
 * Whether the p-digit decimal closest to `x` (> 0, decade `e10`) lies strictly inside the
 * interval of decimals that read back as x, [x − h, x + h] with `h` half the spacing of float32s
 * there: 1 yes (its digits in `digitsFound`), 0 no, -1 undecided (a product within MARGIN of a
 * boundary or of a tie between two p-digit decimals, left to the search). A decimal strictly
 * inside reads back as x through a double, as `fits` asks.
 */
function fitsAt(x: number, h: number, e10: number, p: number): number {
  const k = p - 1 - e10;
  if (k >= P10.length || k <= -P10.length) return -1;
  let sx: number;
  let lo: number;
  let hi: number;
  if (k >= 0) {
    const s = P10[k]!;
    sx = x * s;
    lo = (x - h) * s;
    hi = (x + h) * s;
  } else {
    const s = P10[-k]!;
    sx = x / s;
    lo = (x - h) / s;
    hi = (x + h) / s;
  }
  const m = sx * MARGIN;
  const d = Math.round(sx);
  if (d - lo > m && hi - d > m) {
    if (Math.abs(sx - Math.floor(sx) - 0.5) <= m) return -1;
    digitsFound = d;
    return 1;
  }
  return Math.abs(d - lo) <= m || Math.abs(hi - d) <= m ? -1 : 0;
}

/** The digits of the number being written, last first. */
const DIGITS = new Uint8Array(10);

/**
 * Writes the p-digit integer `d` (no trailing zero unless it is 1 of a decade) with decimal point
 * position `kk` in Rust's layout (server-numbers.ts ryuLayout with 13 and -6) at `out[at]`.
 */
function writeLayout(d: number, kk: number, out: Buffer, at: number): number {
  let len = 0;
  do {
    const q = Math.floor(d / 10);
    DIGITS[len++] = 48 + d - q * 10;
    d = q;
  } while (d > 0);
  const k = kk - len;
  if (k >= 0 && kk <= 13) {
    for (let i = len - 1; i >= 0; i--) out[at++] = DIGITS[i]!;
    for (let i = 0; i < k; i++) out[at++] = 48;
    out[at++] = 46;
    out[at++] = 48;
  } else if (kk > 0 && kk <= 13) {
    for (let i = len - 1; i >= 0; i--) {
      out[at++] = DIGITS[i]!;
      if (len - i === kk) out[at++] = 46;
    }
  } else if (kk > -6 && kk <= 0) {
    out[at++] = 48;
    out[at++] = 46;
    for (let i = 0; i < -kk; i++) out[at++] = 48;
    for (let i = len - 1; i >= 0; i--) out[at++] = DIGITS[i]!;
  } else {
    out[at++] = DIGITS[len - 1]!;
    if (len > 1) {
      out[at++] = 46;
      for (let i = len - 2; i >= 0; i--) out[at++] = DIGITS[i]!;
    }
    out[at++] = 101;
    at += out.write(String(kk - 1), at, 'latin1');
  }
  return at;
}

/** The decimal point position of the digits `fastDigits` returned last (`0.DIGITS × 10^fastKk`). */
let fastKk = 0;

/**
 * The shortest digits of `x` (> 0) as the search finds them, for `x` whose interval is symmetric
 * (not a power of two), found with a few products instead of toExponential and a parse per digit
 * count: the digits as an integer, their decimal point position in `fastKk`; -1 when a product is
 * too close to call (about 1 value in 100, mostly decimals with few digits, whose products tie
 * exactly), which then takes the search. The same digits as the search for every value it decides
 * (test/qdrant-emulator.test.ts compares the two).
 */
function fastDigits(x: number, bits: number): number {
  if ((bits & 0x7fffff) === 0) return -1;
  const h = HALF_ULP[(bits >>> 23) & 0xff]!;
  const e10 = Math.floor(Math.log10(x));
  const low = e10 >= 0 ? P10[e10] : 1 / P10[-e10]!;
  const high = e10 + 1 >= 0 ? P10[e10 + 1] : 1 / P10[-e10 - 1]!;
  if (low === undefined || high === undefined || !(x > low && x < high)) return -1;
  // Fitting is monotone in p: from 7 digits, where most values land, down while it fits, else up.
  let p = 7;
  let r = fitsAt(x, h, e10, p);
  if (r < 0) return -1;
  let d = digitsFound;
  if (r === 1) {
    while (p > 1) {
      const q = fitsAt(x, h, e10, p - 1);
      if (q < 0) return -1;
      if (q === 0) break;
      p--;
      d = digitsFound;
    }
  } else {
    for (p = 8; p <= 9; p++) {
      r = fitsAt(x, h, e10, p);
      if (r < 0) return -1;
      if (r === 1) break;
    }
    if (r !== 1) return -1;
    d = digitsFound;
  }
  fastKk = e10 + 1;
  if (d === P10[p]) {
    // Rounded up to the next decade: one digit.
    d = 1;
    fastKk++;
  }
  return d;
}

/** Bytes one value can take: `-1.1754942e-38` and a comma, with room to spare. */
const MAX_TEXT = 24;
let arrayOut = Buffer.allocUnsafe(768 * MAX_TEXT);

/**
 * A float32 array as serde_json prints it (`[0.6,1.0,-1e-45]`), written as bytes: the fast path's
 * digits straight into one buffer, the search's text where it is undecided. The same text as
 * joining formatF32 of each value, without a string per value.
 */
export function formatF32Array(value: Float32Array): string {
  if (arrayOut.length < value.length * MAX_TEXT + 2) arrayOut = Buffer.allocUnsafe(value.length * MAX_TEXT + 2);
  const out = arrayOut;
  const bits = new Uint32Array(value.buffer, value.byteOffset, value.length);
  let at = 0;
  out[at++] = 91;
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out[at++] = 44;
    const x = value[i]!;
    const b = bits[i]!;
    const mag = b & 0x7fffffff;
    if (mag === 0 || mag >= 0x7f800000) {
      at += out.write(formatF32(x), at, 'latin1');
      continue;
    }
    const d = fastDigits(Math.abs(x), mag);
    if (d < 0) {
      at += out.write(searchedF32(x), at, 'latin1');
      continue;
    }
    if (b >>> 31) out[at++] = 45;
    at = writeLayout(d, fastKk, out, at);
  }
  out[at++] = 93;
  return out.toString('latin1', 0, at);
}

/** fastDigits in Rust's layout (ryuLayout), or null when undecided. */
export function fastF32(x: number, bits: number): string | null {
  const d = fastDigits(x, bits);
  return d < 0 ? null : ryuLayout(false, String(d), fastKk, 13, -6);
}

/** A float32 as serde_json prints it by the search alone (the reference the fast path is tested against). */
export function searchedF32(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { digits, kk } = shortestF32(Math.abs(x));
  return ryuLayout(x < 0, digits, kk, 13, -6);
}

/**
 * A float32 as serde_json prints it; non-finite values print as null, as serde_json does. With no
 * cache: the cost does not depend on values repeating (formatF32Array for a whole vector).
 */
export function formatF32(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  VALUE[0] = x;
  const fast = fastF32(Math.abs(x), BITS[0]! & 0x7fffffff);
  if (fast !== null) return x < 0 ? `-${fast}` : fast;
  return searchedF32(x);
}
