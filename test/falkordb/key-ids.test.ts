import { describe, expect, it } from 'vitest';
import { KeyIds } from '../../src/adapters/falkordb/key-ids.ts';

describe('KeyIds (archive node key → target id)', () => {
  it('keeps dense ids, sparse numbers, strings and big integers apart, as a Map would', () => {
    const k = new KeyIds();
    const ref = new Map<number | string | bigint, number>();
    const put = (key: number | string | bigint, id: number): void => {
      k.set(key, id);
      ref.set(key, id);
    };
    for (let i = 0; i < 70_000; i++) put(i, i * 3 + 1);
    put(10 ** 12, 5);
    put('a', 6);
    put(2n ** 70n, 7);
    put(1_000_000, -1); // beyond the dense bound at first …
    for (let i = 70_000; i < 300_000; i++) put(i, i); // … until the bound grows past it
    put(1_000_000, 8); // the same key again: one entry, the latest id
    put(5, -1);
    put(5, 9);
    put(7, 2 ** 32 - 1); // ids that a Uint32 slot cannot hold (the top two values mark "none" and -1)
    put(9, 2 ** 32 - 2);
    put(8, 2 ** 40);
    put(8, 3);
    const wrong = [...ref].filter(([key, id]) => k.get(key) !== id);
    expect(wrong).toEqual([]);
    for (const key of [300_000, 999_999, 'b', 2n ** 71n, -1, 0.5]) {
      expect(k.get(key)).toBeUndefined();
      expect(k.has(key)).toBe(false);
    }
    k.clear();
    expect(k.get(5)).toBeUndefined();
    expect(k.get('a')).toBeUndefined();
  });

  it('keeps keys in the array when each is first marked -1 (sent, not answered), as the sink does', () => {
    const k = new KeyIds();
    const n = 200_000;
    for (let off = 0; off < n; off += 5_000) {
      for (let i = off; i < off + 5_000; i++) k.set(i, -1);
      for (let i = off; i < off + 5_000; i++) expect(k.get(i)).toBe(-1);
      for (let i = off; i < off + 5_000; i++) k.set(i, n - i);
    }
    expect(k.mapped).toBe(0);
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) if (k.get(i) !== n - i) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(k.has(n)).toBe(false);
  });
});
