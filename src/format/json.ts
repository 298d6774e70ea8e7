/**
 * JSON with exact big integers. Integers outside ±2^53 are `bigint` in memory and plain digits in
 * the text. The fast path is the engine's own JSON.parse/stringify; the slow path (a reviver with
 * the number's source text, a replacer emitting raw JSON) runs only for lines that need it.
 */

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

const LONG_DIGITS = /\d{16}/;

function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

export function parseJson(text: string): unknown {
  const v = JSON.parse(text);
  if (!LONG_DIGITS.test(text)) return v;
  return JSON.parse(text, reviver as (k: string, v: unknown) => unknown);
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value;
}

export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError && /BigInt/i.test(err.message)) return JSON.stringify(value, replacer);
    throw err;
  }
}
