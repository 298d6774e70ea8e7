/**
 * The key set (src/format/key-set.ts) at the sizes a big dataset gives it: exact (no distinct key
 * refused, every repeat refused, kinds of key kept apart) and within its memory bound at every
 * step, the moment a segment grows included.
 */
import { describe, expect, it } from 'vitest';
import { addHash128, addPointId, KeySet, mix } from '../../src/format/key-set.ts';

/** The documented bound: 17-byte slots at least 53 % full (32 bytes a key), plus each segment's first table. */
const PER_KEY = 32;
const FIRST_TABLES = 256 * 8 * 17;
/** A growing segment and its successor coexist: at most 1/128 of the set more, for that moment. */
const bound = (n: number) => PER_KEY * n + FIRST_TABLES;
const peakBound = (n: number) => bound(n) * (1 + 1 / 128);

/** The keys of one kind, distinct by construction: each differs from the others in every word it varies. */
const KINDS: Array<{ name: string; tag: number; key: (i: number) => [number, number, number, number] }> = [
  { name: 'sequential integer ids', tag: 1, key: (i) => [0, 0, 0, i] },
  { name: 'integer ids above 2^32', tag: 1, key: (i) => [0, 0, i, 7] },
  { name: 'only the first word differs', tag: 3, key: (i) => [i, 0, 0, 0] },
  { name: 'only the second word differs', tag: 3, key: (i) => [0, i, 0, 0] },
  { name: 'random-looking words (UUID-like)', tag: 2, key: (i) => [Math.imul(i, 0x9e3779b1) >>> 0, i, Math.imul(i ^ 0x5bd1e995, 0x85ebca6b) >>> 0, ~i >>> 0] },
];

/** One round of the set's mix (murmur3's finaliser after a word), and its inverse. */
const round = (h: number, w: number): number => {
  let x = Math.imul(h ^ w, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
};
const inverse = (c: number): number => {
  let inv = c;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(c, inv));
  return inv;
};
/** The x with round(x, 0) === h. */
const unround = (h: number): number => {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, inverse(0xc2b2ae35));
  x = x ^ (x >>> 13) ^ (x >>> 26);
  return Math.imul(x, inverse(0x85ebca6b));
};

/**
 * u64 point ids (tag 1, high word 0) whose hashes under `seed` are k << 8 for k = 0, 1, 2…: one
 * segment, and home slots at the very start of it. What an archive could carry if the seed were
 * known.
 */
function collidingIds(seed: number, n: number): number[] {
  const before = round(round(round(seed ^ 1, 0), 0), 0);
  return Array.from({ length: n }, (_, k) => (unround((k << 8) >>> 0) ^ before) >>> 0);
}

describe('KeySet', () => {
  it('seeds its hash at random, so ids crafted to collide under a known seed do not', () => {
    const ids = collidingIds(0, 5000);
    // The attack works against a known seed: every id lands in one run of slots, and adding
    // them costs n² probes.
    for (const id of ids.slice(0, 50)) expect(mix(0, 1, 0, 0, 0, id) >>> 0 & 0xff).toBe(0);
    const known = new KeySet({ seed: 0 });
    for (const id of ids) expect(addPointId(known, id)).toBe(true);
    expect(known.longestProbe).toBeGreaterThan(4000);
    // The default seed is random: the same ids spread like any others.
    const seeded = new KeySet();
    for (const id of ids) expect(addPointId(seeded, id)).toBe(true);
    expect(seeded.longestProbe).toBeLessThan(64);
    for (const id of ids.slice(0, 100)) expect(addPointId(seeded, id)).toBe(false);
  });

  it('frees a segment\'s old table when it grows, not at the next collection', () => {
    // Left to the collector, the old tables of 1 M adds piled up to 35-42 MiB beside the set's 22.
    // First in this file: after the tests above, collections ran often enough to hide it.
    const base = process.memoryUsage().arrayBuffers;
    const s = new KeySet();
    let worst = 0;
    for (let i = 0; i < 1_000_000; i++) {
      addPointId(s, i * 7);
      if (i % 16_384 === 0) worst = Math.max(worst, process.memoryUsage().arrayBuffers - base - s.bytes);
    }
    expect(worst).toBeLessThan(8 * 1024 * 1024);
  });

  it('holds 2.5 million keys of mixed kinds exactly: every distinct key accepted, every repeat refused', () => {
    const s = new KeySet();
    const per = 500_000;
    let refusedFalsely = 0;
    for (let i = 1; i <= per; i++) for (const k of KINDS) if (!s.add(k.tag, ...k.key(i))) refusedFalsely++;
    expect(refusedFalsely).toBe(0);
    expect(s.count).toBe(per * KINDS.length);
    let missed = 0;
    for (let i = per; i >= 1; i--) for (const k of KINDS) if (s.add(k.tag, ...k.key(i))) missed++;
    expect(missed).toBe(0);
    expect(s.count).toBe(per * KINDS.length);
    // The same words under another tag are another key.
    for (let i = 1; i <= 1000; i++) expect(s.add(4, 0, 0, 0, i)).toBe(true);
    expect(s.add(4, 0, 0, 0, 1)).toBe(false);
    expect(s.count).toBe(per * KINDS.length + 1000);
  });

  it('stays within 32 bytes a key at every step of 1.5 million adds, and its peak within one segment more', () => {
    const s = new KeySet();
    let worst = 0;
    let worstPeak = 0;
    for (let i = 0; i < 1_500_000; i++) {
      addPointId(s, i * 13);
      worst = Math.max(worst, s.bytes - bound(s.count));
      worstPeak = Math.max(worstPeak, s.peakBytes - peakBound(s.count));
    }
    expect(worst).toBeLessThanOrEqual(0);
    expect(worstPeak).toBeLessThanOrEqual(0);
    // And not far below: the tables are at most 80 % full (21 bytes a key).
    expect(s.bytes / s.count).toBeGreaterThanOrEqual(17 / 0.8);
  });

  it('refuses point ids and row-key hashes it has seen, and tells the two apart', () => {
    const s = new KeySet();
    const h = Buffer.alloc(32);
    h.writeUInt32BE(5, 12); // the words 0, 0, 0, 5: the integer id 5's, under another tag
    expect(addPointId(s, 5)).toBe(true);
    expect(addHash128(s, h)).toBe(true);
    expect(addPointId(s, 5n)).toBe(false);
    expect(addHash128(s, Buffer.from(h))).toBe(false);
    expect(addPointId(s, '00000000-0000-0000-0000-000000000005')).toBe(true);
    expect(s.count).toBe(3);
  });
});
