/** The archive key as the staged nodes hold it (`__memarc_key`), and back for the read-back's digest. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyOf, keyText } from '../../src/adapters/neo4j/scope.ts';
import { normKey } from '../../src/format/digest.ts';
import { NodeTable } from '../../src/format/node-table.ts';

describe('keyText / keyOf', () => {
  it('gives back every key as the digest keys it: integers as numbers (or bigints past 2^53), strings as strings', () => {
    const key = fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.string(), fc.constantFrom('5', 'i:5', 's:x', '', '-0'));
    fc.assert(
      fc.property(key, (k) => {
        const back = keyOf(keyText(k));
        expect(back).toStrictEqual(normKey(k));
      }),
      { numRuns: 2_000 },
    );
    expect(keyOf(keyText(5))).toBe(5);
    expect(keyOf(keyText(5n))).toBe(5);
    expect(keyOf(keyText('5'))).toBe('5');
    expect(keyOf(keyText(2n ** 64n))).toBe(2n ** 64n);
  });

  it('hands the read-back dense integer keys, which the node table keeps by address, not in its Map', () => {
    const t = new NodeTable();
    const h = Buffer.alloc(32, 7);
    for (let i = 0; i < 50_000; i++) t.add(keyOf(keyText(i)) as number, h);
    expect(t.mapped).toBe(0);
    t.close();
  });

  it('keeps text memarc did not write as it is', () => {
    expect(keyOf('x:1')).toBe('x:1');
    expect(keyOf('i:1.5')).toBe('i:1.5');
  });
});
