import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/core/id-set.ts';

describe('IdSet', () => {
  it('answers as a Set would, for dense, sparse, negative and bigint ids in any order', () => {
    const id = fc.oneof(
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: -50, max: -1 }),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n }),
      fc.constantFrom(2 ** 20 - 1, 2 ** 20, 2 ** 20 + 1, 5_000_000),
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 200 }), fc.array(id, { maxLength: 50 }), (added, asked) => {
        const s = new IdSet();
        const ref = new Set<number | bigint>();
        for (const x of added) {
          s.add(x);
          ref.add(x);
        }
        expect(s.size).toBe(ref.size);
        for (const x of [...added, ...asked]) expect(s.has(x)).toBe(ref.has(x));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an id it first put in its Set (the bound was lower) once, when the bound has grown past it', () => {
    const s = new IdSet();
    s.add(5_000_000); // beyond 2^20 with no ids: the Set
    for (let i = 0; i < 400_000; i++) s.add(i); // the bound grows to 6.4 M
    s.add(5_000_000);
    expect(s.size).toBe(400_001);
    expect(s.has(5_000_000)).toBe(true);
    s.clear();
    expect(s.has(1)).toBe(false);
    expect(s.size).toBe(0);
  });
});
