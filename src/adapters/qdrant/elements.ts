/**
 * The elements of one JSON array of an answer, split out of the answer's bytes while they arrive,
 * so that no whole answer is ever one string: Qdrant's scroll and retrieve answers are a few small
 * members around one big array of points (`{"result":{"points":[…],"next_page_offset":…},…}`,
 * `{"result":[…],…}`), and a page of 64 points of 768 floats is about 1 MB of text.
 *
 * Each element's text goes to `each` as soon as its closing bracket arrives, and what `each`
 * returns takes the element's place. The text around the array (the "skeleton", a few dozen
 * bytes) is kept and parsed at the end, with the array put back. Memory is one element's bytes
 * plus one chunk of the answer, whatever the answer's size.
 *
 * The scan reads bytes, not text: every structural character (`{}[]"`) and the backslash are
 * ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so they are found in the bytes (with
 * Buffer's native indexOf) as in the text. Each element is decoded once, from the bytes, into the one string `each` parses.
 * Decoding every chunk first and scanning the text made each chunk a string, and each chunk
 * joined to the part of an element before it a second, flat one: a quarter of all that a verified
 * Qdrant import allocated (bench/RESULTS.md, session 9). Strings are skipped whole (an escaped
 * quote is one after an odd run of backslashes), as json.ts `memberSpans` does on a whole text.
 * The array is found by the member names of the objects that hold it (`['result', 'points']`).
 * Only arrays of objects or arrays are split, and an array on the path that holds anything else
 * between its elements (a number, a string) is refused: that value would be in neither the
 * elements nor the skeleton. An answer with no array on the path (an error) is kept whole, as a
 * skeleton that holds everything. Bytes that are not UTF-8 decode to
 * U+FFFD, as a decoder of the whole answer would make them.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The bytes the scan stops at: `"`, `{`, `[`, `}`, `]`. */
const STRUCTURAL = [QUOTE, 0x7b, 0x5b, 0x7d, 0x5d];
/** A position not looked for yet in this chunk (below every index), and none in this chunk. */
const UNKNOWN = -2;
const NONE = -1;
/** Longer strings are not remembered as member names (the names on a path are short). */
const MAX_NAME = 64;

/** What a `fromBytes` returns for an element it leaves to `each`. */
export const DECLINED: unique symbol = Symbol('declined');

export class ArrayElements<T> {
  private readonly path: readonly string[];
  private readonly each: (text: string) => T;
  private readonly fromBytes: ((b: Buffer, start: number, end: number) => T | typeof DECLINED) | undefined;
  readonly values: T[] = [];
  /**
   * The bytes not yet consumed: those kept from before because an element or a string began
   * there (`held` of them), then the newest chunk. Reused from chunk to chunk, grown as needed.
   */
  private buf: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
  private held = 0;
  /** Where the scan goes on in `buf`. */
  private pos = 0;
  /** The next position of each STRUCTURAL byte in the chunk being scanned. */
  private readonly next = new Int32Array(STRUCTURAL.length);
  private level = 0;
  /** The last short string seen at each level (a member name, when a container follows it). */
  private readonly lastString: Array<string | undefined> = [];
  /** The member name under which each open container was opened (undefined in an array). */
  private readonly keys: Array<string | undefined> = [];
  /** Whether each open container is an object. */
  private readonly objects: boolean[] = [];
  /** The level of the array being split, once found (0: not found, -1: found and closed). */
  private target = 0;
  private elementStart = -1;
  /**
   * Inside the array, between its elements: where in `buf` the bytes since the last element (or
   * the array's bracket) begin, else -1. They must be commas and whitespace: a scalar element
   * would otherwise vanish from both the elements and the skeleton.
   */
  private gapFrom = -1;
  /** The skeleton so far, and where in `buf` its next part begins (-1: inside the array). */
  private skeleton = '';
  private skeletonFrom = 0;

  /**
   * `fromBytes`, when given, is offered each element's bytes first (`b[start, end)`, valid only
   * during the call); where it returns DECLINED, the element is decoded and goes to `each`.
   */
  constructor(path: readonly string[], each: (text: string) => T, fromBytes?: (b: Buffer, start: number, end: number) => T | typeof DECLINED) {
    this.path = path;
    this.each = each;
    this.fromBytes = fromBytes;
  }

  /** The bytes held between chunks (an element or a string begun), for tests of the bound. */
  get heldBytes(): number {
    return this.held;
  }

  /** Takes the next chunk of the answer; calls `each` for every element it completes. */
  push(chunk: Uint8Array): void {
    const len = this.held + chunk.length;
    if (len > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(len, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.held);
      this.buf = grown;
    }
    this.buf.set(chunk, this.held);
    this.scan(len);
  }

