// AssemblyScript (https://www.assemblyscript.org), compiled to WebAssembly by `npm run build:wasm`
// into vector-text.wasm.ts, and loaded by vector-text.ts. Two things the verified import does for
// every number of every vector, which took a fifth of its client time in JavaScript
// (bench/RESULTS.md, "Session 16"):
// - scanPoint: reads a read-back point's vector into float32s (used by ../point-scan.ts);
// - writeF32s: writes float32s as the decimal text of an upsert body (used by ../f32-text.ts).
//
// Reading. One pass over a Qdrant point's JSON object, as the server sends it in a retrieve answer:
// its top-level members are skipped (strings with their escapes, nested objects and arrays), and
// the value of its member "vector", when it is an array of JSON numbers, is read into float32s.
//
// A number is read exactly or not at all. Its digits (at most 19) and decimal exponent give a
// double v within 6 * 2^-53 (relative) of the double a JSON parser returns, the one nearest the
// decimal: at most five roundings of 2^-53 (the digits, two powers of ten from the table, two
// products) and the parser's own half unit. The float32 nearest v is the one that double rounds
// to, unless v lies within 2^-48 (relative) of a midpoint between two float32s: 2^-48 is over five
// times that bound, so outside the margin the parser's double is on v's side of every midpoint.
// Near a midpoint, for a float32 outside [2^-100, 2^100] (subnormal neighbours, overflow), for a
// number of more than 19 significant digits, or for text that is not JSON, it gives up, and the
// caller parses the text itself. So what it reads is exactly what Float32Array.from(JSON.parse(…))
// gives, or nothing.
//
// The caller puts the text at `t`, followed by at least 8 bytes of zeros: the digit loops and the
// eight-digit reads (one 64-bit load, then SWAR) stop at a zero without a bound check.

/** 10^k and 10^-k, the doubles nearest them (exact up to 10^22), for k up to 42: two of them reach 10^±64. */
const POS: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42];
const NEG: StaticArray<f64> = [1e-0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22, 1e-23, 1e-24, 1e-25, 1e-26, 1e-27, 1e-28, 1e-29, 1e-30, 1e-31, 1e-32, 1e-33, 1e-34, 1e-35, 1e-36, 1e-37, 1e-38, 1e-39, 1e-40, 1e-41, 1e-42];

let valueStart: i32 = 0;
let valueEnd: i32 = 0;
let count: i32 = 0;

export function start(): i32 {
  return valueStart;
}
export function end(): i32 {
  return valueEnd;
}
export function numbers(): i32 {
  return count;
}
export function base(): usize {
  return (__heap_base + 15) & ~15;
}

@inline function ws(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

@inline function skipWs(p: usize): usize {
  while (ws(<u32>load<u8>(p))) p++;
  return p;
}

/** After the string whose quote is at p; 0 if it does not end before `end`. Sets `escaped` if it holds a backslash. */
let escaped = false;
function skipString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c == 0x5c) {
      escaped = true;
      p += 2;
    } else p++;
  }
  return 0;
}

/** After the value that begins at p (a string, an object, an array or a scalar); 0 if it does not end before `end`. */
function skipValue(p: usize, end: usize): usize {
  const c = load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c == 0x7b || c == 0x5b) {
    let depth = 0;
    while (p < end) {
      const d = load<u8>(p);
      if (d == 0x22) {
        p = skipString(p, end);
        if (p == 0) return 0;
        continue;
      }
      if (d == 0x7b || d == 0x5b) depth++;
      else if (d == 0x7d || d == 0x5d) {
        depth--;
        if (depth == 0) return p + 1;
      }
      p++;
    }
    return 0;
  }
  while (p < end) {
    const d = load<u8>(p);
    if (d == 0x2c || d == 0x7d || d == 0x5d || ws(d)) return p;
    p++;
  }
  return 0;
}

