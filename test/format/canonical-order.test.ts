/**
 * Canonical member order without Array.prototype.sort (src/format/canonical.ts sortedKeys,
 * sortedStrings): the order must be exactly `Object.keys(o).sort()`'s, UTF-16 code units, for
 * names of any kind: integer-like names (which objects list first, in numeric order), names
 * outside the BMP (surrogate pairs sort below U+E000..U+FFFF by code units, not by code point),
 * long lists past the insertion sort's limit, and lists already in order or in reverse. And the
 * hash of the canonical text, which is written as UTF-8 into a reused buffer, not built as a
 * string: it must be the hash of canonicalJson's text for any value.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHasher, canonicalJson, sortedKeys, sortedStrings } from '../../src/format/canonical.ts';

const name = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.nat({ max: 1_000_000 }).map(String),
  fc.constantFrom('', '0', '00', '-1', '1.5', 'a', 'A', 'é', '\uffff', '\ue000', '😀', '\ud83d\ude00a', 'z\u0000'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const names = fc.uniqueArray(name, { maxLength: 80 });

describe('canonical member order', () => {
  it('sortedKeys gives Object.keys(o).sort(), for any names and any count', () => {
    fc.assert(
      fc.property(names, (ns) => {
        const o: Record<string, number> = {};
        for (const n of ns) o[n] = 1;
        expect(sortedKeys(o)).toEqual(Object.keys(o).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('sortedStrings gives a sorted copy, or the list itself when it is in order, and never changes it', () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 50 }), (list) => {
        const before = [...list];
        const got = sortedStrings(list);
        expect([...got]).toEqual([...list].sort());
        expect(list).toEqual(before);
        const inOrder = list.every((x, i) => i === 0 || list[i - 1]! < x);
        expect(got === list).toBe(inOrder || list.length < 2);
      }),
      { numRuns: 500 },
    );
  });

  it('writes own members only, in order or not, whatever the prototype holds', () => {
    const proto = { inherited: 1 };
    const inOrder = Object.assign(Object.create(proto) as Record<string, number>, { a: 1, b: 2 });
    const outOfOrder = Object.assign(Object.create(proto) as Record<string, number>, { b: 2, a: 1 });
    for (const o of [inOrder, outOfOrder]) expect(canonicalJson(o)).toBe('{"a":1,"b":2}');
    const bare = Object.assign(Object.create(null) as Record<string, number>, { b: 2, a: 1, 10: 3, 9: 4 });
    expect(canonicalJson(bare)).toBe('{"10":3,"9":4,"a":1,"b":2}');
  });

  it('orders by UTF-16 code units: a surrogate pair sorts below U+E000', () => {
    expect(canonicalJson({ '\ue000': 1, '😀': 2, b: 3, 10: 4, 9: 5 })).toBe('{"10":4,"9":5,"b":3,"😀":2,"\ue000":1}');
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, i]));
    expect(Object.keys(JSON.parse(canonicalJson(many)))).toEqual(Object.keys(many).sort());
  });
});

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  // lone surrogates, controls, quotes and backslashes, U+2028
  fc.array(fc.constantFrom('\ud800', '\udfff', '\u0000', '\u001f', '"', '\\', '\u2028', '\u007f', 'é', '😀', 'a'), { maxLength: 8 }).map((xs) => xs.join('')),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(text, tie('v'), { maxKeys: 5 }),
  ),
})).v;

describe('canonical hashing', () => {
  const viaText = (v: unknown): string => createHash('sha256').update(canonicalJson(v as never)).digest('hex');
  const viaSink = (v: unknown): string => canonicalHasher().value(v as never).digest().toString('hex');

  it('hashes exactly the bytes of canonicalJson, for any value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(viaSink(v)).toBe(viaText(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('across the buffer: strings and texts longer than it, and many short pieces that fill it', () => {
    const long = 'x'.repeat(100_000);
    const wide = '€'.repeat(30_000); // 3 bytes each: 90,000 bytes
    const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i % 3 ? 'é' : i]));
    for (const v of [long, wide, [long, wide], { a: wide, b: long }, many, [many, 'tail\ud800']]) expect(viaSink(v)).toBe(viaText(v));
  });
});
