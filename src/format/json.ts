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

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/*
 * Member names written with escapes. V8's JSON.parse (Node 24 to at least 26, open upstream as
 * nodejs/node#63785) can misread one: once the process has parsed an object whose member name
 * holds a backslash, a later escaped name of the same decoded length whose escaped text starts with
 * that name is read as that name (`"\\""` comes back as `\\`, in the same place after the same
 * members). The name it is misread as is the escaped text up to and past its first escape, so it
 * always holds a backslash: when no name of the result holds one, the engine's parse is exact.
 * Otherwise (rare) the text is parsed again as arrays, which have no names, and the objects are
 * built from those (test/format/json-keys.test.ts puts the engine into that state first).
 */

/** The index of the `"` that closes the string opening at `open`, or -1 when the text ends first. */
export function stringEnd(text: string, open: number): number {
  let j = open + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return -1;
    let b = j - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((j - 1 - b) % 2 === 0) return j;
    j++;
  }
}

const NAMED = /[{}[\]":]/g;

/**
 * Valid JSON text with every object written as an array: `{"a":1}` as `[0,"a",1]` and `[1]` as
 * `[1,1]` (a leading 0 marks an object, 1 an array). Strings and numbers are copied as written,
 * so a reviver sees each number's source text as before.
 */
function objectsAsArrays(text: string): string {
  const out: string[] = [];
  const re = new RegExp(NAMED.source, 'g');
  let from = 0;
  // test, not exec: exec makes a match array per character found (one character: lastIndex - 1).
  while (re.test(text)) {
    const i = re.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      re.lastIndex = stringEnd(text, i) + 1;
      if (re.lastIndex === 0) break;
      continue;
    }
    out.push(text.slice(from, i));
    from = i + 1;
    if (c === 0x7b || c === 0x5b) {
      let k = i + 1;
      while (text.charCodeAt(k) <= 0x20) k++;
      const empty = text.charCodeAt(k) === c + 2; // '}' follows '{' by 2, ']' follows '[' by 2
      out.push(c === 0x7b ? (empty ? '[0' : '[0,') : empty ? '[1' : '[1,');
    } else out.push(c === 0x3a ? ',' : ']');
  }
  out.push(text.slice(from));
  return out.join('');
}

interface Frame {
  src: unknown[];
  i: number;
  obj: Record<string, unknown> | null;
  arr: unknown[] | null;
}

function frame(src: unknown[]): Frame {
  return src[0] === 0 ? { src, i: 1, obj: {}, arr: null } : { src, i: 1, obj: null, arr: [] };
}

function put(f: Frame, v: unknown): void {
  if (f.obj === null) {
    f.arr!.push(v);
    f.i++;
    return;
  }
  // JSON.parse defines members, as setMember does.
  setMember(f.obj, f.src[f.i] as string, v);
  f.i += 2;
}

/**
 * `obj[key] = value` for a member name that comes from data. Assigning `__proto__` to an
 * ordinary object sets its prototype (or, for a value that is not an object, does nothing), so a
 * property, column or payload field of that name would vanish without a trace; this defines it
 * as an own member, as JSON.parse and object literals' computed names do.
 */
export function setMember<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** Builds the objects of objectsAsArrays's form back; iterative, so any depth is safe. */
function arraysAsObjects(root: unknown): unknown {
  if (!Array.isArray(root)) return root;
  const stack = [frame(root)];
  for (;;) {
    const f = stack[stack.length - 1]!;
    if (f.i < f.src.length) {
      const v = f.src[f.obj === null ? f.i : f.i + 1];
      if (Array.isArray(v)) stack.push(frame(v));
      else put(f, v);
      continue;
    }
    stack.pop();
    const done = f.obj ?? f.arr;
    if (stack.length === 0) return done;
    put(stack[stack.length - 1]!, done);
  }
}

/**
 * The text parsed again with the reviver that keeps big integers, checked for misread names as
 * the first parse was: the first parse itself can put the engine into the state that misreads a
 * name of the same text the second time (a fuzz test of session 8 found one).
 */
function reparse(text: string): unknown {
  const w = JSON.parse(text, reviver as (k: string, v: unknown) => unknown);
  return flags(w) & NAMES ? parseNamed(text, reviver) : w;
}

