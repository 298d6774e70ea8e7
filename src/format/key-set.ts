/**
 * A compact set of 128-bit keys, to refuse duplicate point ids and row primary keys (spec/FORMAT.md
 * 6.1, 6.6, 13). No object or string per key: a Set of a million id strings costs about 60 MB of
 * heap and keeps the GC busy.
 *
 * Keys live in 256 open-addressing tables (segments) of four 32-bit words and one tag byte a slot
 * (17 bytes), in typed arrays; the low 8 bits of a key's hash choose its segment, the other 24 its
 * home slot there (linear probing). Each segment grows on its own, by half, when it is 80 % full,
 * so a table is kept between 53 % and 80 % full: 21 to 32 bytes a key. Growing copies only that
 * segment, so the set never holds more than its own size and one segment's successor (1/170 of
 * it): one table that doubles held 1.5× its size for that moment, up to 73 bytes a key. A
 * segment's old table is freed as soon as it is copied (ArrayBuffer transfer), not left to the
 * collector. Measured at 1 M integer ids (bench/structures.bench.ts, bench/RESULTS.md): 23.5
 * bytes a key in the tables, about 30 of RSS, peak included; the single table: 35.7 and 63.
 * An add costs about 0.15-0.25 µs, a repeated key as much.
 *
 * The hash is seeded per set with a random 32-bit value, so an archive cannot be built to make its
 * keys collide: with a fixed seed the mix can be run backwards, and 5,000 crafted u64 ids then all
 * fall into one segment and one run of slots, so each add probes every key before it (n² work, a
 * CPU denial of service). test/format/key-set.test.ts builds such ids.
 *
 * Point ids are stored exactly (a u64 id as the words 0, 0, hi, lo with tag 1; a UUID as its 128
 * bits with tag 2), so a point id is never refused falsely. Row primary keys are stored as the
 * first 128 bits of a SHA-256 (tag 3): two different keys collide with probability at most
 * n²/2^129 for n rows (below 10^-20 for a billion rows).
 */
import { randomInt } from 'node:crypto';

const EMPTY = 0;
const SEGMENT_BITS = 8;
const SEGMENTS = 1 << SEGMENT_BITS;
/** Slots of a segment's first table: a set of a few keys stays small (each segment is made on its first key). */
const MIN_SLOTS = 8;
/** A segment grows when this full… */
export const MAX_LOAD = 0.8;
/** …to this many times its slots. */
export const GROWTH = 1.5;
/** Bytes a slot: four 32-bit words and a tag byte. */
export const SLOT_BYTES = 17;

export class KeySet {
  private readonly words: Array<Uint32Array<ArrayBuffer> | undefined> = new Array<Uint32Array<ArrayBuffer> | undefined>(SEGMENTS);
  private readonly tags: Array<Uint8Array<ArrayBuffer> | undefined> = new Array<Uint8Array<ArrayBuffer> | undefined>(SEGMENTS);
  /** Keys in each segment, and how many it may hold before it grows. */
  private readonly sizes = new Int32Array(SEGMENTS);
  private readonly limits = new Int32Array(SEGMENTS);
  private size = 0;
  private slotBytes = 0;
  private peak = 0;
  private probes = 0;
  private readonly seed: number;

  /** `seed`: the hash seed, random by default (a fixed one is for tests only). */
  constructor(opts: { seed?: number } = {}) {
    this.seed = (opts.seed ?? randomInt(2 ** 32)) >>> 0;
  }

  /** Adds a key; false when it is already there. `tag` (1…255) keeps kinds of key apart. */
  add(tag: number, a: number, b: number, c: number, d: number): boolean {
    const h = mix(this.seed, tag, a, b, c, d);
    const seg = h & (SEGMENTS - 1);
    if (this.sizes[seg]! >= this.limits[seg]!) this.grow(seg);
    const tags = this.tags[seg]!;
    const words = this.words[seg]!;
    const n = tags.length;
    // The high 24 bits of the hash scaled to the table (tables are not powers of two).
    let i = ((h >>> SEGMENT_BITS) * n) / (1 << (32 - SEGMENT_BITS)) | 0;
    for (let probe = 1; ; probe++) {
      if (probe > this.probes) this.probes = probe;
      const t = tags[i]!;
      const w = i * 4;
      if (t === EMPTY) {
        tags[i] = tag;
        words[w] = a;
        words[w + 1] = b;
        words[w + 2] = c;
        words[w + 3] = d;
        this.sizes[seg]!++;
        this.size++;
        return true;
      }
      // The last word first: for integer ids the first two are 0.
      if (t === tag && words[w + 3] === d && words[w + 2] === c && words[w + 1] === b && words[w] === a) return false;
      if (++i === n) i = 0;
    }
  }

