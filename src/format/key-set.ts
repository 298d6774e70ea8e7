/**
 * A compact set of 128-bit keys, to refuse duplicate point ids and row primary keys (spec/FORMAT.md
 * 6.1, 6.6, 13). Keys live in one open-addressing table of four 32-bit words each plus one state
 * byte (linear probing, load kept between 0.35 and 0.7): 17 bytes a slot, so 24 to 49 bytes per
 * key, and up to 73 for the moment a growing table and its successor coexist. No object or string
 * per key: a Set of a million id strings costs about 60 MB of heap and keeps the GC busy.
 *
 * Point ids are stored exactly (a u64 id as the words 0, 0, hi, lo with tag 1; a UUID as its 128
 * bits with tag 2), so a point id is never refused falsely. Row primary keys are stored as the
 * first 128 bits of a SHA-256 (tag 3): two different keys collide with probability at most
 * n²/2^129 for n rows (below 10^-20 for a billion rows).
 */

const EMPTY = 0;
const MIN_SLOTS = 1024;

export class KeySet {
  private words = new Uint32Array(MIN_SLOTS * 4);
  private tags = new Uint8Array(MIN_SLOTS);
  private size = 0;

  /** Adds a key; false when it is already there. `tag` (1…255) keeps kinds of key apart. */
  add(tag: number, a: number, b: number, c: number, d: number): boolean {
    if (this.size >= this.tags.length * 0.7) this.grow();
    const mask = this.tags.length - 1;
    let i = mix(tag, a, b, c, d) & mask;
    for (;;) {
      const t = this.tags[i]!;
      if (t === EMPTY) {
        this.tags[i] = tag;
        const w = i * 4;
        this.words[w] = a;
        this.words[w + 1] = b;
        this.words[w + 2] = c;
        this.words[w + 3] = d;
        this.size++;
        return true;
      }
      const w = i * 4;
      if (t === tag && this.words[w] === a && this.words[w + 1] === b && this.words[w + 2] === c && this.words[w + 3] === d) return false;
      i = (i + 1) & mask;
    }
  }

  get count(): number {
    return this.size;
  }

  /** Bytes the table holds: 17 a slot. */
  get bytes(): number {
    return this.words.byteLength + this.tags.byteLength;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldTags = this.tags;
    this.words = new Uint32Array(oldWords.length * 2);
    this.tags = new Uint8Array(oldTags.length * 2);
    this.size = 0;
    for (let i = 0; i < oldTags.length; i++) {
      const t = oldTags[i]!;
      if (t !== EMPTY) this.add(t, oldWords[i * 4]!, oldWords[i * 4 + 1]!, oldWords[i * 4 + 2]!, oldWords[i * 4 + 3]!);
    }
  }
}

/** A 32-bit mix of the key (murmur3's finaliser over the words): sequential ids spread evenly. */
function mix(tag: number, a: number, b: number, c: number, d: number): number {
  let h = tag;
  for (const w of [a, b, c, d]) {
    h = Math.imul(h ^ w, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const TAG_U64 = 1;
const TAG_UUID = 2;
export const TAG_HASH = 3;

/**
 * Adds a valid point id (u64 number/bigint or hyphenated UUID, any case); false for a duplicate.
 * UUIDs compare without regard to case, integers by value (5 and 5n are one id).
 */
export function addPointId(set: KeySet, id: number | bigint | string): boolean {
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