/**
 * The JSON number array at p, read into float32s at `out` (at most `cap`): the position after its
 * `]`, or 0 where a number is not read exactly (a reader then parses the text itself) or the text
 * is not such an array.
 */
function numberArray(p: usize, end: usize, out: usize, cap: i32): usize {
  p = skipWs(p + 1);
  let i: i32 = 0;
  if (load<u8>(p) == 0x5d) {
    count = 0;
    return p + 1;
  }
  while (true) {
    if (i >= cap || p >= end) return 0;
    let c = <u32>load<u8>(p);
    let neg: u32 = 0;
    if (c == 0x2d) {
      neg = 1;
      p++;
      c = <u32>load<u8>(p);
    }
    let m: u64 = 0;
    let nd: i32 = 0;
    let x10: i32 = 0;
    if (c == 0x30) {
      p++;
      if (<u32>load<u8>(p) - 0x30 < 10) return 0; // "01" is not JSON
    } else if (c - 0x31 >= 9) return 0;
    // The digits before and after the point, in one loop: past the point (frac = 1) each digit
    // lowers the exponent.
    let frac: i32 = 0;
    let s: usize = 0;
    while (true) {
      const k = <u32>load<u8>(p) - 0x30;
      if (k <= 9) {
        if (nd >= 19) return 0;
        m = m * 10 + <u64>k;
        nd++;
        x10 -= frac;
        p++;
        continue;
      }
      if (frac != 0 || k != 0xfffffffe) break; // 0xfffffffe: "." (0x2e - 0x30)
      frac = 1;
      p++;
      s = p;
      if (m == 0) {
        while (load<u8>(p) == 0x30) {
          x10--;
          p++;
        }
      }
      while (nd <= 11) {
        const v = load<u64>(p);
        if (((v & 0xf0f0f0f0f0f0f0f0) | (((v + 0x0606060606060606) & 0xf0f0f0f0f0f0f0f0) >> 4)) != 0x3333333333333333) break;
        let w = ((v & 0x0f0f0f0f0f0f0f0f) * 2561) >> 8;
        w = ((w & 0x00ff00ff00ff00ff) * 6553601) >> 16;
        w = ((w & 0x0000ffff0000ffff) * 42949672960001) >> 32;
        m = m * 100000000 + w;
        nd += 8;
        x10 -= 8;
        p += 8;
      }
    }
    if (frac != 0 && p == s) return 0; // "1." is not JSON
    if ((load<u8>(p) | 0x20) == 0x65) {
      p++;
      let eneg = false;
      const sign = load<u8>(p);
      if (sign == 0x2b || sign == 0x2d) {
        eneg = sign == 0x2d;
        p++;
      }
      const s = p;
      let ev: i32 = 0;
      while (true) {
        const k = <u32>load<u8>(p) - 0x30;
        if (k > 9) break;
        if (ev < 100000) ev = ev * 10 + <i32>k;
        p++;
      }
      if (p == s) return 0;
      x10 += eneg ? -ev : ev;
    }
    let bits: u32 = 0;
    if (m != 0) {
      if (x10 < -64 || x10 > 64) return 0;
      let v = <f64>m;
      if (x10 >= 0) v = x10 <= 42 ? v * unchecked(POS[x10]) : v * 1e22 * unchecked(POS[x10 - 22]);
      else v = x10 >= -42 ? v * unchecked(NEG[-x10]) : v * 1e-22 * unchecked(NEG[-x10 - 22]);
      // The float32 nearest v, if v is not near a midpoint (above). Only float32s between 2^-100
      // and 2^100 are read here: their neighbours are normal and finite.
      bits = reinterpret<u32>(<f32>v);
      if (bits < 0x0d800000 || bits > 0x71800000) return 0;
      const f = <f64>reinterpret<f32>(bits);
      const lo = (f + <f64>reinterpret<f32>(bits - 1)) * 0.5;
      const hi = (f + <f64>reinterpret<f32>(bits + 1)) * 0.5;
      const margin = f * 3.552713678800501e-15; // 2^-48
      if (!(v > lo + margin && v < hi - margin)) return 0;
    }
    store<u32>(out + (<usize>i << 2), bits | (neg << 31));
    i++;
    p = skipWs(p);
    c = <u32>load<u8>(p);
    p++;
    if (c == 0x2c) {
      p = skipWs(p);
      continue;
    }
    if (c != 0x5d) return 0;
    count = i;
    return p;
  }
  return 0;
}

