/**
 * The hashes of a graph's nodes by key, to resolve edge endpoints (spec/FORMAT.md section 8: an
 * edge's digest holds the hashes of its two nodes). Store exports key nodes by their internal ids,
 * small integers handed out densely, so those keys are addresses: the hash of key k is found at
 * k × 32, with one presence bit per key in memory.
 *
 * - Dense keys below `memoryKeys` (65,536 by default: 2 MiB of hashes) keep their hashes in
 *   memory, in slabs of 256 hashes: 32 bytes and a bit a node.
 * - Dense keys from `memoryKeys` up keep theirs in a temporary file (spill-file.ts, under TMPDIR,
 *   unlinked at once) at (k − memoryKeys) × 32: past the threshold a node costs one bit of memory
 *   and 32 bytes of disk. Writes go through a cache of 16 slabs of 256 hashes (128 KiB); the least
 *   recently used slab is written out, in runs of the hashes it holds, when another is needed, so
 *   nodes added in key order are written in 8 KiB runs, in order. A lookup of a hash still cached
 *   costs no call, any other one positioned read of 32 bytes.
 * - A key that is not a non-negative integer below max(65,536, 4 × (nodes + 1)) goes to a Map from
 *   key to a slot in slabs of 4,096 hashes in memory (about 60 bytes a node). So the dense part
 *   never spans more than four ids per node, whatever keys an archive holds: at most 4 bits of
 *   memory a node, and 128 bytes of disk.
 *
 * Why 65,536: below it a graph never touches the disk and a lookup costs what it did; past it
 * the table's memory stays at 2.1 MiB whatever the graph. It was 262,144 (8.4 MiB); at 1 M nodes
 * a FalkorDB export then peaked at 136 MiB against 129 now, in the same time (bench/RESULTS.md).
 * Measured at 1 M nodes (bench/structures.bench.ts, bench/RESULTS.md "Per-record structures"):
 * about 11 bytes of RSS a node at 262,144 instead of 37, adds as fast, a random lookup 0.65-0.8
 * µs from the file against 0.2-0.3 in memory, so an edge's digest (two lookups) costs about 1 µs
 * more than its 7-9 µs.
 *
 * `close()` releases the file; the owner (DatasetDigest.dropNodeTable) must call it when the
 * graph is done, error paths included.
 */
import { SpillFile } from './spill-file.ts';

export interface NodeTableOptions {
  /** Dense keys below this (rounded up to a multiple of 256) keep their hashes in memory; the others' go to a temporary file. */
  memoryKeys?: number;
  /** Makes the temporary file (default: a new unlinked file under TMPDIR). */
  spillFile?: () => SpillFile;
  /**
   * Keys only, no hashes (a reader that checks a graph's keys but leaves its digest to the
   * consumer, reader.ts `digest`): a dense key costs its presence bit, any other a Map entry;
   * `add` ignores the hash, `hasKey` answers, and `copyHash` copies nothing.
   */
  keysOnly?: boolean;
}

/** 2 MiB of hashes in memory: see the class comment and bench/RESULTS.md. */
export const MEMORY_KEYS = 65_536;
const SLAB_HASHES = 4096;
/** Hashes per slab of the dense part: small, so that a gap in the keys costs little. */
const DENSE_SLAB = 256;
/** Keys below this always go to the dense part; above it, only keys below 4 × (nodes + 1) do. */
const DENSE_FLOOR = 65_536;
/** Slabs of the file's write cache. */
const CACHED_SLABS = 16;
const SLAB_BYTES = 32 * DENSE_SLAB;

export class NodeTable {
  private readonly slots = new Map<number | string | bigint, number>();
  private readonly slabs: Buffer[] = [];
  private readonly dense: Array<Buffer | undefined> = [];
  private present = new Uint8Array(1024);
  private denseCount = 0;
  private readonly memoryKeys: number;
  private readonly makeFile: () => SpillFile;
  private file: SpillFile | null = null;
  private closed = false;
  /** The write cache: which file slab each entry holds (-1: none), its hashes, which of them are set, and when it was last used. */
  private cacheSlab = new Float64Array(0);
  private cache = Buffer.alloc(0);
  private cacheSet = new Uint8Array(0);
  private cacheUsed = new Float64Array(0);
  private lastEntry = 0;
  private clock = 0;
  private readonly scratch = Buffer.allocUnsafe(32);
  private readonly keysOnly: boolean;

