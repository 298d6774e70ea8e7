/**
 * The `CYPHER name=value …` prefix that carries query parameters, and identifier quoting. Values
 * never enter query text any other way. FalkorDB parses parameter values as Cypher literals:
 * strings are double-quoted with `\` and `"` escaped (everything else, newlines included, is
 * taken as is); an integer literal is int64 and is written exactly; a double is written with
 * a `.` or an exponent so that 1.0 stays a double; map keys are backtick identifiers.
 */
import { MemarcError } from '../../errors.ts';

/** Marks a JS number as a Cypher double (a bare number is an integer). */
export class CypherDouble {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type ParamValue = null | boolean | string | number | bigint | CypherDouble | ParamValue[] | { [key: string]: ParamValue };

export function cypherPrefix(params: Record<string, ParamValue>): string {
  const names = Object.keys(params);
  if (names.length === 0) return '';
  let out = 'CYPHER';
  for (const n of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new TypeError(`parameter name ${JSON.stringify(n)} is not a plain identifier`);
    out += ' ' + n + '=' + literal(params[n]!);
  }
  return out + ' ';
}

/** The full query text: the parameter prefix, then the query. */
export function prepareQuery(cypher: string, params: Record<string, ParamValue>): string {
  return cypherPrefix(params) + cypher;
}

export function literal(v: ParamValue): string {
  if (typeof v !== 'object' || v === null || v instanceof CypherDouble) return scalarLiteral(v);
  const parts: string[] = [];
  putLiteral(parts, v);
  return parts.join('');
}

function scalarLiteral(v: Exclude<ParamValue, ParamValue[] | { [key: string]: ParamValue }> | CypherDouble): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return stringLiteral(v);
    case 'bigint':
      if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new MemarcError('STORE_ERROR', `integer ${v} does not fit FalkorDB's int64`);
      return v.toString();
    case 'number':
      if (!Number.isSafeInteger(v)) throw new TypeError(`integer parameter expected, got ${v} (wrap doubles in CypherDouble)`);
      return String(v);
  }
  return doubleLiteral(v.value);
}

/** Map keys as `\`name\`:`, made once per name: a batch's thousands of rows repeat a few names. */
const MEMBER_NAMES = new Map<string, string>();
const MEMBER_NAMES_MAX = 4096;

function memberName(k: string): string {
  let text = MEMBER_NAMES.get(k);
  if (text === undefined) {
    text = quoteIdent(k, 'property') + ':';
    if (MEMBER_NAMES.size < MEMBER_NAMES_MAX) MEMBER_NAMES.set(k, text);
  }
  return text;
}

/**
 * Appends a literal's pieces, joined once by `literal`: a batch's parameter is a list of
 * thousands of maps, and building each map's and list's text as its own string (with
 * Object.entries' pair arrays) was a seventh of all a graph import allocated.
 */
function putLiteral(parts: string[], v: ParamValue): void {
  if (typeof v !== 'object' || v === null || v instanceof CypherDouble) {
    parts.push(scalarLiteral(v));
    return;
  }
  if (Array.isArray(v)) {
    parts.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) parts.push(',');
      putLiteral(parts, v[i]!);
    }
    parts.push(']');
    return;
  }
  parts.push('{');
  let first = true;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (!first) parts.push(',');
    parts.push(memberName(k));
    putLiteral(parts, v[k]!);
    first = false;
  }
  parts.push('}');
}

export function stringLiteral(s: string): string {
  if (s.includes('\0')) throw new MemarcError('STORE_ERROR', 'FalkorDB cannot store a string containing a NUL character', { hint: 'remove NUL characters from the value' });
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

/** Shortest round-trip digits, always marked as a double. NaN and ±Infinity have no literal. */
export function doubleLiteral(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`no Cypher literal for ${x}`);
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.eE]/.test(s) ? s : s + '.0';
}

/**
 * A label, relationship type or property key as a backtick identifier. FalkorDB 4.16 reads the
 * text between backticks verbatim and has no escape for a backtick, so such a name cannot be
 * expressed in Cypher at all (and so cannot have been created through Cypher either).
 */
export function quoteIdent(name: string, what: 'label' | 'relationship type' | 'property'): string {
  checkIdent(name, what);
  return '`' + name + '`';
}

/** Refuses a name quoteIdent cannot write (without making the quoted text). */
export function checkIdent(name: string, what: 'label' | 'relationship type' | 'property'): void {
  if (name.length === 0) throw new MemarcError('STORE_ERROR', `FalkorDB cannot hold an empty ${what} name`);
  if (name.includes('`') || name.includes('\0')) {
    throw new MemarcError('STORE_ERROR', `the ${what} name ${JSON.stringify(name)} contains a backtick or NUL, which FalkorDB's Cypher cannot express`, {
      hint: `rename the ${what} in the source before the restore`,
    });
  }
}