  private scan(len: number): void {
    const b = this.buf;
    // indexOf on this view stops at the bytes received (the buffer's tail holds older ones).
    const v = b.subarray(0, len);
    const next = this.next;
    next.fill(UNKNOWN);
    let from = this.pos;
    let stop = len;
    for (;;) {
      // The nearest structural byte at or after `from`: each kind's next position, found natively
      // and kept until the scan passes it. A loop over the bytes in JavaScript took 20 times as
      // long as this (or as a regular expression on text), bench/RESULTS.md session 9.
      let i = -1;
      for (let k = 0; k < STRUCTURAL.length; k++) {
        let p = next[k]!;
        if (p !== NONE && p < from) next[k] = p = v.indexOf(STRUCTURAL[k]!, from);
        if (p >= 0 && (i < 0 || p < i)) i = p;
      }
      if (i < 0) break;
      const c = b[i]!;
      from = i + 1;
      if (c === QUOTE) {
        const j = stringEnd(v, i);
        if (j < 0) {
          stop = i; // the string ends in a later chunk: scan it again from its quote
          break;
        }
        if (this.elementStart < 0) this.lastString[this.level] = j - i - 1 <= MAX_NAME ? b.toString('utf8', i + 1, j) : undefined;
        from = j + 1;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        this.level++;
        if (this.elementStart >= 0) continue;
        if (this.target > 0 && this.level === this.target + 1) {
          this.checkGap(b, i);
          this.elementStart = i;
          continue;
        }
        this.keys[this.level] = this.level > 1 && this.objects[this.level - 1] ? this.lastString[this.level - 1] : undefined;
        this.objects[this.level] = c === 0x7b;
        this.lastString[this.level] = undefined;
        if (c === 0x5b && this.target === 0 && this.onPath()) {
          this.target = this.level;
          this.gapFrom = i + 1;
          this.skeleton += b.toString('utf8', this.skeletonFrom, i + 1);
          this.skeletonFrom = -1;
        }
        continue;
      }
      // A closing bracket.
      if (this.elementStart >= 0 && this.level === this.target + 1) {
        const v = this.fromBytes ? this.fromBytes(b, this.elementStart, i + 1) : DECLINED;
        this.values.push(v !== DECLINED ? v : this.each(b.toString('utf8', this.elementStart, i + 1)));
        this.elementStart = -1;
        this.gapFrom = i + 1;
      } else if (this.target > 0 && this.level === this.target && this.elementStart < 0) {
        this.checkGap(b, i);
        this.target = -1; // the array closes: the skeleton resumes at its bracket
        this.skeletonFrom = i;
      }
      this.level--;
    }
    // Keep what is still needed: an element begun, a string begun; the skeleton so far is moved
    // out (outside strings JSON is ASCII, so it ends on a whole character).
    if (this.gapFrom >= 0) {
      // The gap's bytes so far are dropped below: checked now.
      this.checkGap(b, stop);
      this.gapFrom = stop;
    }
    let keep = stop;
    if (this.elementStart >= 0) keep = Math.min(keep, this.elementStart);
    if (this.skeletonFrom >= 0) {
      this.skeleton += b.toString('utf8', this.skeletonFrom, keep);
      this.skeletonFrom = 0;
    }
    if (this.elementStart >= 0) this.elementStart -= keep;
    if (this.gapFrom >= 0) this.gapFrom -= keep;
    b.copyWithin(0, keep, len);
    this.held = len - keep;
    this.pos = stop - keep;
  }

  /** Throws unless buf[gapFrom, to) is commas and whitespace; ends the gap. */
  private checkGap(b: Buffer, to: number): void {
    for (let k = this.gapFrom; k < to; k++) {
      const c = b[k];
      if (c !== 0x2c && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new Error(`the array at ${this.path.join('.')} holds a value that is not an object or an array`);
      }
    }
    this.gapFrom = -1;
  }

  private onPath(): boolean {
    if (this.level !== this.path.length + 1) return false;
    for (let l = 2; l <= this.level; l++) if (this.keys[l] !== this.path[l - 2]) return false;
    return true;
  }

  /**
   * The answer's text without the array's elements (the array left empty), once the last chunk is
   * in; `found` is false when the array never appeared (the skeleton is then the whole answer).
   */
  end(): { skeleton: string; found: boolean } {
    // Whatever is left (an unfinished string or element) is malformed JSON; it goes to the
    // skeleton, whose parse reports it.
    return { skeleton: this.skeleton + this.buf.toString('utf8', 0, this.held), found: this.target !== 0 };
  }
}

/** The index of the quote that closes the string opened at `open` in `b`, or -1 if it is not there yet. */
function stringEnd(b: Buffer, open: number): number {
  let j = open + 1;
  for (;;) {
    j = b.indexOf(QUOTE, j);
    if (j < 0) return -1;
    let k = j - 1;
    while (b[k] === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j++;
  }
}