  private spilledCount = 0;

  constructor(opts: NodeTableOptions = {}) {
    this.memoryKeys = Math.ceil((opts.memoryKeys ?? MEMORY_KEYS) / DENSE_SLAB) * DENSE_SLAB;
    this.makeFile = opts.spillFile ?? (() => SpillFile.create());
    this.keysOnly = opts.keysOnly ?? false;
  }

  /** Nodes whose hashes are in the temporary file (or its write cache). */
  get spilled(): number {
    return this.spilledCount;
  }

  /** Nodes kept in the Map (keys outside the dense range: strings, big or sparse numbers). */
  get mapped(): number {
    return this.slots.size;
  }

  private isDense(key: number | string | bigint): key is number {
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && (key < DENSE_FLOOR || key < 4 * (this.denseCount + this.slots.size + 1));
  }

  private has(key: number): boolean {
    // Any number may be asked about: only integers within the bitmap are in the dense part.
    if (!Number.isInteger(key) || key < 0 || key >= this.present.length * 8) return false;
    return (this.present[Math.floor(key / 8)]! & (1 << (key % 8))) !== 0;
  }

  /** Whether a node has this key. */
  hasKey(key: number | string | bigint): boolean {
    return (typeof key === 'number' && this.has(key)) || this.slots.has(key);
  }

  /** Adds a node's hash (keysOnly: its key); false if the key is already there. */
  add(key: number | string | bigint, hash: Uint8Array): boolean {
    if (this.closed) throw new Error('NodeTable used after close()');
    // A key seen before may be in either part (the dense bound grows with the nodes).
    if (this.hasKey(key)) return false;
    if (this.isDense(key)) {
      if (this.keysOnly) {
        // Its presence bit is all a key-only table keeps.
      } else if (key >= this.memoryKeys) {
        this.spill(key - this.memoryKeys, hash);
      } else {
        const slab = (this.dense[Math.floor(key / DENSE_SLAB)] ??= Buffer.allocUnsafeSlow(SLAB_BYTES));
        slab.set(hash, (key % DENSE_SLAB) * 32);
      }
      // Marked present only once the hash is stored: a failed write leaves the table as it was.
      const byte = Math.floor(key / 8);
      if (byte >= this.present.length) {
        const grown = new Uint8Array(Math.max(byte + 1, this.present.length * 2));
        grown.set(this.present);
        this.present = grown;
      }
      this.present[byte]! |= 1 << (key % 8);
      this.denseCount++;
      return true;
    }
    const slot = this.slots.size;
    if (this.keysOnly) {
      this.slots.set(key, slot);
      return true;
    }
    const slab = Math.floor(slot / SLAB_HASHES);
    if (slab === this.slabs.length) this.slabs.push(Buffer.allocUnsafeSlow(32 * SLAB_HASHES));
    this.slabs[slab]!.set(hash, (slot % SLAB_HASHES) * 32);
    this.slots.set(key, slot);
    return true;
  }

  /** The node's hash as 64 hex digits, or undefined for a key no node has. */
  hex(key: number | string | bigint): string | undefined {
    const out = Buffer.allocUnsafe(32);
    return this.copyHash(key, out, 0) ? out.toString('hex') : undefined;
  }

  /**
   * Copies the node's 32-byte hash into `out` at `at`; false for a key no node has. The edge
   * digest writes it as hex straight into its hasher (digest.ts), with no string per endpoint.
   */
  copyHash(key: number | string | bigint, out: Uint8Array, at: number): boolean {
    if (this.keysOnly) return this.hasKey(key);
    if (typeof key === 'number' && this.has(key)) {
      if (key < this.memoryKeys) {
        const from = (key % DENSE_SLAB) * 32;
        this.dense[Math.floor(key / DENSE_SLAB)]!.copy(out, at, from, from + 32);
        return true;
      }
      this.spilledHash(key - this.memoryKeys, out, at);
      return true;
    }
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    const from = (slot % SLAB_HASHES) * 32;
    this.slabs[Math.floor(slot / SLAB_HASHES)]!.copy(out, at, from, from + 32);
    return true;
  }

