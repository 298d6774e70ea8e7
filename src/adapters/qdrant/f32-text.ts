/**
 * float32 vectors as the decimal text of an upsert body, written as bytes.
 *
 * Each element is its closest decimal of 9 significant digits, trailing zeros dropped (`0.6`
 * prints as `0.600000024`, `0.5` as `0.5`). That reads back as the same float32 on any parser
 * that rounds the decimal to a double and the double to a float32, as Qdrant's serde_json and
 * the emulator do:
 * - the digits are those of round(|x| × 10^(8−e)) for the decade e of x, a double product
 *   within 2^-52 of the exact one, so the decimal is within 5·10^-9 of x, relative;
 * - a float32's neighbours are at least 2^-24 away, relative (a normal one; a subnormal's are
 *   further), so half the gap, about 3·10^-8, leaves room for both roundings of the reader.
 * Checked once for all 2^32 bit patterns (each finite one reads back as itself, in at most 15
 * bytes; `node bench/f32-text.bench.ts --all`), and by test/qdrant/f32-text.test.ts for every 4099th
 * pattern, every 7th subnormal and every power of two and neighbour of a power of ten, which
 * also checks that the digits are the closest 9.
 *
 * It is not the shortest text (what Qdrant prints back): finding that costs a search per value.
 * Measured on 768-dim vectors (bench/f32-text.bench.ts): 47 ns and 13.7 bytes a number in
 * JavaScript (`writeF32`), against 97 ns and 21.3 bytes for JSON.stringify's shortest double of
 * the widened value, which the upsert sent before. The upserts now write the same bytes through a
 * port of writeF32 to WebAssembly (`writeF32s`, `writeVector`): 55–59 ns a number with the base64
 * decoding, against 63–72 ns for writeF32 in the same runs (bench/RESULTS.md, "Session 16").
 * writeF32 stays the reference that the port is compared with (the test on a sample, `--all` on
 * every bit pattern).
 *
 * -0 is written `-0.0` (JSON.stringify writes `0`, and the server would store +0); NaN and
 * ±Infinity as `null`, as JSON.stringify does (the import's checks refuse them first).
 */

import { memory, vectorText, type VectorText } from './wasm/vector-text.ts';

/** Bytes one element can take: `-1.23456789e-45` and its comma. */
export const F32_TEXT_MAX = 16;

/** POW[k + 64] = 10^k, the double closest to it. */
const POW = new Float64Array(129);
for (let k = -64; k <= 64; k++) POW[k + 64] = Number(`1e${k}`);
const LOG10_2 = 0.3010299956639812;
const P8 = 100_000_000;
const P9 = 1_000_000_000;
const POWI = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** The float32 of a bit pattern: `BITS[0] = bits`, then `VALUE[0]`. */
const BITS = new Int32Array(1);
const VALUE = new Float32Array(BITS.buffer);

/**
 * Writes the float32 whose bits are `bits` (an int32) at `out[at]`; returns the offset after it.
 * It takes the bits and no double, and reads its value from them itself: a double passed to a
 * function that is not inlined is boxed, 16 bytes of garbage a number, which had made writing the
 * upsert bodies the largest source of garbage of a verified import (bench/RESULTS.md, "Session 12").
 */