/**
 * The value of a first parse `v` of `text`, or the text parsed again as its flags `r` require.
 * When names are suspect, the first parse's UNSAFE flag is not to be trusted: a misread name can
 * repeat a later one, whose value then replaces the big integer it held (a fuzz test of session 13
 * found one), and the walk stops 1,000 levels down. So the exact parse is walked for big integers
 * itself, without recursion, and parsed with the reviver only when it holds one (a reviver
 * recurses in the engine: on a text nested deeper than the stack, only then, it would throw).
 */
function settle(text: string, v: unknown, r: number): unknown {
  if (r & NAMES) {
    const w = parseNamed(text);
    return holdsUnsafe(w) ? parseNamed(text, reviver) : w;
  }
  if (!(r & UNSAFE)) return v;
  return reparse(text);
}

/** Whether a parsed value holds an integer a double cannot keep exactly, at any depth (iterative). */
function holdsUnsafe(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number') {
      if ((v >= 9007199254740992 || v <= -9007199254740992) && Number.isInteger(v)) return true;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      for (const k in v) stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return false;
}

/** JSON.parse(text, revive) for valid JSON text, immune to the misread names above. */
function parseNamed(text: string, revive?: Reviver): unknown {
  return arraysAsObjects(JSON.parse(objectsAsArrays(text), revive as ((k: string, v: unknown) => unknown) | undefined));
}

/** JSON.parse with member names read exactly (see above); no other difference. */
export function parsePlainJson(text: string): unknown {
  const v = JSON.parse(text);
  return flags(v) & NAMES ? parseNamed(text) : v;
}

export function parseJson(text: string): unknown {
  const v = JSON.parse(text);
  const r = flags(v);
  return settle(text, v, r);
}

/**
 * parseJson for an object one member of which holds only float vectors (a Qdrant point's
 * `vector`): that member's number arrays are not read. Its numbers become float32 whatever their
 * literal (src/adapters/qdrant/convert.ts), so no integer there needs keeping beyond 2^53, and
 * reading each of 768 numbers to check cost about as much as the parse (bench/RESULTS.md,
 * session 8). Its member names are still checked (NAMES), as are all the others' numbers.
 */
export function parseJsonFloatMember(text: string, member: string): unknown {
  const v = JSON.parse(text);
  let r = 0;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const k in v) {
      if (k.indexOf('\\') >= 0) r |= NAMES;
      const x = (v as Record<string, unknown>)[k];
      r |= k === member ? shapeFlags(x, 1) : scan(x, 1, 1001, NAMES);
    }
  } else {
    r = flags(v);
  }
  return settle(text, v, r);
}

/** scan's NAMES for a value whose arrays that start with a number are taken as numbers, unread. */
function shapeFlags(v: unknown, depth: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (depth >= 1001) return NAMES;
  let r = 0;
  if (Array.isArray(v)) {
    if (v.length === 0 || typeof v[0] === 'number') return 0;
    for (let i = 0; i < v.length; i++) r |= shapeFlags(v[i], depth + 1);
    return r;
  }
  for (const k in v) {
    if (k.indexOf('\\') >= 0) r |= NAMES;
    r |= shapeFlags((v as Record<string, unknown>)[k], depth + 1);
  }
  return r;
}

const UNSAFE = 1;
const TOO_DEEP = 2;
/** A member name holding a backslash: the parse may have misread a name (see above). */
const NAMES = 4;

/**
 * parseJson for untrusted text: throws NestingError when arrays and objects nest more than
 * `maxDepth` levels (the top-level value counting as one). The walk that looks for big integers
 * also measures the depth, so the check costs nothing extra; it recurses at most `maxDepth`
 * frames, and the reviver (which recurses in the engine) only runs on text within the limit.
 */
export function parseJsonBounded(text: string, maxDepth: number): unknown {
  const v = JSON.parse(text);
  const r = scan(v, 0, maxDepth, TOO_DEEP);
  if (r & TOO_DEEP) throw new NestingError(maxDepth);
  return settle(text, v, r);
}

/**
 * Flags UNSAFE (an integer a double could not keep exactly: only then is the text parsed again)
 * and NAMES; an object or array `max` levels down adds `deep` and, when that is TOO_DEEP, stops
 * the walk. Numbers inside arrays are checked inline: a response of vectors is mostly arrays of
 * numbers, and a call per number would cost more than the parse.
 */
