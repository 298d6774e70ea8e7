/**
 * Payload numbers of a Qdrant response in their written form (`1.0`, `-0.0`, `5.0`), which
 * `JSON.parse` loses (spec/FORMAT.md, section 15.3).
 *
 * Parsing a whole page with a reviver that sees each number's source text costs 6 to 17 times a
 * plain parse (measured on a 256-point page of 768-float vectors), nearly all of it spent on the
 * vectors, whose form does not matter (they are float32 either way). So the page is parsed plainly,
 * one scan over its structural characters finds each point's `payload` object, and only a payload
 * whose text holds such a number (json.ts `holdsLexemes`) is parsed again, with the reviver.
 * Measured on that page with a `score: i/7` payload per point: plain parse 9.3 ms, the scan 1.1 ms,
 * scan and payload re-parses 1.7 ms.
 */
import { holdsLexemes, mayHoldLexemes, memberSpans, parseJsonLexemes } from '../../format/json.ts';
import type { JsonObject } from '../../format/records.ts';

/**
 * The `[point index, start, end)` text spans of the `payload` objects of the points found at
 * `depth` (1 is the top-level value): 4 in a scroll answer (`{"result":{"points":[{…`), 3 in a
 * retrieve answer (`{"result":[{…`).
 */
export function payloadSpans(text: string, depth: number): Array<[number, number, number]> {
  return memberSpans(text, depth, 'payload');
}

/** Gives each point the payload of its span parsed with its number lexemes, where that matters. */
export function keepPayloadLexemes(text: string, points: Array<{ payload?: JsonObject | null }>, depth: number): void {
  if (!mayHoldLexemes(text)) return;
  for (const [index, start, end] of payloadSpans(text, depth)) {
    const p = points[index];
    if (!p) continue;
    const span = text.slice(start, end);
    if (!holdsLexemes(span)) continue;
    try {
      p.payload = parseJsonLexemes(span) as JsonObject;
    } catch (err) {
      // Nested too deep for the reviver: keep the plain parse; the archive writer refuses such a payload.
      if (!(err instanceof RangeError)) throw err;
    }
  }
}