/**
 * The point's JSON object at [t, t + n), with at least 8 bytes after it that are not digits:
 * 1 when it has one member "vector", whose value is a number array read into float32s at `out`
 * (start, end: where the value is; numbers: how many); else 0, and the caller parses the text
 * itself: no such member, or two, a value that is not a number array read exactly, a member name
 * with an escape, or text that is not an object.
 */
export function scanPoint(t: usize, n: i32, out: usize, cap: i32): i32 {
  const end = t + <usize>n;
  let p = skipWs(t);
  if (load<u8>(p) != 0x7b) return 0;
  p = skipWs(p + 1);
  let found = false;
  if (load<u8>(p) == 0x7d) return 0;
  while (p < end) {
    if (load<u8>(p) != 0x22) return 0;
    const name = p;
    escaped = false;
    p = skipString(p, end);
    if (p == 0 || escaped) return 0;
    const isVector = p - name == 8 && load<u32>(name + 1) == 0x74636576 && load<u16>(name + 5) == 0x726f; // "vector"
    p = skipWs(p);
    if (load<u8>(p) != 0x3a) return 0;
    p = skipWs(p + 1);
    if (p >= end) return 0;
    if (isVector) {
      if (found || load<u8>(p) != 0x5b) return 0;
      const q = numberArray(p, end, out, cap);
      if (q == 0) return 0;
      found = true;
      valueStart = <i32>(p - t);
      valueEnd = <i32>(q - t);
      p = q;
    } else {
      p = skipValue(p, end);
      if (p == 0) return 0;
    }
    p = skipWs(p);
    const c = load<u8>(p);
    if (c == 0x7d) return found && skipWs(p + 1) == end ? 1 : 0;
    if (c != 0x2c) return 0;
    p = skipWs(p + 1);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Writing: float32s as the decimal text of an upsert body, byte for byte what f32-text.ts
// `writeF32` writes (its comment says why that text reads back as the same float32; the test
// compares the two writers on a sample of every exponent's bit patterns).

/** POW[k + 64] = 10^k, the double closest to it. */
const POW: StaticArray<f64> = [
  1e-64, 1e-63, 1e-62, 1e-61, 1e-60, 1e-59, 1e-58, 1e-57, 1e-56, 1e-55,
  1e-54, 1e-53, 1e-52, 1e-51, 1e-50, 1e-49, 1e-48, 1e-47, 1e-46, 1e-45,
  1e-44, 1e-43, 1e-42, 1e-41, 1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35,
  1e-34, 1e-33, 1e-32, 1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25,
  1e-24, 1e-23, 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15,
  1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5,
  1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
  1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25,
  1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35,
  1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45,
  1e46, 1e47, 1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55,
  1e56, 1e57, 1e58, 1e59, 1e60, 1e61, 1e62, 1e63, 1e64,
];

const LOG10_2: f64 = 0.3010299956639812;
const P8: i32 = 100000000;
const P9: i32 = 1000000000;
const POWI: StaticArray<i32> = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

/** round(x) for x ≥ 0, halves up, as Math.round. */
@inline function roundHalfUp(x: f64): i32 {
  const f = Math.floor(x);
  return <i32>(x - f >= 0.5 ? f + 1 : f);
}

/** The decimal digits of m into [from, end), the last at end − 1; returns end. */
function digits(m: i32, from: usize, end: usize): usize {
  let i = end;
  while (i - from >= 2) {
    const q = m / 100;
    const r = m - q * 100;
    store<u8>(i - 1, 48 + r % 10);
    store<u8>(i - 2, 48 + r / 10);
    m = q;
    i -= 2;
  }
  if (i > from) store<u8>(from, 48 + m);
  return end;
}

/** The float32 whose bits are `bits` at `at`; the offset after it. */
function writeF32(bits: u32, at: usize): usize {
  const biased = (bits >>> 23) & 0xff;
  if (biased == 0xff) {
    store<u32>(at, 0x6c6c756e); // null
    return at + 4;
  }
  if (bits >>> 31 != 0) store<u8>(at++, 45); // -
  const mag = bits & 0x7fffffff;
  const x = <f64>reinterpret<f32>(mag);
  if (mag == 0) {
    if (bits >>> 31 != 0) {
      store<u8>(at, 48); // -0.0 (the sign already written)
      store<u8>(at + 1, 46);
      store<u8>(at + 2, 48);
      return at + 3;
    }
    store<u8>(at, 48);
    return at + 1;
  }
  const e2: i32 = biased == 0 ? -149 + (31 - <i32>clz<u32>(bits & 0x7fffff)) : <i32>biased - 127;
  let e = <i32>Math.floor(<f64>e2 * LOG10_2);
  let m = roundHalfUp(x * unchecked(POW[72 - e]));
  if (m >= P9) {
    e++;
    m = roundHalfUp(x * unchecked(POW[72 - e]));
  } else if (m < P8) {
    e--;
    m = roundHalfUp(x * unchecked(POW[72 - e]));
  }
  if (m >= P9) {
    e++;
    m = roundHalfUp(x * unchecked(POW[72 - e]));
  }
  let nd = 9;
  while (m % 10 == 0) {
    m /= 10;
    nd--;
  }
  if (e >= -4 && e < 0) {
    store<u8>(at, 48); // 0.000ddd
    store<u8>(at + 1, 46);
    at += 2;
    for (let z = -1; z > e; z--) store<u8>(at++, 48);
    return digits(m, at, at + <usize>nd);
  }
  if (e >= 0 && e <= 8) {
    if (nd <= e + 1) {
      const end = at + <usize>(e + 1); // an integer: its digits, then zeros
      memory.fill(at + <usize>nd, 48, <usize>(e + 1 - nd));
      digits(m, at, at + <usize>nd);
      return end;
    }
    const dot = at + <usize>(e + 1); // ddd.ddd
    const unit = unchecked(POWI[nd - e - 1]);
    const whole = m / unit;
    digits(whole, at, dot);
    store<u8>(dot, 46);
    return digits(m - whole * unit, dot + 1, at + <usize>nd + 1);
  }
  const end = nd > 1 ? digits(m, at + 1, at + <usize>nd + 1) : digits(m, at, at + 1); // d.ddde±x
  if (nd > 1) {
    store<u8>(at, load<u8>(at + 1));
    store<u8>(at + 1, 46);
  }
  let p = end;
  store<u8>(p++, 101); // e
  if (e < 0) {
    store<u8>(p++, 45);
    e = -e;
  }
  if (e >= 10) {
    store<u8>(p++, <u8>(48 + e / 10));
    e %= 10;
  }
  store<u8>(p++, <u8>(48 + e));
  return p;
}

/**
 * The `n` float32s whose bits are at `src` as a JSON array of numbers at `dst` (room for 16n + 2
 * bytes); returns the offset after it.
 */
export function writeF32s(src: usize, n: i32, dst: usize): usize {
  let at = dst;
  store<u8>(at++, 91); // [
  for (let i = 0; i < n; i++) {
    if (i > 0) store<u8>(at++, 44);
    at = writeF32(load<u32>(src + (<usize>i << 2)), at);
  }
  store<u8>(at++, 93);
  return at;
}
