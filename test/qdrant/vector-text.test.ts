/**
 * The WebAssembly module of src/adapters/qdrant/wasm/vector-text.as.ts, both ways:
 * - point-scan.ts: a read-back point's vector read from its bytes into float32s. What it reads must
 *   be exactly what the old path gives (JSON.parse of the whole point, then Float32Array.from of
 *   its vector); where it cannot be sure it must give up (null), never guess.
 * - f32-text.ts writeF32s and writeVector: an upsert body's numbers, byte for byte what the
 *   JavaScript writeF32 writes (whose text test/qdrant/f32-text.test.ts checks).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scannedPoint } from '../../src/adapters/qdrant/point-scan.ts';
import { F32_TEXT_MAX, vectorTextMax, writeF32, writeF32s, writeVector } from '../../src/adapters/qdrant/f32-text.ts';
import type { QdrantPoint } from '../../src/adapters/qdrant/convert.ts';
import { formatF32, formatF32Array } from '../qdrant-emulator/float32.ts';
import { compile, moduleText, SOURCES, targetOf } from '../../scripts/build-wasm.ts';
import { anyString } from '../format/arbitraries.ts';

/** The old path's parse of a point (api.ts pointOf without the payload lexemes, which both paths share). */
const parse = (text: string): QdrantPoint => JSON.parse(text) as QdrantPoint;

/** scannedPoint on a text, as its UTF-8 bytes inside a larger buffer (as an answer's chunk holds them). */
function scan(text: string): QdrantPoint | null {
  const body = Buffer.from(text);
  const b = Buffer.concat([Buffer.from('[[1,2],'), body, Buffer.from(']1234567890')]);
  return scannedPoint(b, 7, 7 + body.length, parse);
}

const bitsOf = (v: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(v).buffer));

/** The old path's float32 bits of a text's vector, or null where JSON.parse throws. */
function oldBits(vectorText: string): number[] | null {
  try {
    return bitsOf(JSON.parse(vectorText) as number[]);
  } catch {
    return null;
  }
}

/** The float32 of a bit pattern. */
function f32(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

/** How many of forms()'s texts, the last ones, lie at or next to a rounding midpoint. */
const MIDPOINT_FORMS = 9;

/** Texts of one float32 in the forms servers and writers print. */
function forms(bits: number): string[] {
  const x = f32(bits);
  const out = [JSON.stringify(x), formatF32(x), x.toPrecision(9), x.toPrecision(17), x.toExponential(), x.toExponential(8).replace('e', 'E'), x.toExponential(12)];
  const b = Buffer.alloc(32);
  out.push(b.toString('latin1', 0, writeF32s(new Int32Array([bits | 0]), b, 0)).slice(1, -1));
  // The midpoint with the next float32 up, and the doubles next to it: where an approximate read
  // would round to the wrong float32 unless it gives up.
  const mid = (x + f32(bits + 1)) / 2;
  for (const m of [mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -53)]) out.push(m.toPrecision(17), m.toPrecision(19), String(m));
  return out;
}

