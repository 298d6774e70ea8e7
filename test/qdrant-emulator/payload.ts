/**
 * Payloads as Qdrant stores them. serde_json keeps an integer as a u64 or i64 and reads every other
 * number with its fast, not always correctly rounded float rule, then prints it with ryu
 * (src/adapters/qdrant/server-numbers.ts): `5.0` stays `5.0`, `-0` becomes `-0.0`, `1.50` becomes
 * `1.5`, and `90.28571428571429` becomes `90.28571428571428`. Each number is stored as the text the
 * server would print (a `JSON.rawJSON`), so the payload is answered exactly as a real server would.
 */
import { isRawNumber, lexemeValue, numberLexeme, parseJsonLexemes, rawNumber } from '../../src/format/json.ts';
import { keepPayloadLexemes } from '../../src/adapters/qdrant/payload-lexemes.ts';
import { storedLexeme } from '../../src/adapters/qdrant/server-numbers.ts';
import { formatError } from './errors.ts';
// Qdrant (Rust) keeps a vector or payload key named __proto__; so must the emulator.
import { setMember } from '../../src/format/json.ts';

/** The payload with every number replaced by what the server stores; refuses numbers out of range. */
export function storePayload(v: unknown): unknown {
  if (typeof v === 'number' || typeof v === 'bigint' || isRawNumber(v)) {
    const lexeme = numberLexeme(v);
    const stored = storedLexeme(lexeme);
    if (stored === null) throw formatError(`number out of range: ${lexeme}`);
    return rawNumber(stored);
  }
  if (Array.isArray(v)) return v.map(storePayload);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setMember(out, k, storePayload(x));
    return out;
  }
  return v;
}

/**
 * Gives the parsed body of an upsert its payload numbers as written: the payloads of a point list
 * by their text spans (cheap next to the vectors), a columnar batch by parsing it again whole.
 */
export function withPayloadLexemes(text: string, body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const b = body as { points?: unknown; batch?: unknown };
  if (Array.isArray(b.points)) {
    keepPayloadLexemes(text, b.points as Array<{ payload?: never }>, 3);
    return body;
  }
  if (typeof b.batch === 'object' && b.batch !== null) {
    const again = parseJsonLexemes(text) as { batch: Record<string, unknown> };
    for (const k of Object.keys(again.batch)) if (k !== 'payloads') again.batch[k] = plainNumbers(again.batch[k]);
    return again;
  }
  return body;
}

/** The value with every RawNumber replaced by the number it spells (what parseJson would give). */
function plainNumbers(v: unknown): unknown {
  if (isRawNumber(v)) return lexemeValue(v.rawJSON);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plainNumbers(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) o[k] = plainNumbers(o[k]);
  return v;
}
