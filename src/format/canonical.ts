/**
 * Canonical JSON (spec/FORMAT.md, "Canonical form"): RFC 8785 (JCS) with one extension, integers
 * outside ±2^53 (bigint in memory) are written as their exact decimal digits. Object members are
 * sorted by UTF-16 code units, strings use JSON.stringify's escaping, numbers use ECMAScript's
 * shortest round-trip form. No whitespace.
 *
 * The text is emitted in pieces into a sink. Hashing writes the pieces' UTF-8 into a reused
 * 64 KiB buffer and hashes it from there (`canonicalHasher`), so no record's canonical text is
 * ever built as a string: built as one, it took a rope node per value (about 60 bytes each for a
 * record of a million small values) and a flat copy to hash.
 *
 * A plain number (not a RawNumber) prints the same under both number rules: it is held as a
 * number only when `String(n)` is its written text, so that text already says integer or float.
 */
import { createHash, hash as hashOnce, type Hash } from 'node:crypto';
import { isRawNumber, lexemeValue } from './json.ts';
import { NestingError } from './nesting.ts';
import type { Json } from './records.ts';

/**
 * Deepest nesting the emitter walks (it recurses once per level). Readers refuse deeper input
 * long before (nesting.ts); this guard turns any other deep value into a NestingError instead of
 * a stack overflow.
 */
export const MAX_CANONICAL_DEPTH = 1000;

interface Sink {
  put(piece: string): void;
  /** A string value or member name, quoted and escaped as JSON.stringify does. */
  str(value: string): void;
}

class StringSink implements Sink {
  s = '';
  put(piece: string): void {
    this.s += piece;
  }
  str(value: string): void {
    this.s += JSON.stringify(value);
  }
}

/**
 * Strings JSON.stringify writes as they are between quotes: no quote, backslash, control
 * character or surrogate (a lone surrogate is escaped; a pair is left to JSON.stringify too).
 */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** The hasher's bytes: emit runs synchronously and the hash copies what it is given, so one buffer serves every call. */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/**
 * SHA-256 of a text written in pieces (strings and canonical values), for a record's hash. The
 * UTF-8 goes into SCRATCH; a text that fits (every record but the largest) is hashed there in one
 * call, with no Hash object made; a longer one spills into a Hash as it goes. Joining the pieces
 * into a string first made a rope node per piece and then a flat copy of the text; with
 * JSON.stringify's copy of every string, that was a fifth of all a graph import allocated
 * (bench/RESULTS.md, session 8), and a Hash object per record another 4 % of a graph export
 * (session 9). One instance serves
 * the process: `begin()` to `digest()` runs synchronously, and resets whatever an earlier,
 * interrupted use (a NestingError) left.
 */