  get count(): number {
    return this.size;
  }

  /** Bytes the tables hold: 17 a slot. */
  get bytes(): number {
    return this.slotBytes;
  }

  /** The longest run of slots an add has looked at (1 when no key ever met another's slot). */
  get longestProbe(): number {
    return this.probes;
  }

  /** The most bytes the tables ever held at once, a growing segment and its successor included. */
  get peakBytes(): number {
    return this.peak;
  }

  private grow(seg: number): void {
    const oldTags = this.tags[seg];
    const oldWords = this.words[seg];
    const slots = oldTags ? Math.ceil(oldTags.length * GROWTH) : MIN_SLOTS;
    const tags = new Uint8Array(slots);
    const words = new Uint32Array(slots * 4);
    this.peak = Math.max(this.peak, this.slotBytes + slots * SLOT_BYTES);
    this.slotBytes += slots * SLOT_BYTES - (oldTags ? oldTags.length * SLOT_BYTES : 0);
    this.tags[seg] = tags;
    this.words[seg] = words;
    this.limits[seg] = Math.floor(slots * MAX_LOAD);
    if (!oldTags || !oldWords) return;
    try {
      reinsert(this.seed, oldTags, oldWords, tags, words);
    } finally {
      // Freed now, not at the next collection: left to the collector, the old tables of many
      // segments piled up between collections and cost 50-73 bytes of RSS a key at 1 M keys
      // (23.5 live); freed at once, 29-32 (bench/structures.bench.ts).
      oldTags.buffer.transfer(0);
      oldWords.buffer.transfer(0);
    }
  }
}

/** Puts every key of the old table of a segment into its new one (every key is distinct: only a free slot is looked for). */
function reinsert(seed: number, oldTags: Uint8Array, oldWords: Uint32Array, tags: Uint8Array, words: Uint32Array): void {
  const slots = tags.length;
  for (let j = 0; j < oldTags.length; j++) {
    const t = oldTags[j]!;
    if (t === EMPTY) continue;
    const w = j * 4;
    const a = oldWords[w]!;
    const b = oldWords[w + 1]!;
    const c = oldWords[w + 2]!;
    const d = oldWords[w + 3]!;
    let i = ((mix(seed, t, a, b, c, d) >>> SEGMENT_BITS) * slots) / (1 << (32 - SEGMENT_BITS)) | 0;
    while (tags[i] !== EMPTY) if (++i === slots) i = 0;
    tags[i] = t;
    const v = i * 4;
    words[v] = a;
    words[v + 1] = b;
    words[v + 2] = c;
    words[v + 3] = d;
  }
}

/** A 32-bit mix of the key (murmur3's finaliser after each word): sequential ids spread evenly. */
export function mix(seed: number, tag: number, a: number, b: number, c: number, d: number): number {
  let h = Math.imul(seed ^ tag ^ a, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ c, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ d, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TAG_U64 = 1;
const TAG_UUID = 2;
export const TAG_HASH = 3;

/** What takes keys as a tag and four 32-bit words: KeySet, and PointIdGuard (point-ids.ts). */
export interface KeyAdder {
  add(tag: number, a: number, b: number, c: number, d: number): boolean;
}

/**
 * Adds a valid point id (u64 number/bigint or hyphenated UUID, any case); false for a duplicate.
 * UUIDs compare without regard to case, integers by value (5 and 5n are one id).
 */
export function addPointId(set: KeyAdder, id: number | bigint | string): boolean {
  if (typeof id === 'string') {
    const hex = id.replace(/-/g, '');
    return set.add(TAG_UUID, parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8, 16), 16), parseInt(hex.slice(16, 24), 16), parseInt(hex.slice(24, 32), 16));
  }
  if (typeof id === 'number') return set.add(TAG_U64, 0, 0, Math.floor(id / 0x100000000), id >>> 0);
  return set.add(TAG_U64, 0, 0, Number((id >> 32n) & 0xffffffffn), Number(id & 0xffffffffn));
}

/** Adds the first 128 bits of a SHA-256; false when they are already there. */
export function addHash128(set: KeySet, h: Uint8Array): boolean {
  const v = new DataView(h.buffer, h.byteOffset, 16);
  return set.add(TAG_HASH, v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12));
}