export function writeF32(bits: number, out: Uint8Array, at: number): number {
  const biased = (bits >>> 23) & 0xff;
  if (biased === 0xff) {
    out[at] = 110; // null
    out[at + 1] = 117;
    out[at + 2] = 108;
    out[at + 3] = 108;
    return at + 4;
  }
  if (bits < 0) out[at++] = 45; // -
  BITS[0] = bits & 0x7fffffff;
  const x = VALUE[0]!;
  if (x === 0) {
    if (bits < 0) {
      out[at] = 48; // -0.0 (the sign already written)
      out[at + 1] = 46;
      out[at + 2] = 48;
      return at + 3;
    }
    out[at] = 48;
    return at + 1;
  }
  // The decade: from the binary exponent, then corrected by the digits' count.
  const e2 = biased === 0 ? -149 + (31 - Math.clz32(bits & 0x7fffff)) : biased - 127;
  let e = Math.floor(e2 * LOG10_2);
  let m = Math.round(x * POW[72 - e]!) | 0;
  if (m >= P9) {
    e++;
    m = Math.round(x * POW[72 - e]!) | 0;
  } else if (m < P8) {
    e--;
    m = Math.round(x * POW[72 - e]!) | 0;
  }
  if (m >= P9) {
    // 999999999.5 and above round up into the next decade.
    e++;
    m = Math.round(x * POW[72 - e]!) | 0;
  }
  let nd = 9;
  while (m % 10 === 0) {
    m = (m / 10) | 0;
    nd--;
  }
  if (e >= -4 && e < 0) {
    // 0.000ddd
    out[at] = 48;
    out[at + 1] = 46;
    at += 2;
    for (let z = -1; z > e; z--) out[at++] = 48;
    return digits(m, out, at, at + nd);
  }
  if (e >= 0 && e <= 8) {
    if (nd <= e + 1) {
      // An integer: its digits, then zeros.
      const end = at + e + 1;
      out.fill(48, at + nd, end);
      digits(m, out, at, at + nd);
      return end;
    }
    // ddd.ddd: the integer part's digits, the point, the fraction's (leading zeros written).
    const dot = at + e + 1;
    const unit = POWI[nd - e - 1]!;
    const whole = (m / unit) | 0;
    digits(whole, out, at, dot);
    out[dot] = 46;
    return digits(m - whole * unit, out, dot + 1, at + nd + 1);
  }
  // d.ddde±x
  const end = nd > 1 ? digits(m, out, at + 1, at + nd + 1) : digits(m, out, at, at + 1);
  if (nd > 1) {
    out[at] = out[at + 1]!;
    out[at + 1] = 46;
  }
  let p = end;
  out[p++] = 101; // e
  if (e < 0) {
    out[p++] = 45;
    e = -e;
  }
  if (e >= 10) {
    out[p++] = 48 + ((e / 10) | 0);
    e %= 10;
  }
  out[p++] = 48 + e;
  return p;
}

/** PAIRS[2k], PAIRS[2k + 1]: the two ASCII digits of k, for k < 100. */
const PAIRS = new Uint8Array(200);
for (let k = 0; k < 100; k++) {
  PAIRS[2 * k] = 48 + ((k / 10) | 0);
  PAIRS[2 * k + 1] = 48 + (k % 10);
}

/**
 * Writes the decimal digits of `m` into out[from, end), the last digit at end − 1; returns end.
 * Two digits a division (PAIRS), half the divisions of one at a time.
 */
function digits(m: number, out: Uint8Array, from: number, end: number): number {
  let i = end;
  while (i - from >= 2) {
    const q = (m / 100) | 0;
    const r = (m - q * 100) << 1;
    out[i - 1] = PAIRS[r + 1]!;
    out[i - 2] = PAIRS[r]!;
    m = q;
    i -= 2;
  }
  if (i > from) out[from] = 48 + m;
  return end;
}

/**
 * Writes the base64 float32 vector `b64` (spec/FORMAT.md 7.1) as a JSON array of numbers at
 * `out[at]`; returns the offset after it. `out` must have vectorTextMax(b64.length) bytes free.
 * The vector is decoded into the WebAssembly module's memory and written there (below).
 */
export function writeVector(b64: string, out: Uint8Array, at: number): number {
  const most = Math.ceil((b64.length * 3) / 4);
  const w = vectorText(most + vectorTextMax(b64.length));
  const n = memory().write(b64, w.base(), 'base64');
  if (n % 4 !== 0) throw new RangeError(`vector byte length ${n} is not a multiple of 4`);
  return written(w, n >> 2, out, at);
}

/** How many bytes `writeVector` may need for a base64 vector of this length. */
export function vectorTextMax(b64Length: number): number {
  return Math.ceil((b64Length * 3) / 16) * F32_TEXT_MAX + 2;
}

/**
 * Writes the float32s whose bits are `bits` as a JSON array of numbers at `out[at]`; returns the
 * offset after it. `out` must have `bits.length * F32_TEXT_MAX + 2` bytes free.
 *
 * The text is written by WebAssembly (wasm/vector-text.as.ts `writeF32s`, a port of writeF32 above,
 * byte for byte the same: test/qdrant/vector-text.test.ts compares them): writeF32 in JavaScript
 * was 7 % of a verified import's client time, and the port is a little faster (bench/RESULTS.md,
 * "Session 16").
 */
export function writeF32s(bits: Int32Array, out: Uint8Array, at: number): number {
  const n = bits.length;
  const w = vectorText(4 * n + n * F32_TEXT_MAX + 2);
  memory().set(new Uint8Array(bits.buffer, bits.byteOffset, 4 * n), w.base());
  return written(w, n, out, at);
}

/** Writes the `n` float32s at the module's base as text after them, and copies the text to `out[at]`. */
function written(w: VectorText, n: number, out: Uint8Array, at: number): number {
  const src = w.base();
  const dst = src + 4 * n;
  const end = w.writeF32s(src, n, dst);
  out.set(memory().subarray(dst, end), at);
  return at + (end - dst);
}
