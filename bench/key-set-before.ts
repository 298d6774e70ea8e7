/**
 * The baseline of bench/structures.bench.ts: the key set as src/format/key-set.ts had it before
 * its segments, one open-addressing table of 17-byte slots kept 35-70 % full that doubles. Kept
 * only to measure the current set against it in the same run; nothing in src/ uses it.
 */

const EMPTY = 0;
const MIN_SLOTS = 1024;

export class KeySetBefore {
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