class CanonicalHasher implements Sink {
  private hash: Hash | null = null;
  private off = 0;
  begin(): this {
    this.hash = null;
    this.off = 0;
    return this;
  }
  put(piece: string): void {
    const n = piece.length;
    if (n <= 16 && n * 3 <= SCRATCH.length - this.off) {
      // Most pieces are a few characters (punctuation, member names, numbers): copied here, where
      // a call of Buffer.write costs more than the copy (about 14 against 31 ns a piece, a one-off measurement).
      let o = this.off;
      for (let i = 0; i < n; i++) {
        const c = piece.charCodeAt(i);
        if (c >= 0x80) {
          o += SCRATCH.write(piece.slice(i), o);
          break;
        }
        SCRATCH[o++] = c;
      }
      this.off = o;
      return;
    }
    // At most 3 bytes of UTF-8 per UTF-16 code unit.
    if (piece.length * 3 > SCRATCH.length - this.off) {
      this.spill();
      if (piece.length * 3 > SCRATCH.length) {
        this.hash!.update(piece);
        return;
      }
    }
    this.off += SCRATCH.write(piece, this.off);
  }
  str(value: string): this {
    if (PLAIN.test(value)) {
      this.put('"');
      this.put(value);
      this.put('"');
    } else {
      this.put(JSON.stringify(value));
    }
    return this;
  }
  /** Appends the canonical JSON of `value`. */
  value(value: Json | undefined, numbers: NumberRule = 'value'): this {
    emit(value, 0, this, numbers === 'form');
    return this;
  }
  text(piece: string): this {
    this.put(piece);
    return this;
  }
  /** Appends `b[from..to)` as lowercase hex digits (at most 32 KiB of bytes). */
  hexBytes(b: Uint8Array, from: number, to: number): this {
    if ((to - from) * 2 > SCRATCH.length - this.off) this.spill();
    let o = this.off;
    for (let i = from; i < to; i++) {
      const x = b[i]!;
      SCRATCH[o++] = HEX_DIGITS[x >> 4]!;
      SCRATCH[o++] = HEX_DIGITS[x & 15]!;
    }
    this.off = o;
    return this;
  }
  digest(): Buffer {
    if (this.hash === null) {
      const d = hashOnce('sha256', SCRATCH.subarray(0, this.off), 'buffer');
      this.off = 0;
      return d;
    }
    this.spill();
    const d = this.hash.digest();
    this.hash = null;
    return d;
  }
  private spill(): void {
    this.hash ??= createHash('sha256');
    if (this.off > 0) this.hash.update(SCRATCH.subarray(0, this.off));
    this.off = 0;
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef');
const HASHER = new CanonicalHasher();

/** The process's canonical hasher, reset: `canonicalHasher().text(prefix).value(v).digest()`. */
export function canonicalHasher(): CanonicalHasher {
  return HASHER.begin();
}

/**
 * How numbers kept in their written form (json.ts RawNumber) are canonicalised: `value` (format
 * version 1: the number they spell, so `1.0` is `1`) or `form` (version 2: integer and float
 * forms stay apart, so `1.0` is `1.0` and `-0.0` is `-0.0`; see canonicalNumberForm).
 */
export type NumberRule = 'value' | 'form';

export function canonicalJson(value: Json | undefined, numbers: NumberRule = 'value'): string {
  const sink = new StringSink();
  emit(value, 0, sink, numbers === 'form');
  return sink.s;
}

const INTEGER_TEXT = /^-?\d+$/;

/**
 * The canonical text of a number lexeme under format version 2 (spec/FORMAT.md 8.1): an integer
 * text (no fraction, no exponent) is its exact digits (`-0` is `0`); any other text is a float,
 * converted to the nearest double and written as ECMAScript writes it, with `.0` appended when
 * that has neither `.` nor `e` (so `1.00` and `1e0` are `1.0`, `-0.0` is `-0.0`, `1e21` is
 * `1e+21`). Integer and float forms can never print alike: only floats hold `.` or `e`.
 */
export function canonicalNumberForm(lexeme: string): string {
  if (INTEGER_TEXT.test(lexeme)) {
    const digits = lexeme.replace(/^(-?)0+(?=\d)/, '$1');
    return digits === '-0' ? '0' : digits;
  }
  const d = Number(lexeme);
  if (!Number.isFinite(d)) throw new RangeError(`canonical JSON cannot hold ${lexeme}`);
  if (Object.is(d, -0)) return '-0.0';
  const s = String(d);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Beyond this many names, Array.prototype.sort sorts them. */
const INSERTION_SORT_MAX = 32;

/**
 * Sorts distinct strings in place by UTF-16 code units, as `Array.prototype.sort()` does.
 * Array.prototype.sort allocates its own working state on every call, however short the array:
 * for a record's few member names that was a fifth of all that a graph import allocated
 * (bench/RESULTS.md, session 8). The strings are distinct, so an insertion sort's order is the
 * same; and they often come in order already, where it only compares each with the one before.
 */
function sortInPlace(names: string[]): string[] {
  const n = names.length;
  if (n > INSERTION_SORT_MAX) return names.sort();
  for (let i = 1; i < n; i++) {
    const k = names[i]!;
    if (names[i - 1]! < k) continue;
    let j = i - 1;
    while (j >= 0 && names[j]! > k) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = k;
  }
  return names;
}

/** An object's member names in canonical order: `Object.keys(o).sort()`, without sort's allocations. */
export function sortedKeys(o: object): string[] {
  return sortInPlace(Object.keys(o));
}

/**
 * Distinct strings in canonical order: the list itself when it is in order already (a node's one
 * label), else a sorted copy. The list is not changed.
 */
export function sortedStrings(list: readonly string[]): readonly string[] {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1]! < list[i]!)) return sortInPlace([...list]);
  return list;
}

/** Whether an object's own names come in canonical order, and it has no inherited enumerable ones. */
function namesInOrder(o: object): boolean {
  let prev: string | null = null;
  for (const k in o) {
    if (!Object.hasOwn(o, k) || (prev !== null && !(prev < k))) return false;
    prev = k;
  }
  return true;
}

/** Emits `"name":value` (after a comma unless first); false for an undefined value, which is left out. */
function member(o: { [k: string]: Json | undefined }, k: string, first: boolean, depth: number, out: Sink, form: boolean): boolean {
  const v = o[k];
  if (v === undefined) return false;
  if (!first) out.put(',');
  out.str(k);
  out.put(':');
  emit(v, depth + 1, out, form);
  return true;
}

function emit(value: Json | undefined, depth: number, out: Sink, form: boolean): void {
  switch (typeof value) {
    case 'string':
      out.str(value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`canonical JSON cannot hold ${value}`);
      out.put(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'bigint':
      out.put(value.toString());
      return;
    case 'boolean':
      out.put(value ? 'true' : 'false');
      return;
    case 'undefined':
      out.put('null');
      return;
    case 'object': {
      if (value === null) {
        out.put('null');
        return;
      }
      // A payload number kept in its written form (json.ts): the v1 form reads it as the number it spells.
      if (isRawNumber(value)) {
        if (form) out.put(canonicalNumberForm(value.rawJSON));
        else emit(lexemeValue(value.rawJSON), depth, out, false);
        return;
      }
      if (depth >= MAX_CANONICAL_DEPTH) throw new NestingError(MAX_CANONICAL_DEPTH);
      if (Array.isArray(value)) {
        out.put('[');
        for (let i = 0; i < value.length; i++) {
          if (i) out.put(',');
          emit(value[i], depth + 1, out, form);
        }
        out.put(']');
        return;
      }
      out.put('{');
      let first = true;
      // An object whose names are in canonical order already (most are) is walked with for-in,
      // which allocates nothing; Object.keys makes an array every time.
      if (namesInOrder(value)) {
        for (const k in value) if (member(value, k, first, depth, out, form)) first = false;
      } else {
        for (const k of sortedKeys(value)) if (member(value, k, first, depth, out, form)) first = false;
      }
      out.put('}');
      return;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
