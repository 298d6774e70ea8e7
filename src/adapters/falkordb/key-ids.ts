/**
 * Archive node key → the node's id in the target, for the edges of an import. Archives written
 * from a store key nodes by their source ids, small integers handed out densely, so those keys
 * index a Float64Array (8 bytes a key, NaN for none); other keys (strings, big or sparse numbers:
 * beyond max(65,536, 4 × (keys + 1))) go to a Map (about 30 bytes a key, measured). At a million
 * nodes that is 8 to 16 MiB (while the array doubles; each old array is freed as soon as it is
 * copied) where a Map of every key took 29.
 */
const DENSE_FLOOR = 65_536;

export class KeyIds {
  private dense: Float64Array<ArrayBuffer> = new Float64Array(1024).fill(NaN);
  private readonly other = new Map<number | string | bigint, number>();
  private count = 0;

  private isDense(key: number | string | bigint): key is number {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && (key < DENSE_FLOOR || key < 4 * (this.count + 1));
  }

  get(key: number | string | bigint): number | undefined {
    if (typeof key === 'number' && key >= 0 && key < this.dense.length && Number.isInteger(key)) {
      const id = this.dense[key]!;
      if (!Number.isNaN(id)) return id;
    }
    return this.other.get(key);
  }

  has(key: number | string | bigint): boolean {
    return this.get(key) !== undefined;
  }

  set(key: number | string | bigint, id: number): void {
    if (this.other.has(key)) {
      this.other.set(key, id);
      return;
    }
    if (!this.isDense(key) && !(typeof key === 'number' && key < this.dense.length && !Number.isNaN(this.dense[key]!))) {
      this.other.set(key, id);
      this.count++;
      return;
    }
    if (key >= this.dense.length) {
      const grown = new Float64Array(Math.max(key + 1, this.dense.length * 2)).fill(NaN);
      grown.set(this.dense);
      // Freed now, not at the next collection (as KeySet's old tables): left to the collector,
      // the old arrays kept RSS at 19.3 bytes a key at 1 M keys for 8.4 live
      // (bench/structures.bench.ts).
      this.dense.buffer.transfer(0);
      this.dense = grown;
    }
    if (Number.isNaN(this.dense[key]!)) this.count++;
    this.dense[key] = id;
  }

  clear(): void {
    this.dense.buffer.transfer(0);
    this.dense = new Float64Array(0);
    this.other.clear();
    this.count = 0;
  }
}
