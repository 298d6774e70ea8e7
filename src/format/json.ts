/**
 * JSON with exact big integers. Integers outside ±2^53 are `bigint` in memory and plain digits in
 * the text. The fast path is the engine's own JSON.parse/stringify; the slow path (a reviver with
 * the number's source text, a replacer emitting raw JSON) runs only for lines that need it.
 */

import { NestingError } from './nesting.ts';

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;


function reviver(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

export function parseJson(text: string): unknown {
  const v = JSON.parse(text);
  if (!hasUnsafeInteger(v, 0)) return v;
  return JSON.parse(text, reviver as (k: string, v: unknown) => unknown);
}

const UNSAFE = 1;
const TOO_DEEP = 2;

/**
 * parseJson for untrusted text: throws NestingError when arrays and objects nest more than
 * `maxDepth` levels (the top-level value counting as one). The walk that looks for big integers
 * also measures the depth, so the check costs nothing extra; it recurses at most `maxDepth`
 * frames, and the reviver (which recurses in the engine) only runs on text within the limit.
 */
export function parseJsonBounded(text: string, maxDepth: number): unknown {
  const v = JSON.parse(text);
  const r = scan(v, 0, maxDepth);
  if (r & TOO_DEEP) throw new NestingError(maxDepth);
  if (!(r & UNSAFE)) return v;
  return JSON.parse(text, reviver as (k: string, v: unknown) => unknown);
}

/** Flags: UNSAFE (an integer a double cannot keep) and TOO_DEEP; stops at TOO_DEEP. */
function scan(v: unknown, depth: number, max: number): number {
  if (typeof v === 'number') return (v >= 9007199254740992 || v <= -9007199254740992) && Number.isInteger(v) ? UNSAFE : 0;
  if (typeof v !== 'object' || v === null) return 0;
  if (depth >= max) return TOO_DEEP;
  let r = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'number') {
        if ((x >= 9007199254740992 || x <= -9007199254740992) && Number.isInteger(x)) r |= UNSAFE;
      } else if (typeof x === 'object' && x !== null) {
        r |= scan(x, depth + 1, max);
        if (r & TOO_DEEP) return r;
      }
    }
    return r;
  }
  for (const k in v) {
    r |= scan((v as Record<string, unknown>)[k], depth + 1, max);
    if (r & TOO_DEEP) return r;
  }
  return r;
}

/**
 * Whether a parsed value holds an integer a double could not keep exactly (only then is the text
 * parsed again). Numbers inside arrays are checked inline: a response of vectors is mostly arrays
 * of numbers, and a call per number would cost more than the parse.
 */
function hasUnsafeInteger(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return v >= 9007199254740992 || v <= -9007199254740992 ? Number.isInteger(v) : false;
  if (typeof v !== 'object' || v === null || depth > 1000) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'number') {
        if ((x >= 9007199254740992 || x <= -9007199254740992) && Number.isInteger(x)) return true;
      } else if (typeof x === 'object' && x !== null && hasUnsafeInteger(x, depth + 1)) return true;
    }
    return false;
  }
  for (const k in v) if (hasUnsafeInteger((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value;
}

export function stringifyJson(value: unknown, space?: number): string {
  try {
    return JSON.stringify(value, null, space);
  } catch (err) {
    if (err instanceof TypeError && /BigInt/i.test(err.message)) return JSON.stringify(value, replacer, space);
    throw err;
  }
}