function scan(v: unknown, depth: number, max: number, deep: number): number {
  if (typeof v === 'number') return (v >= 9007199254740992 || v <= -9007199254740992) && Number.isInteger(v) ? UNSAFE : 0;
  if (typeof v !== 'object' || v === null) return 0;
  if (depth >= max) return deep;
  let r = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'number') {
        if ((x >= 9007199254740992 || x <= -9007199254740992) && Number.isInteger(x)) r |= UNSAFE;
      } else if (typeof x === 'object' && x !== null) {
        r |= scan(x, depth + 1, max, deep);
        if (r & TOO_DEEP) return r;
      }
    }
    return r;
  }
  for (const k in v) {
    if (k.indexOf('\\') >= 0) r |= NAMES;
    r |= scan((v as Record<string, unknown>)[k], depth + 1, max, deep);
    if (r & TOO_DEEP) return r;
  }
  return r;
}

/**
 * scan with no depth limit: past 1,000 levels the names are taken as suspect (the parse again,
 * without a reviver, is iterative).
 */
function flags(v: unknown): number {
  return scan(v, 0, 1001, NAMES);
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

/*
 * Number lexemes of payloads (spec/FORMAT.md, sections 7.3 and 15.3). A store may keep a payload
 * number's written form (Qdrant keeps `1.0`, `5.0` and `-0.0` apart from `1`, `5` and `0`), so a
 * payload number whose text is not what `String(n)` prints is held as a `JSON.rawJSON(text)`
 * object: `JSON.stringify` writes it back verbatim, and the canonical form (the v1 digest) reads
 * it as the number it spells.
 */

const jsonRaw = JSON as unknown as { rawJSON(text: string): object; isRawJSON(v: unknown): boolean };

/** A payload number kept in its written form. */
export interface RawNumber {
  readonly rawJSON: string;
}

export function isRawNumber(v: unknown): v is RawNumber {
  return typeof v === 'object' && v !== null && jsonRaw.isRawJSON(v);
}

/** Holds a number lexeme as written (it must be valid JSON number text). */
export function rawNumber(lexeme: string): RawNumber {
  return jsonRaw.rawJSON(lexeme) as RawNumber;
}

/** The text of a payload number: a raw number's lexeme, a bigint's digits, else `String(n)`. */
export function numberLexeme(v: number | bigint | RawNumber): string {
  return typeof v === 'object' ? v.rawJSON : String(v);
}

/** The value a lexeme spells, as the v1 canonical form reads it: integers exact, others as the nearest double. */
export function lexemeValue(lexeme: string): number | bigint {
  if (/^-?\d+$/.test(lexeme)) {
    const n = Number(lexeme);
    return Number.isSafeInteger(n) ? (Object.is(n, -0) ? 0 : n) : BigInt(lexeme);
  }
  return Number(lexeme);
}

function keepLexeme(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  const src = context.source;
  if (/^-?\d+$/.test(src) && src !== '-0') return Number.isSafeInteger(value) ? value : BigInt(src);
  return String(value) === src ? value : rawNumber(src);
}

/**
 * The start of a number that `String(n)` might not print back as written: an exponent, a fraction
 * ending in 0, `-0`, 16 or more digits, or six leading fraction zeros. Only numbers after `:`, `,`
 * or `[` count, so base64 vectors never match.
 */
const MAYBE_LEXEME = /[:,[]\s*(?:-0(?![.\deE])|-?(?:\d+(?:\.\d+)?[eE]|\d+\.\d*0(?!\d)|(?:\d\.?){16}|0\.0{6}))/;
const CANDIDATES = new RegExp(MAYBE_LEXEME.source, 'g');
/** A whole number token, at a candidate's start. */
const NUMBER_AT = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** What follows a JSON number: whitespace, then `,`, `}`, `]` or the end. */
const NUMBER_END = /\s*(?:[,}\]]|$)/y;

/**
 * Whether JSON text may hold a number that `String(n)` would not print back as written, by its
 * first candidate (MAYBE_LEXEME) alone: cheap, for a whole answer or line before its payloads are
 * found. A Qdrant answer's vectors nearly always match.
 */
