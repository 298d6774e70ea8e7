/** The live export's set of archived node ids (src/adapters/falkordb/live.ts, src/core/id-set.ts). */
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/core/id-set.ts';

describe('IdSet', () => {
  it('tells ids apart above 2^32 (an id >>> 3 index would fold 2^32 + 1 onto 1)', () => {
    const s = new IdSet();
    s.add(2 ** 32 + 1);
    expect(s.has(2 ** 32 + 1)).toBe(true);
    expect(s.has(1)).toBe(false);
    s.add(1);
    expect(s.size).toBe(2);
    expect(s.max).toBe(2 ** 32 + 1);
  });
});
