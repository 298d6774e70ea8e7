/**
 * Archive node key → the node's id in the target, for the edges of an import. Archives written
 * from a store key nodes by their source ids, small integers handed out densely, so those keys
 * index a Uint32Array of target ids (4 bytes a key, NONE for none: FalkorDB hands out ids densely
 * from 0 too, so below 2^32 - 2); other keys (strings, big or sparse numbers: beyond max(65,536,
 * 4 × (keys + 1))), and ids that do not fit, go to a Map (about 30 bytes a key, measured). At a
 * million nodes that is 4 to 8 MiB (while the array doubles; each old array is freed as soon as
 * it is copied) where a Map of every key took 29 and a Float64Array 8 to 16.
 *
 * The sink marks a key whose node is sent but not yet answered with the id -1 (PENDING in the
 * array), then sets its id. Before -1 had a slot of its own it went to the Map, and each key's id
 * after it too: every key of an import or a migration ended up in the Map (a 29 MiB table at
 * 1 M nodes, seen in a heap snapshot of a FalkorDB migrate).
 */
const DENSE_FLOOR = 65_536;
/** No id for this key (ids from here up go to the Map). */
const NONE = 0xffffffff;
/** The id -1: sent, not yet answered. */
const PENDING = 0xfffffffe;

export class KeyIds {
  private dense: Uint32Array<ArrayBuffer> = new Uint32Array(1024).fill(NONE);
  private readonly other = new Map<number | string | bigint, number>();
  private count = 0;

  private isDense(key: number | string | bigint): key is number {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && (key < DENSE_FLOOR || key < 4 * (this.count + 1));
  }

  /** Whether the key holds an id in the dense array. */
  private inDense(key: number | string | bigint): key is number {
    return typeof key === 'number' && key >= 0 && key < this.dense.length && Number.isInteger(key) && this.dense[key] !== NONE;
  }

  get(key: number | string | bigint): number | undefined {
    if (!this.inDense(key)) return this.other.get(key);
    const id = this.dense[key]!;
    return id === PENDING ? -1 : id;
  }

  /** Keys held in the Map rather than the array (for tests and benches). */
  get mapped(): number {
    return this.other.size;
  }

  has(key: number | string | bigint): boolean {
    return this.get(key) !== undefined;
  }

  set(key: number | string | bigint, id: number): void {
    if (this.other.has(key)) {
      this.other.set(key, id);
      return;
    }
    const held = this.inDense(key);
    if ((!held && !this.isDense(key)) || !(id === -1 || (id >= 0 && id < PENDING && Number.isInteger(id)))) {
      if (held) {
        this.dense[key] = NONE;
        this.count--;
      }
      this.other.set(key, id);
      this.count++;
      return;
    }
    if (key >= this.dense.length) {
      const grown = new Uint32Array(Math.max(key + 1, this.dense.length * 2)).fill(NONE);
      grown.set(this.dense);
      // Freed now, not at the next collection (as KeySet's old tables): left to the collector,
      // the old arrays kept RSS at 19.3 bytes a key at 1 M keys for 8.4 live (measured with the
      // Float64Array this was before, bench/structures.bench.ts).
      this.dense.buffer.transfer(0);
      this.dense = grown;
    }
    if (this.dense[key] === NONE) this.count++;
    this.dense[key] = id === -1 ? PENDING : id;
  }

  clear(): void {
    this.dense.buffer.transfer(0);
    this.dense = new Uint32Array(0);
    this.other.clear();
    this.count = 0;
  }
}