export function mayHoldLexemes(text: string): boolean {
  return MAYBE_LEXEME.test(text);
}

/**
 * Whether a payload's JSON text holds a number that parseJsonLexemes would keep as a RawNumber
 * (`-0`, or a non-integer whose default printing differs): each candidate (MAYBE_LEXEME) is read
 * as a whole token and printed. A 17-digit double that prints back as itself
 * (`0.6799999999999999`) does not count, nor does a candidate not followed by what follows a
 * number, which is inside a string (the `:00.000` of an ISO time); other matches inside strings
 * only cost a slower parse. It reads every candidate, so it is for a payload's text, not for an
 * answer full of vectors. Every payload of the whole job's shape matched the first test, and its
 * parse with the reviver took 7 % of a dry-run import's CPU (bench/RESULTS.md, session 11).
 */
export function holdsLexemes(text: string): boolean {
  CANDIDATES.lastIndex = 0;
  while (CANDIDATES.test(text)) {
    // The match ends inside the token; its start is after the delimiter and any whitespace.
    let i = CANDIDATES.lastIndex - 1;
    while (i > 0 && isNumberChar(text.charCodeAt(i - 1))) i--;
    NUMBER_AT.lastIndex = i;
    const token = NUMBER_AT.exec(text)?.[0];
    if (token === undefined) return true;
    NUMBER_END.lastIndex = NUMBER_AT.lastIndex;
    CANDIDATES.lastIndex = NUMBER_AT.lastIndex;
    if (!NUMBER_END.test(text)) continue;
    if (INTEGER.test(token) ? token === '-0' : String(Number(token)) !== token) return true;
  }
  return false;
}

const INTEGER = /^-?\d+$/;

/** `-`, `+`, `.`, a digit, `e` or `E`. */
function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

/** Parses JSON keeping every number whose text `String(n)` would not print (as RawNumber) and big integers (as bigint). */
export function parseJsonLexemes(text: string): unknown {
  const v = JSON.parse(text, keepLexeme as (k: string, v: unknown) => unknown);
  return flags(v) & NAMES ? parseNamed(text, keepLexeme) : v;
}

const STRUCTURE = /[{}[\]"]/g;

/**
 * The `[object index, start, end)` text spans of the object values of member `key` in the objects
 * found at `depth` (1 is the top-level value), the index counting those objects in text order. One
 * iterative scan over the structural characters, skipping strings, so any nesting depth is safe.
 * Qdrant answers use it to find each point's payload (src/adapters/qdrant/payload-lexemes.ts).
 */
export function memberSpans(text: string, depth: number, key: string): Array<[number, number, number]> {
  const spans: Array<[number, number, number]> = [];
  const re = new RegExp(STRUCTURE.source, 'g');
  let level = 0;
  let point = -1;
  let pending = -1;
  let start = -1;
  // test, not exec: exec makes a match array per character found (one character: lastIndex - 1).
  while (re.test(text)) {
    const i = re.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: its end is the next quote not escaped by an odd run of backslashes.
      const j = stringEnd(text, i);
      if (j < 0) return spans;
      if (level === depth && j - i === key.length + 1 && text.startsWith(key, i + 1)) {
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

/**
 * One archive record line: like parseJson, but the numbers of the record's `payload` member keep
 * their written form (every other member reads as parseJson reads it). Only the payload's text is
 * parsed again: a reviver recurses, and other members (unknown ones included) may nest deeper than
 * the stack allows, while the payload's depth is bounded by validation before records are handed on.
 */
export function parseRecordLine(line: string, maxDepth?: number): unknown {
  const rec = maxDepth === undefined ? parseJson(line) : parseJsonBounded(line, maxDepth);
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return rec;
  const r = rec as Record<string, unknown>;
  if (typeof r.payload !== 'object' || r.payload === null || !mayHoldLexemes(line)) return rec;
  // JSON.parse keeps the last of repeated members; so does this.
  const span = memberSpans(line, 1, 'payload').at(-1);
  if (!span) return rec;
  const text = line.slice(span[1], span[2]);
  if (holdsLexemes(text)) r.payload = parseJsonLexemes(text);
  return rec;
}
