/**
 * Refuses a repeated point id (spec/FORMAT.md 6.1) without holding the ids in memory while they
 * come in strictly increasing order, the order a Qdrant scroll hands them over in (integers
 * ascending, then UUIDs by their bytes), so also the order of an archive exported from one: while
 * each id is above the one before, no id can repeat an earlier one, and only the last is kept.
 *
 * The ids seen are appended, 17 bytes each (a tag byte and four 32-bit words, big-endian), to a
 * buffer and past 64 KiB to an unlinked temporary file (spill-file.ts). The first time an id is not
 * above the one before, a KeySet is built from them and checks every id from then on, exactly as
 * before this existed; the file is closed then. So an id is never refused falsely and a repeat is
 * never missed, in any order; only the memory differs: a 64 KiB buffer in order (at 1 M ids, 16 MiB
 * of file and no set), the set's 21 to 32 bytes an id once out of order.
 */
import { KeySet, type KeyAdder } from './key-set.ts';
import { SpillFile } from './spill-file.ts';

const KEY_BYTES = 17;
/** Buffered keys: a whole number of them, just under 64 KiB. */
const BUFFER_BYTES = KEY_BYTES * 3855;

export class PointIdGuard implements KeyAdder {
  private set: KeySet | null = null;
  private file: SpillFile | null = null;
  private buf: Uint8Array<ArrayBuffer> | null = new Uint8Array(BUFFER_BYTES);
  private view: DataView | null = new DataView(this.buf!.buffer);
  private used = 0;
  private written = 0;
  private seen = 0;
  // The last id, as its tag and words (compared in this order, all unsigned).
  private t = 0;
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private readonly makeFile: () => SpillFile;

  /** `spillFile`: makes the temporary file (default: a new unlinked file under TMPDIR). */
  constructor(opts: { spillFile?: () => SpillFile } = {}) {
    this.makeFile = opts.spillFile ?? (() => SpillFile.create());
  }

  /** Adds a key as KeySet.add takes it (addPointId, key-set.ts, makes one of a point id); false for a repeat. */
  add(t: number, a: number, b: number, c: number, d: number): boolean {
    if (this.set) return this.set.add(t, a, b, c, d);
    if (this.seen > 0) {
      const order = t - this.t || a - this.a || b - this.b || c - this.c || d - this.d;
      if (order === 0) return false;
      if (order < 0) {
        this.becomeSet();
        return this.set!.add(t, a, b, c, d);
      }
    }
    this.t = t;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.seen++;
    this.keep(t, a, b, c, d);
    return true;
  }

  /** Whether the ids have come in order so far (no set in memory). */
  get inOrder(): boolean {
    return this.set === null;
  }

  /** Releases the temporary file and the memory. Idempotent. */
  close(): void {
    this.file?.close();
    this.file = null;
    this.buf = null;
    this.view = null;
    this.set = null;
  }

  private keep(t: number, a: number, b: number, c: number, d: number): void {
    if (this.used === BUFFER_BYTES) this.flush();
    const v = this.view!;
    const o = this.used;
    v.setUint8(o, t);
    v.setUint32(o + 1, a);
    v.setUint32(o + 5, b);
    v.setUint32(o + 9, c);
    v.setUint32(o + 13, d);
    this.used += KEY_BYTES;
  }

  private flush(): void {
    this.file ??= this.makeFile();
    this.file.write(this.buf!, 0, this.used, this.written);
    this.written += this.used;
    this.used = 0;
  }

  /** Builds the set from every id kept so far (the file, then the buffer) and drops the file. */
  private becomeSet(): void {
    const set = new KeySet();
    const buf = this.buf!;
    const view = this.view!;
    const fill = (n: number): void => {
      for (let o = 0; o < n; o += KEY_BYTES) set.add(view.getUint8(o), view.getUint32(o + 1), view.getUint32(o + 5), view.getUint32(o + 9), view.getUint32(o + 13));
    };
    const pending = buf.slice(0, this.used);
    if (this.file) {
      for (let pos = 0; pos < this.written; pos += BUFFER_BYTES) {
        const n = Math.min(BUFFER_BYTES, this.written - pos);
        this.file.read(buf, 0, n, pos);
        fill(n);
      }
      this.file.close();
      this.file = null;
    }
    buf.set(pending);
    fill(pending.length);
    this.set = set;
    this.buf = null;
    this.view = null;
  }
}
