/**
 * Canonical member order without Array.prototype.sort (src/format/canonical.ts sortedKeys,
 * sortedStrings): the order must be exactly `Object.keys(o).sort()`'s, UTF-16 code units, for
 * names of any kind: integer-like names (which objects list first, in numeric order), names
 * outside the BMP (surrogate pairs sort below U+E000..U+FFFF by code units, not by code point),
 * long lists past the insertion sort's limit, and lists already in order or in reverse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sortedKeys, sortedStrings } from '../../src/format/canonical.ts';

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

  it('orders by UTF-16 code units: a surrogate pair sorts below U+E000', () => {
    expect(canonicalJson({ '\ue000': 1, '😀': 2, b: 3, 10: 4, 9: 5 })).toBe('{"10":4,"9":5,"b":3,"😀":2,"\ue000":1}');
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, i]));
    expect(Object.keys(JSON.parse(canonicalJson(many)))).toEqual(Object.keys(many).sort());
  });
});