describe('vector-text (WebAssembly)', () => {
  it('writes float32s byte for byte as writeF32 does: a sample of all bit patterns, in vectors of every length', () => {
    const patterns: number[] = [0, 0x80000000, 1, 0x80000001, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f7fffff, 0x00800000, 0x007fffff];
    for (let b = 0; b < 2 ** 32; b += 4099 * 3) patterns.push(b, b + 1);
    for (let k = -45; k <= 38; k++) {
      const bits = new Uint32Array(new Float32Array([Number(`1e${k}`), 2 ** Math.max(-149, Math.min(127, k * 3))]).buffer);
      patterns.push(bits[0]!, bits[0]! + 1, bits[0]! - 1, bits[1]!);
    }
    const all = Int32Array.from(patterns, (b) => b | 0);
    const one = Buffer.alloc(F32_TEXT_MAX);
    let at = 0;
    for (let len = 0; at < all.length; len = (len * 7 + 3) % 1500) {
      const chunk = all.subarray(at, at + len);
      at += len;
      const want = '[' + Array.from(chunk, (b) => one.toString('latin1', 0, writeF32(b, one, 0))).join(',') + ']';
      const out = Buffer.alloc(chunk.length * F32_TEXT_MAX + 2 + 8, 0x41);
      const end = writeF32s(chunk, out, 4);
      expect(out.toString('latin1', 4, end)).toBe(want);
      expect(out.toString('latin1', 0, 4) + out.toString('latin1', end)).toBe('A'.repeat(out.length - (end - 4))); // nothing else written
      const b64 = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64');
      const out2 = Buffer.alloc(vectorTextMax(b64.length));
      expect(out2.toString('latin1', 0, writeVector(b64, out2, 0))).toBe(want);
    }
  });

  it('the committed module is the compile of its AssemblyScript source', async () => {
    for (const source of SOURCES) {
      expect(readFileSync(new URL(`../../${targetOf(source)}`, import.meta.url), 'utf8')).toBe(moduleText(source, await compile(source)));
    }
  }, 60_000);

  it('reads each number exactly as JSON.parse and Float32Array.from do, or gives up: a sample of all bit patterns in every form', () => {
    const wrong: string[] = [];
    let read = 0;
    let inRange = 0;
    let inRangeRead = 0;
    for (let hi = 0; hi < 2 ** 32; hi += 2 ** 32 / 64 / 257) {
      const base = Math.floor(hi);
      for (const bits of [base, base + 1, (base | 0x7fffff) >>> 0, base & 0xff800000]) {
        if (((bits >>> 23) & 0xff) === 0xff) continue; // NaN and infinities: JSON has no text for them
        const mag = bits & 0x7fffffff;
        const normal = mag >= 0x0d800000 && mag <= 0x71800000;
        const ts = forms(bits);
        for (const [k, t] of ts.entries()) {
          const text = `{"id":1,"vector":[${t}]}`;
          const p = scan(text);
          const want = oldBits(`[${t}]`);
          const counted = normal && k < ts.length - MIDPOINT_FORMS; // texts near a midpoint are meant to be given up
          if (counted) inRange++;
          if (p === null) continue;
          read++;
          if (counted) inRangeRead++;
          const got = p.vector instanceof Float32Array ? bitsOf(p.vector) : null;
          if (got === null || want === null || got.length !== 1 || got[0] !== want[0]) wrong.push(`${t}: ${String(got)} instead of ${String(want)}`);
        }
      }
    }
    // A scanner that always gave up would pass the comparison: it must read nearly every number
    // in its range (the few it leaves are near a rounding midpoint).
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(read).toBeGreaterThan(0);
    expect(inRangeRead / inRange).toBeGreaterThan(0.99);
  });

  it('reads whole vectors of unit components in the emulator\'s and Qdrant\'s text', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 50; k++) {
      const a = new Float32Array(768).map(() => rnd() * 2 - 1);
      const norm = Math.hypot(...a);
      const v = a.map((x) => x / norm);
      for (const vt of [JSON.stringify(Array.from(v)), formatF32Array(v)]) {
        const p = scan(`{"id":${k},"version":3,"payload":{"k":${k}},"vector":${vt}}`);
        expect(p).not.toBeNull();
        expect(bitsOf(p!.vector as Float32Array)).toEqual(bitsOf(v));
        expect(p!.payload).toEqual({ k });
        expect(p!.id).toBe(k);
      }
    }
  });

  it('gives up on what JSON.parse refuses, and keeps the sign of zero', () => {
    for (const t of ['01', '1.', '.5', '+1', '1e', '1e+', '-', '--1', 'NaN', 'Infinity', '0x10', '1_0', '1 2', '1,', ',1', '"1"', 'null', 'true', '[1]', '1]']) {
      expect(scan(`{"id":1,"vector":[${t}]}`), t).toBeNull();
    }
    for (const t of ['0', '-0', '0.0', '-0.0', '0e5', '-0E-3', '0.000']) {
      const p = scan(`{"id":1,"vector":[${t}]}`);
      expect(p, t).not.toBeNull();
      expect(bitsOf(p!.vector as Float32Array), t).toEqual(oldBits(`[${t}]`));
    }
    // Beyond 19 significant digits, near zero or huge: the old path's parse.
    for (const t of ['0.12345678901234567890', '1e-50', '3e38', '1e-40', '12345678901234567890']) expect(scan(`{"id":1,"vector":[${t}]}`), t).toBeNull();
    expect(bitsOf(scan('{"id":1,"vector":[]}')!.vector as Float32Array)).toEqual([]);
    expect(bitsOf(scan(' { "id" : 1 , "vector" : [ 0.5 ,\n\t-0.25\r] } ')!.vector as Float32Array)).toEqual(bitsOf([0.5, -0.25]));
  });

  it('finds only the top-level member "vector", once, under a name without escapes', () => {
    expect(scan('{"id":1,"payload":{"vector":[1,2]}}')).toBeNull();
    expect(scan('{"id":1}')).toBeNull();
    expect(scan('{}')).toBeNull();
    expect(scan('[1,2]')).toBeNull();
    expect(scan('{"id":1,"vector":[1],"vector":[2]}')).toBeNull();
    // JSON.parse reads "vec\u0074or" as "vector", the last of the two: not this scanner's to decide.
    expect(scan('{"id":1,"vector":[1],"vec\\u0074or":[2]}')).toBeNull();
    expect(scan('{"id":1,"vector":{"a":[1,2]}}')).toBeNull();
    expect(scan('{"id":1,"vector":[[1,2],[3,4]]}')).toBeNull();
    expect(scan('{"id":1,"vector":{"indices":[1],"values":[0.5]}}')).toBeNull();
    const p = scan('{"payload":{"s":"\\"vector\\":[9] ]}{[","vector":[7]},"vector":[0.5,2],"id":"x"}')!;
    expect(p.payload).toEqual({ s: '"vector":[9] ]}{[', vector: [7] });
    expect(bitsOf(p.vector as Float32Array)).toEqual(bitsOf([0.5, 2]));
    expect(p.id).toBe('x');
    // Text after the object, or an object cut short: not a point.
    expect(scan('{"id":1,"vector":[1]} x')).toBeNull();
    expect(scan('{"id":1,"vector":[1]')).toBeNull();
  });

  it('gives the old path\'s point, or gives up, for any payload and any cut or changed byte', () => {
    const payload = fc.dictionary(fc.oneof(anyString(6), fc.constantFrom('vector', '"', '\\', ']', '{')), fc.oneof(anyString(8), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)), { maxKeys: 4 });
    const vector = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 });
    fc.assert(
      fc.property(payload, vector, fc.nat(), fc.nat(255), fc.boolean(), (pl, v, at, byte, cut) => {
        const good = `{"id":3,"payload":${JSON.stringify(pl)},"vector":${JSON.stringify(v)}}`;
        const p = scan(good);
        if (p !== null) {
          expect(p.payload).toEqual(JSON.parse(good).payload);
          expect(bitsOf(p.vector as Float32Array)).toEqual(oldBits(JSON.stringify(v))); // JSON.stringify writes -0 as 0
        }
        // One byte changed or the text cut: the old path's point, or null, or the old path's throw.
        const b = Buffer.from(good);
        const i = at % b.length;
        const bad = cut ? b.subarray(0, i) : Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i + 1)]);
        const text = bad.toString('utf8');
        let old: QdrantPoint | undefined;
        try {
          old = JSON.parse(text) as QdrantPoint;
        } catch { /* the old path threw */ }
        let got: QdrantPoint | null = null;
        try {
          got = scan(text);
        } catch {
          expect(old).toBeUndefined(); // it may throw only where the old path threw too
          return;
        }
        if (got === null) return;
        expect(old).toBeDefined();
        expect(got.payload).toEqual(old!.payload);
        expect(got.id).toEqual(old!.id);
        expect(bitsOf(got.vector as Float32Array)).toEqual(bitsOf(old!.vector as number[]));
      }),
      { numRuns: 2000 },
    );
  });
});
