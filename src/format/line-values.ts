/**
 * How many JSON values a line holds, counted on its bytes before it is parsed. What parsing
 * costs in memory follows the number of values, not the bytes: a line of `[{},{},…]` takes about
 * 100 bytes of heap per 3 bytes of text (bench/RESULTS.md, "Hostile archives"). Counting the
 * `{`, `[` and `,` outside strings bounds that before the engine allocates anything.
 */

/**
 * Lines up to this size are not counted: they hold at most about 5,000 values, whose parsed form
 * dies young (in V8's 2 MiB young generation) like any record's. A line of 1,536 float32 values
 * in base64 is about 8 KiB.
 */
export const COUNT_VALUES_ABOVE = 16 * 1024;

/** Lines over this size are long strings, as far as their garbage is concerned. */
export const LONG_LINE = 256 * 1024;

/**
 * The values bytes [start, end) of `buf`, one JSON text, hold: an upper estimate, every `{`, `[`
 * and `,` outside strings starting at most one value, plus one. Stops counting past `stopAbove`
 * (and returns stopAbove + 1). Strings are skipped with indexOf, so a line that is mostly one
 * long string is counted at memchr speed.
 */
export function countValues(buf: Buffer, start: number, end: number, stopAbove: number): number {
  let n = 1;
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    if (c === 0x22) {
      // Find the closing quote: one not preceded by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        const q = buf.indexOf(0x22, j);
        if (q < 0 || q >= end) return n;
        let k = q - 1;
        while (k > i && buf[k] === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) {
          i = q + 1;
          break;
        }
        j = q + 1;
      }
      continue;
    }
    if ((c === 0x2c || c === 0x7b || c === 0x5b) && ++n > stopAbove) return n;
    i++;
  }
  return n;
}

export function holdsMoreValuesThan(buf: Buffer, start: number, end: number, max: number): boolean {
  return countValues(buf, start, end, max) > max;
}
