/**
 * Exact doubles. A compact reply prints doubles with `%.15g`, which loses up to two digits
 * (0.1 + 0.2 comes back as 0.3), and no FalkorDB function prints more (`toString` and `toJSON`
 * are shorter or equal). So the export asks the server for each double property's significand
 * as an int64: m = x · 2^(60−e) with e = ⌊log2|x|⌋ (possibly off by one), exact because
 * multiplying by a power of two is exact and m keeps all 53 significant bits. The scaling is
 * done in two halves so that no factor overflows, subnormals included.
 *
 * Two forms:
 * - `exactColumn`: one integer column per property key known to hold doubles. Only m travels;
 *   the client recovers e from the 15-digit text (m / x is a power of two). This is the cheap
 *   path: FalkorDB evaluates an expression per row at a cost close to an extra column.
 * - `exactDoublesExpr`: `[[key, e, m], …]` for every double property of an entity, whatever
 *   its key. Several times dearer on the server (a comprehension over `keys()`), so it only
 *   serves follow-up queries, for pages holding a double under a key without a column.
 *
 * - `arrayColumn`: for a key holding arrays, one significand per element, nested arrays as
 *   nested lists, up to three levels (elements that are not doubles get int64's minimum).
 *   Doubles deeper than that keep the 15 digits of the compact text (the reader warns, naming
 *   the property).
 *
 * (FalkorDB evaluates every branch of a CASE, and both conditions of an AND, so expressions
 * must be type-safe for every value: the guard maps anything that is not a double to 0.0, for
 * which the column holds int64's minimum, as for NaN and infinities.)
 */
import { quoteIdent } from './params.ts';

const INV_LN2 = '1.4426950408889634';

/** The value the server gives a non-double, zero, NaN or infinity in an exact column. */
export const NO_EXACT = '-9223372036854775808';

const P = (x: string): string => `toInteger(floor(log(abs(${x})) * ${INV_LN2}))`;
const scaled = (x: string): string => `toInteger(${x} * 2.0^(30 - ${P(x)} / 2) * 2.0^(30 - ${P(x)} + ${P(x)} / 2))`;

/** `CASE … END`: the property as a double, or 0.0 when it is anything else (type-safe). */
export function exactGuard(x: string, key: string): string {
  const prop = `${x}.${quoteIdent(key, 'property')}`;
  return `CASE typeOf(${prop}) WHEN 'Float' THEN ${prop} ELSE 0.0 END`;
}

/** The int64 significand of a guarded double (the variable holding `exactGuard`'s value). */
export function exactColumn(guarded: string): string {
  return scaled(guarded);
}

/** Array levels whose doubles get exact values: the property's array and two nested levels. */
export const EXACT_ARRAY_DEPTH = 3;

/**
 * The int64 significands of an array property's elements, as a list of the array's shape:
 * a nested array (up to EXACT_ARRAY_DEPTH levels) gives a nested list, any other element its
 * significand (0.0 guard per element). Every branch is type-safe: lists are guarded to `[]`.
 */
export function arrayColumn(x: string, key: string): string {
  const level = (list: string, d: number): string => {
    const y = `y${d}`;
    const leaf = scaled(`(CASE typeOf(${y}) WHEN 'Float' THEN ${y} ELSE 0.0 END)`);
    const el = d < EXACT_ARRAY_DEPTH ? `CASE typeOf(${y}) WHEN 'List' THEN ${level(y, d + 1)} ELSE ${leaf} END` : leaf;
    return `[${y} IN (CASE typeOf(${list}) WHEN 'List' THEN ${list} ELSE [] END) | ${el}]`;
  };
  return level(`${x}.${quoteIdent(key, 'property')}`, 1);
}

/** True when a key can be named in a query (no backtick or NUL, see params.ts). */
export function columnable(key: string): boolean {
  return key.length > 0 && !key.includes('`') && !key.includes('\0');
}

/**
 * x from its int64 significand and the 15-digit approximation printed beside it. `approx` may
 * be ±Infinity when the text rounded past the largest double (1.79769313486232e+308).
 */
export function exactFrom(m: string | undefined, approx: number): number | null {
  if (m === undefined || m === NO_EXACT) return null;
  const x = fromSignificand(Number(m), approx);
  return agrees(x, approx) ? x : null;
}

/** Guard against a misread: the exact value must agree with the compact text to 15 digits. */
export function agrees(x: number, approx: number): boolean {
  if (Number.isFinite(approx)) return Math.abs(x - approx) <= Math.abs(approx) * 1e-14;
  // The text rounded past the largest double: x is one of the doubles that print that way.
  return Number.isFinite(x) && Math.sign(x) === Math.sign(approx) && Math.abs(x) > 1.79769313486231e308;
}

export function fromSignificand(m: number, approx: number): number {
  const a = Number.isFinite(approx) ? Math.abs(approx) : Number.MAX_VALUE;
  const k = Math.round(Math.log2(a) - Math.log2(Math.abs(m)));
  const h = Math.trunc(k / 2);
  return m * 2 ** h * 2 ** (k - h);
}

const E = (v: string): string => `toInteger(floor(log(abs(${v})) / log(2)))`;
const M = (v: string): string =>
  `toInteger(CASE WHEN ${E(v)} < 0 THEN ${v} * 2.0^600 * 2.0^(-540 - ${E(v)}) ELSE ${v} * 2.0^(60 - ${E(v)}) END)`;

/** A RETURN expression: `[[key, e, m], …]` for the finite non-zero double properties of `x`. */
export function exactDoublesExpr(x: string): string {
  const v = `${x}[k]`;
  return `[k IN keys(${x}) WHERE typeOf(${v}) = 'Float' AND ${v} <> 0.0 AND ${v} = ${v} AND abs(${v}) < 1.0/0.0 | [k, ${E(v)}, ${M(v)}]]`;
}

/** Rebuilds x from e and m (exactDoublesExpr). */
export function fromParts(e: number, m: bigint): number {
  const mant = Number(m); // exact: m has at most 53 significant bits
  return e < 0 ? mant * 2 ** (e - 60 + 600) * 2 ** -600 : mant * 2 ** (e - 60);
}
