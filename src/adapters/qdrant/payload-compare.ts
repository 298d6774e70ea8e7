/**
 * Compares a read-back payload with the archive's (spec/FORMAT.md, section 15.3).
 *
 * Structure, keys (in any order), strings, booleans and nulls must be equal. A number must be
 * stored as exactly the number Qdrant makes of the archive's lexeme (server-numbers.ts): the same
 * kind (integer or float, so `1.0` stays a float and `1` an integer), the same value and the same
 * sign of zero, printed the way Qdrant prints it. Where Qdrant's parser gives another double than
 * the correctly rounded one (1 ulp off), the stored value is accepted and reported as a change;
 * any other difference is a mismatch.
 */
import { isRawNumber, numberLexeme, type RawNumber } from '../../format/json.ts';
import { exactNumber, sameNumber, serdeNumber, storedLexeme } from './server-numbers.ts';

/** A payload number the server stores as another value than the archive's. */
export interface NumberChange {
  /** JSON-pointer-like path inside the payload: `score`, `nested.a[2]`. */
  path: string;
  archive: string;
  stored: string;
}

export interface PayloadComparison {
  /** Why the payloads differ, or null when the stored payload is what the server makes of the archive's. */
  problem: string | null;
  changes: NumberChange[];
}

type Num = number | bigint | RawNumber;

function isNum(v: unknown): v is Num {
  return typeof v === 'number' || typeof v === 'bigint' || isRawNumber(v);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isRawNumber(v);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? k : `${path}.${k}`;
}

function describe(v: unknown): string {
  if (isNum(v)) return numberLexeme(v);
  if (v === undefined) return 'absent';
  if (isObj(v)) return 'an object';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return JSON.stringify(v);
}

function walk(a: unknown, b: unknown, path: string, changes: NumberChange[]): string | null {
  if (isNum(a)) {
    if (!isNum(b)) return `${path || 'payload'} is ${describe(b)}, the archive has ${describe(a)}`;
    const la = numberLexeme(a);
    const lb = numberLexeme(b);
    const expected = storedLexeme(la);
    if (expected === null || lb !== expected) {
      return `${path} is ${lb}, the archive has ${la}${expected !== null && expected !== la ? ` (which the server stores as ${expected})` : ''}`;
    }
    const stored = serdeNumber(la)!;
    if (!sameNumber(stored, exactNumber(la))) changes.push({ path, archive: la, stored: lb });
    return null;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return `${path || 'payload'} is ${describe(b)}, the archive has ${describe(a)}`;
    if (a.length !== b.length) return `${path} has ${b.length} elements, the archive ${a.length}`;
    for (let i = 0; i < a.length; i++) {
      const p = walk(a[i], b[i], join(path, i), changes);
      if (p) return p;
    }
    return null;
  }
  if (isObj(a)) {
    if (!isObj(b)) return `${path || 'payload'} is ${describe(b)}, the archive has ${describe(a)}`;
    for (const k in a) {
      if (!Object.hasOwn(b, k)) return `${join(path, k)} is absent, the archive has ${describe(a[k])}`;
      const p = walk(a[k], b[k], join(path, k), changes);
      if (p) return p;
    }
    for (const k in b) if (!Object.hasOwn(a, k)) return `${join(path, k)} is stored but not in the archive`;
    return null;
  }
  if (a !== b) return `${path || 'payload'} is ${describe(b)}, the archive has ${describe(a)}`;
  return null;
}

/** Compares the archive's payload with the stored one; `null` and `{}` are the same payload. */
export function comparePayload(archive: unknown, stored: unknown): PayloadComparison {
  const changes: NumberChange[] = [];
  const problem = walk(archive ?? {}, stored ?? {}, '', changes);
  return { problem, changes: problem ? [] : changes };
}

/**
 * What the server will make of a payload before it is sent: the numbers it will store as another
 * value, and the first one it will refuse (out of a double's range), for a dry run or `--verify count`.
 */
export function predictPayload(payload: unknown): { changes: NumberChange[]; refused: string | null } {
  const changes: NumberChange[] = [];
  let refused: string | null = null;
  const visit = (v: unknown, path: string): void => {
    if (refused) return;
    if (isNum(v)) {
      const lexeme = numberLexeme(v);
      const n = serdeNumber(lexeme);
      if (n === null) refused = `${path} is ${lexeme}, which Qdrant refuses (out of a double's range)`;
      else if (!sameNumber(n, exactNumber(lexeme))) changes.push({ path, archive: lexeme, stored: storedLexeme(lexeme)! });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, join(path, i)));
    } else if (isObj(v)) {
      for (const k in v) visit(v[k], join(path, k));
    }
  };
  visit(payload ?? {}, '');
  return { changes, refused };
}
