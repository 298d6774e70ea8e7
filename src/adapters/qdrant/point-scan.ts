/**
 * A point of a retrieve answer read from its bytes, its unnamed dense vector read straight into
 * float32s by WebAssembly (wasm/vector-text.as.ts `scanPoint`); the rest of the point (id,
 * payload) is parsed as before, with `0` where the vector was.
 *
 * Why: the verified import reads back every point it writes, and parsing the 768 numbers of each
 * vector was its largest single cost. Then the search for payload numbers in their written form
 * (payload-lexemes.ts) ran its pattern over the whole text, vector included: for Qdrant's own
 * shortest float32 text, where the pattern finds no early match, that took longer than the parse.
 * Parsers written in JavaScript were no faster than JSON.parse (bench/RESULTS.md, sessions 13 and
 * 15). Figures: bench/RESULTS.md, "Session 16".
 *
 * It is exact or silent: a number it reads is the float32 that Float32Array.from(JSON.parse(…))
 * gives, and a number it cannot read so (near a rounding midpoint, more than 19 digits, tiny or
 * huge, not JSON) makes it give up on the point, which is then parsed whole as before. So is a
 * point whose "vector" is anything else (named vectors, sparse, multi), is missing or repeated, or
 * has a top-level member name with an escape (JSON.parse would decode it, and could make it
 * "vector").
 */
import type { QdrantPoint } from './convert.ts';
import { memory, vectorText } from './wasm/vector-text.ts';

/** Bytes of zeros after the text (the module reads up to 8 bytes past a number without a bound check). */
const PAD = 8;
/** The longest point text read here: longer ones are parsed whole (the module's memory stays small). */
const MAX_TEXT = 4 << 20;

/**
 * The point at `b[start, end)` with its vector as a Float32Array, or null when the module gives
 * up (the caller then parses the text itself). `parse` parses the point's text without its
 * vector: the text it is given has the value `0` where the vector was.
 */
export function scannedPoint(b: Buffer, start: number, end: number, parse: (text: string) => QdrantPoint): QdrantPoint | null {
  const n = end - start;
  if (n > MAX_TEXT) return null;
  // The float32s (at most one per two bytes of text, and one for an empty array), then the text and its zeros.
  const cap = (n >> 1) + 1;
  const w = vectorText(4 * cap + n + PAD);
  const out = w.base();
  const t = out + 4 * cap;
  const bytes = memory();
  bytes.set(b.subarray(start, end), t);
  bytes.fill(0, t + n, t + n + PAD);
  if (w.scanPoint(t, n, out, cap) !== 1) return null;
  const vs = w.start();
  const ve = w.end();
  const p = parse(b.toString('utf8', start, start + vs) + '0' + b.toString('utf8', start + ve, end));
  p.vector = new Float32Array(bytes.buffer, out, w.numbers()).slice();
  return p;
}
