/**
 * Payload numbers of a Qdrant response in their written form (`1.0`, `-0.0`, `5.0`), which
 * `JSON.parse` loses (spec/FORMAT.md, section 15.3).
 *
 * Parsing a whole page with a reviver that sees each number's source text costs 6 to 17 times a
 * plain parse (measured on a 256-point page of 768-float vectors), nearly all of it spent on the
 * vectors, whose form does not matter (they are float32 either way). So the page is parsed plainly,
 * one scan over its structural characters finds each point's `payload` object, and only a payload
 * whose text may hold such a number (json.ts `mayHoldLexemes`) is parsed again, with the reviver.
 * Measured on that page with a `score: i/7` payload per point: plain parse 9.3 ms, the scan 1.1 ms,
 * scan and payload re-parses 1.7 ms.
 */
import { mayHoldLexemes, parseJsonLexemes } from '../../format/json.ts';
import type { JsonObject } from '../../format/records.ts';

const STRUCTURE = /[{}[\]"]/g;

/**
 * The `[point index, start, end)` text spans of the `payload` objects of the points found at
 * `depth` (1 is the top-level value): 4 in a scroll answer (`{"result":{"points":[{…`), 3 in a
 * retrieve answer (`{"result":[{…`).
 */
export function payloadSpans(text: string, depth: number): Array<[number, number, number]> {
  const spans: Array<[number, number, number]> = [];
  const re = new RegExp(STRUCTURE.source, 'g');
  let level = 0;
  let point = -1;
  let pending = -1;
  let start = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: its end is the next quote not escaped by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return spans;
        let b = j - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        if ((j - 1 - b) % 2 === 0) break;
        j++;
      }
      if (level === depth && j - i === 8 && text.startsWith('payload', i + 1)) {
        let k = j + 1;
        while (text.charCodeAt(k) <= 0x20) k++;
        if (text.charCodeAt(k) === 0x3a) {
          k++;
          while (text.charCodeAt(k) <= 0x20) k++;
          if (text.charCodeAt(k) === 0x7b) {
            pending = point;
            start = k;
          }
        }
      }
      re.lastIndex = j + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      level++;
      if (c === 0x7b && level === depth) point++;
    } else {
      if (pending >= 0 && c === 0x7d && level === depth + 1) {
        spans.push([pending, start, i + 1]);
        pending = -1;
      }
      level--;
    }
  }
  return spans;
}

/** Gives each point the payload of its span parsed with its number lexemes, where that matters. */
export function keepPayloadLexemes(text: string, points: Array<{ payload?: JsonObject | null }>, depth: number): void {
  if (!mayHoldLexemes(text)) return;
  for (const [index, start, end] of payloadSpans(text, depth)) {
    const p = points[index];
    if (!p) continue;
    const span = text.slice(start, end);
    if (mayHoldLexemes(span)) p.payload = parseJsonLexemes(span) as JsonObject;
  }
}
