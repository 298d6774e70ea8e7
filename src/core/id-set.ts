/**
 * A set of node ids as a store hands them out: non-negative integers, mostly dense from 0. Those
 * below max(2^20, 16 × (ids + 1)) are bits in a Uint8Array (one bit an id up to the highest:
 * 125 KiB for a million dense ids, where a Set of numbers took 21 MB of heap, measured); any other id
 * (negative, sparse, a bigint) goes to a Set, so no id can make the bitmap grow past 16 bits a member.
 * Graph sources keep the ids of the nodes they exported in one, to leave out relationships to
 * nodes outside the graph (and the live export, the highest of them).
 */
const DENSE_FLOOR = 1 << 20;

export class IdSet {
  private bits = new Uint8Array(1024);
  private readonly other = new Set<number | bigint>();
  private count = 0;
  /** The highest integer id added (number ids only), -1 for none. */
  max = -1;

  get size(): number {
    return this.count + this.other.size;
  }

  add(id: number | bigint): void {
    if (typeof id === 'number' && id > this.max) this.max = id;
    // An id kept in the Set while the bound was lower stays there.
    if (this.other.size > 0 && this.other.has(id)) return;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < Math.max(DENSE_FLOOR, 16 * (this.size + 1))) {
      const byte = Math.floor(id / 8);
      if (byte >= this.bits.length) {
        const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
        grown.set(this.bits);
        this.bits = grown;
      }
      const mask = 1 << (id % 8);
      if ((this.bits[byte]! & mask) === 0) {
        this.bits[byte]! |= mask;
        this.count++;
      }
      return;
    }
    if (!this.has(id)) this.other.add(id);
  }

  has(id: number | bigint): boolean {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0) {
      const byte = Math.floor(id / 8);
      if (byte < this.bits.length && (this.bits[byte]! & (1 << (id % 8))) !== 0) return true;
    }
    return this.other.has(id);
  }

  clear(): void {
    this.bits = new Uint8Array(0);
    this.other.clear();
    this.count = 0;
    this.max = -1;
  }
}