  /** Releases the temporary file and the memory. Idempotent; the table answers nothing after it. */
  close(): void {
    this.closed = true;
    this.file?.close();
    this.file = null;
    // Freed now rather than at the next collection, which may come after the next graph's table has grown.
    for (const b of [this.cache, ...this.slabs, ...this.dense]) if (b) free(b);
    this.cache = Buffer.alloc(0);
    this.slots.clear();
    this.slabs.length = 0;
    this.dense.length = 0;
    this.present = new Uint8Array(0);
  }

  /** The cache entry holding file slab `s`, or -1. */
  private entryOf(s: number): number {
    if (this.cacheSlab[this.lastEntry] === s) return this.lastEntry;
    for (let e = 0; e < this.cacheSlab.length; e++) if (this.cacheSlab[e] === s) return (this.lastEntry = e);
    return -1;
  }

  private spill(k: number, hash: Uint8Array): void {
    if (!this.file) {
      if (this.closed) throw new Error('NodeTable used after close()');
      this.file = this.makeFile();
      this.cacheSlab = new Float64Array(CACHED_SLABS).fill(-1);
      this.cache = Buffer.allocUnsafeSlow(CACHED_SLABS * SLAB_BYTES);
      this.cacheSet = new Uint8Array(CACHED_SLABS * DENSE_SLAB);
      this.cacheUsed = new Float64Array(CACHED_SLABS);
    }
    const s = Math.floor(k / DENSE_SLAB);
    let e = this.entryOf(s);
    if (e < 0) {
      // The least recently used entry goes to the file; in key order that is the slab just filled.
      e = 0;
      for (let i = 1; i < CACHED_SLABS; i++) if (this.cacheUsed[i]! < this.cacheUsed[e]!) e = i;
      this.flush(e);
      this.cacheSlab[e] = s;
      this.lastEntry = e;
    }
    this.cacheUsed[e] = ++this.clock;
    const i = k % DENSE_SLAB;
    this.cache.set(hash, e * SLAB_BYTES + i * 32);
    this.cacheSet[e * DENSE_SLAB + i] = 1;
    this.spilledCount++;
  }

  /** Writes the set hashes of cache entry `e` to the file, in runs, and empties the entry. */
  private flush(e: number): void {
    const s = this.cacheSlab[e]!;
    if (s < 0) return;
    const set = this.cacheSet;
    const base = e * DENSE_SLAB;
    for (let i = 0; i < DENSE_SLAB; ) {
      if (!set[base + i]) {
        i++;
        continue;
      }
      let j = i;
      while (j < DENSE_SLAB && set[base + j]) j++;
      this.file!.write(this.cache, e * SLAB_BYTES + i * 32, e * SLAB_BYTES + j * 32, (s * DENSE_SLAB + i) * 32);
      i = j;
    }
    set.fill(0, base, base + DENSE_SLAB);
    this.cacheSlab[e] = -1;
  }

  private spilledHash(k: number, out: Uint8Array, at: number): void {
    const e = this.entryOf(Math.floor(k / DENSE_SLAB));
    const i = k % DENSE_SLAB;
    if (e >= 0 && this.cacheSet[e * DENSE_SLAB + i]) {
      const from = e * SLAB_BYTES + i * 32;
      this.cache.copy(out, at, from, from + 32);
      return;
    }
    this.file!.read(this.scratch, 0, 32, k * 32);
    this.scratch.copy(out, at, 0, 32);
  }
}

/** Releases the memory of a buffer that owns its ArrayBuffer (allocUnsafeSlow): detached, it is freed at once. */
function free(b: Buffer): void {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) b.buffer.transfer(0);
}
