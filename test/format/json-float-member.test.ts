/**
 * parseJsonFloatMember (src/format/json.ts): a Qdrant point parsed without reading its vectors'
 * numbers must read exactly as parseJson reads it: big ids and payload integers exact, escaped
 * member names anywhere (vector names included) read as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, parseJsonFloatMember, stringifyJson } from '../../src/format/json.ts';

const name = fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('"', '\\', 'a\\"b', '__proto__', ''));
const floats = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), { maxLength: 8 });
const vector = fc.oneof(floats, fc.array(floats, { minLength: 1, maxLength: 3 }), fc.record({ indices: fc.array(fc.nat(), { maxLength: 4 }), values: floats }));
const payloadValue = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.double({ noNaN: true, noDefaultInfinity: true }));

/** The vector member with big integers as the doubles a float32 conversion reads them as. */
function vectorsAsNumbers(p: unknown): unknown {
  const o = p as { vector?: unknown };
  const deep = (x: unknown): unknown => (typeof x === 'bigint' ? Number(x) : Array.isArray(x) ? x.map(deep) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, deep(y)])) : x);
  return { ...o, vector: deep(o.vector) };
}

/** JSON text with bigints written as integer literals. */
const text = (v: unknown): string => stringifyJson(v);

describe('parseJsonFloatMember', () => {
  it('reads a point as parseJson does, without reading its vectors', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.dictionary(name, payloadValue, { maxKeys: 4 }),
        fc.oneof(vector, fc.dictionary(name, vector, { maxKeys: 3 })),
        (id, payload, vec) => {
          const t = text({ id, payload, vector: vec });
          // Inside the vectors an integral literal of 2^53 or more may read as a double instead
          // of a bigint: it becomes a float32 either way.
          expect(vectorsAsNumbers(parseJsonFloatMember(t, 'vector'))).toEqual(vectorsAsNumbers(parseJson(t)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps big ids and payload integers exact, and escaped names as written', () => {
    const t = '{"id":18446744073709551615,"payload":{"n":9007199254740993,"\\"":1},"vector":{"a\\\\b":[0.5,1e300,123456789012345678901],"s":{"indices":[1],"values":[2]}}}';
    const p = parseJsonFloatMember(t, 'vector') as { id: unknown; payload: Record<string, unknown>; vector: Record<string, unknown> };
    expect(p.id).toBe(18446744073709551615n);
    expect(p.payload).toEqual({ n: 9007199254740993n, '"': 1 });
    expect(Object.keys(p.vector)).toEqual(['a\\b', 's']);
    expect((p.vector['a\\b'] as unknown[]).map(Number)).toEqual([0.5, 1e300, 123456789012345678901]);
  });
});
