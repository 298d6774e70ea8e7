/**
 * The elements of one JSON array of an answer, split out while the answer arrives, so that no
 * whole answer is ever one string: Qdrant's scroll and retrieve answers are a few small members
 * around one big array of points (`{"result":{"points":[…],"next_page_offset":…},…}`,
 * `{"result":[…],…}`), and a page of 64 points of 768 floats is about 1 MB of text.
 *
 * Each element's text goes to `each` as soon as its closing bracket arrives, and what `each`
 * returns takes the element's place. The text around the array (the "skeleton", a few dozen
 * bytes) is kept and parsed at the end, with the array put back. Memory is one element's text plus
 * one piece of the answer, whatever the answer's size.
 *
 * The scan looks at structural characters only (`{}[]"`), skipping strings (an escaped quote is
 * one after an odd run of backslashes), as json.ts `memberSpans` does on a whole text. The array
 * is found by the member names of the objects that hold it (`['result', 'points']`). Only arrays
 * of objects or arrays are split; an answer of another shape (an error, a scalar array) is kept
 * whole, as a skeleton that holds everything.
 */

import { stringEnd } from '../../format/json.ts';

const STRUCTURE = /[{}[\]"]/g;
/** Longer strings are not remembered as member names (the names on a path are short). */
const MAX_NAME = 64;

export class ArrayElements<T> {
  private readonly path: readonly string[];
  private readonly each: (text: string) => T;
  /** Its own: `each` may scan other text with a regular expression of its own meanwhile. */
  private readonly re = new RegExp(STRUCTURE.source, 'g');
  readonly values: T[] = [];
  /** Unscanned text, and text kept from before because an element or a string began there. */
  private text = '';
  private pos = 0;
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
  /** The skeleton so far, and where in `text` its next part begins (-1: inside the array). */
  private skeleton = '';
  private skeletonFrom = 0;

  constructor(path: readonly string[], each: (text: string) => T) {
    this.path = path;
    this.each = each;
  }

  /** Takes the next piece of the answer; calls `each` for every element it completes. */
  push(piece: string): void {
    this.text += piece;
    this.scan();
  }

  private scan(): void {
    const text = this.text;
    const re = this.re;
    re.lastIndex = this.pos;
    let stop = text.length;
    // test, not exec: exec makes a match array per character found, and answers are mostly the
    // text of points (a few dozen strings and brackets each, read again for every answer).
    while (re.test(text)) {
      const i = re.lastIndex - 1;
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const j = stringEnd(text, i);
        if (j < 0) {
          stop = i; // the string ends in a later piece: scan it again from its quote
          break;
        }
        if (this.elementStart < 0) this.lastString[this.level] = j - i - 1 <= MAX_NAME ? text.slice(i + 1, j) : undefined;
        re.lastIndex = j + 1;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        this.level++;
        if (this.elementStart >= 0) continue;
        if (this.target > 0 && this.level === this.target + 1) {
          this.elementStart = i;
          continue;
        }
        this.keys[this.level] = this.level > 1 && this.objects[this.level - 1] ? this.lastString[this.level - 1] : undefined;
        this.objects[this.level] = c === 0x7b;
        this.lastString[this.level] = undefined;
        if (c === 0x5b && this.target === 0 && this.onPath()) {
          this.target = this.level;
          this.skeleton += text.slice(this.skeletonFrom, i + 1);
          this.skeletonFrom = -1;
        }
        continue;
      }
      // A closing bracket.
      if (this.elementStart >= 0 && this.level === this.target + 1) {
        this.values.push(this.each(text.slice(this.elementStart, i + 1)));
        this.elementStart = -1;
      } else if (this.target > 0 && this.level === this.target && this.elementStart < 0) {
        this.target = -1; // the array closes: the skeleton resumes at its bracket
        this.skeletonFrom = i;
      }
      this.level--;
    }
    // Keep what is still needed: an element begun, a string begun; the skeleton so far is moved out.
    let keep = stop;
    if (this.elementStart >= 0) keep = Math.min(keep, this.elementStart);
    if (this.skeletonFrom >= 0) {
      this.skeleton += text.slice(this.skeletonFrom, keep);
      this.skeletonFrom = 0;
    }
    if (this.elementStart >= 0) this.elementStart -= keep;
    this.text = text.slice(keep);
    this.pos = stop - keep;
  }

  private onPath(): boolean {
    if (this.level !== this.path.length + 1) return false;
    for (let l = 2; l <= this.level; l++) if (this.keys[l] !== this.path[l - 2]) return false;
    return true;
  }

  /**
   * The answer's text without the array's elements (the array left empty), once the last piece is
   * in; `found` is false when the array never appeared (the skeleton is then the whole answer).
   */
  end(): { skeleton: string; found: boolean } {
    // Whatever is left (an unfinished string or element) is malformed JSON; it goes to the
    // skeleton, whose parse reports it.
    return { skeleton: this.skeleton + this.text, found: this.target !== 0 };
  }
}
