/**
 * The decimal text of float32 vectors in upsert bodies (src/adapters/qdrant/f32-text.ts) and the
 * points written with it (convert.ts pointJson).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointJson } from '../../src/adapters/qdrant/convert.ts';
import { F32_TEXT_MAX, vectorTextMax, writeF32, writeVector } from '../../src/adapters/qdrant/f32-text.ts';
import { parseJson, stringifyJson } from '../../src/format/json.ts';
import { decodeF32, encodeF32, type PointRecord, type VectorValue } from '../../src/format/records.ts';
import { point } from '../format/arbitraries.ts';

const out = Buffer.alloc(64);
const bits = new Int32Array(1);
const f = new Float32Array(bits.buffer);

/** The text writeF32 gives for a bit pattern, and the float32 it stands for. */
function textOf(pattern: number): { x: number; text: string } {
  bits[0] = pattern | 0;
  const x = f[0]!;
  return { x, text: out.toString('latin1', 0, writeF32(bits[0]!, out, 0)) };
}

/** Checks a finite pattern: valid JSON, back to the same float32, the closest 9-digit decimal. */
function problem(pattern: number): string | null {
  const { x, text } = textOf(pattern);
  if (!Number.isFinite(x)) return text === 'null' ? null : `${x} as ${text}`;
  if (x === 0) return text === (Object.is(x, -0) ? '-0.0' : '0') ? null : `${x} as ${text}`;
  if (text.length > F32_TEXT_MAX - 1) return `${x} as ${text}: longer than ${F32_TEXT_MAX - 1}`;
  const back = JSON.parse(text) as number;
  if (!Object.is(Math.fround(back), x)) return `${x} as ${text} reads back as ${Math.fround(back)}`;
  if (back !== Number(x.toPrecision(9))) return `${x} as ${text}, the closest 9 digits being ${x.toPrecision(9)}`;
  return null;
}

function firstProblems(patterns: Iterable<number>): string[] {
  const found: string[] = [];
  for (const p of patterns) {
    const bad = problem(p);
    if (bad !== null && found.push(bad) >= 5) break;
  }
  return found;
}

function* every(step: number, from = 0, to = 2 ** 32): Generator<number> {
  for (let b = from; b < to; b += step) yield b;
}

describe('float32 as decimal text', () => {
  it('prints the usual forms', () => {
    const cases: Array<[number, string]> = [
      [0.6, '0.600000024'], [0.5, '0.5'], [-0.25, '-0.25'], [1, '1'], [100, '100'], [123456792, '123456792'],
      [12345.678, '12345.6777'], [1.5, '1.5'], [0.036, '0.0359999985'], [1e-4, '9.99999975e-5'], [2e-4, '0.000199999995'], [1e-5, '9.99999975e-6'],
      [1e-7, '1.00000001e-7'], [1e20, '1.00000002e20'], [3.4028234663852886e38, '3.40282347e38'],
      [1.401298464324817e-45, '1.40129846e-45'], [-1e-40, '-9.9999461e-41'],
    ];
    for (const [x, text] of cases) {
      f[0] = x;
      expect(out.toString('latin1', 0, writeF32(bits[0]!, out, 0)), String(x)).toBe(text);
    }
    expect(textOf(0x80000000).text).toBe('-0.0');
    expect(textOf(0).text).toBe('0');
    for (const p of [0x7f800000, 0xff800000, 0x7fc00000, 0xffffffff]) expect(textOf(p).text).toBe('null');
  });

  it('reads back as the same float32 and is the closest 9-digit decimal: a sample of all bit patterns, every exponent', () => {
    // Every 4099th pattern (about a million, every exponent and sign), the one-off run over all
    // 2^32 being in bench/RESULTS.md (session 10).
    expect(firstProblems(every(4099))).toEqual([]);
  });

  it('… every subnormal (a sample), every power of two and every neighbour of a power of ten', () => {
    expect(firstProblems(every(7, 0, 0x800000))).toEqual([]);
    const edges: number[] = [];
    for (let e = 0; e < 255; e++) for (const d of [-1, 0, 1]) edges.push(((e << 23) + d) >>> 0, (((e << 23) + d) | 0x80000000) >>> 0);
    for (let k = -45; k <= 38; k++) {
      f[0] = Number(`1e${k}`);
      for (let d = -2; d <= 2; d++) edges.push((bits[0]! + d) >>> 0);
      f[0] = Number(`9.99999999e${k}`);
      for (let d = -2; d <= 2; d++) edges.push((bits[0]! + d) >>> 0);
    }
    expect(firstProblems(edges.filter((b) => b >= 0 && b < 2 ** 32))).toEqual([]);
  });

  it('writes a vector as a JSON array within the room it asks for', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }), (patterns) => {
        const values = new Float32Array(Uint32Array.from(patterns).buffer);
        const b64 = encodeF32(values);
        const room = vectorTextMax(b64.length);
        const buf = Buffer.alloc(room + 8, 0x7e);
        const end = writeVector(b64, buf, 4);
        expect(end).toBeLessThanOrEqual(4 + room);
        expect(buf[end]).toBe(0x7e);
        const back = JSON.parse(buf.toString('latin1', 4, end)) as Array<number | null>;
        expect(back.map((x) => (x === null ? null : Math.fround(x)))).toEqual(Array.from(values, (x) => (Number.isFinite(x) ? x : null)));
      }),
    );
  });
});

/** A vector as the body should carry it: float32 values, a non-finite one as null. */
function expected(v: VectorValue): unknown {
  const nums = (b64: string): Array<number | null> => Array.from(decodeF32(b64), (x) => (Number.isFinite(x) ? x : null));
  if ('dense' in v) return nums(v.dense);
  if ('multi' in v) return v.multi.map(nums);
  return { indices: v.sparse.indices, values: nums(v.sparse.values) };
}

/** The numbers of a parsed vector rounded to float32, as the server stores them. */
function asStored(v: unknown): unknown {
  if (typeof v === 'number') return Math.fround(v);
  if (Array.isArray(v)) return v.map(asStored);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'indices' ? x : asStored(x)]));
  return v;
}

describe('a point as upsert JSON', () => {
  it('carries the id, payload and every vector kind exactly, the unnamed vector alone in the plain form', () => {
    fc.assert(
      fc.property(point, (r: PointRecord) => {
        const body = parseJson(pointJson(r).toString()) as { id: unknown; vector: unknown; payload?: unknown };
        expect(body.id).toEqual(parseJson(stringifyJson(r.id)));
        if (r.payload === null) expect(body).not.toHaveProperty('payload');
        else expect(body.payload).toEqual(parseJson(stringifyJson(r.payload)));
        const names = Object.keys(r.vectors);
        const want = names.length === 1 && names[0] === '' ? expected(r.vectors['']!) : Object.fromEntries(names.map((n) => [n, expected(r.vectors[n]!)]));
        const got = names.length === 1 && names[0] === '' ? asStored(body.vector) : Object.fromEntries(Object.entries(body.vector as object).map(([n, v]) => [n, asStored(v)]));
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
