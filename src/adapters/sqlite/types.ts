/**
 * SQLite's types and memarc's cells (spec/FORMAT.md 4.5, 6.6, 15.5).
 *
 * SQLite types values, not columns: every value has one of five storage classes (NULL, INTEGER,
 * REAL, TEXT, BLOB), and a column's declared type only gives it an *affinity* that converts some
 * values on insert. So a cell is first written in the form of its storage class, which says
 * exactly what SQLite held: INTEGER a JSON integer, REAL `{"double"}`, TEXT a string, BLOB
 * `{"bytes"}`, NULL `null`. Re-inserting that value into a column of the same declared type
 * gives back the same storage class and bits (affinity conversion is idempotent), which is what
 * makes a restore into SQLite exact whatever the column's declared type says.
 *
 * Where the declared type names a neutral type that a plain storage class does not spell
 * (BOOLEAN, DATE, DATETIME, JSON, …), a value in the one form that type uses in SQLite is written
 * in the neutral form instead (`1` → `true`, `'2026-03-01'` → `{"date": 20513}`), and only when
 * the conversion back gives the very same value. Every other value keeps its storage-class form
 * and is a *mismatch*: it restores exactly into SQLite, but a store with a typed column of that
 * neutral type cannot take it, and the export warns naming table, column and row.
 */
import { MemarcError } from '../../errors.ts';
import { parseJson, stringifyJson } from '../../format/json.ts';
import { typedDouble, type CellValue, type JsonObject } from '../../format/records.ts';

export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** The affinity of a declared type (sqlite.org/datatype3.html, section 3.1), in its order. */
export function affinityOf(declared: string, strict = false): Affinity {
  const t = declared.toUpperCase();
  if (strict && t === 'ANY') return 'BLOB';
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/** The neutral type a column's cells are written as (spec/FORMAT.md 4.5). */
export type NeutralType = 'bool' | 'int64' | 'float64' | 'decimal' | 'text' | 'bytes' | 'uuid' | 'json' | 'date' | 'timeofday' | 'timestamp' | 'timestamptz' | 'vector';

export interface ColumnRule {
  type: NeutralType;
  /** decimal(p, s) */
  precision?: number;
  scale?: number;
  /** vector(n) */
  dimension?: number;
}

/** The first word of a declared type and its parenthesised numbers: `NUMERIC(12, 2)` → NUMERIC, [12, 2]. */
function words(declared: string): { word: string; args: number[] } {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?/.exec(declared);
  const word = (m?.[1] ?? '').toUpperCase();
  const args = (m?.[2] ?? '').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n >= 0);
  return { word, args };
}

/** The neutral column type of a declared type (spec/FORMAT.md 15.5 has the table). */
export function ruleOf(declared: string, strict = false): ColumnRule {
  const aff = affinityOf(declared, strict);
  const { word, args } = words(declared);
  if (word === 'F32_BLOB' || word === 'VECTOR') return args[0] ? { type: 'vector', dimension: args[0] } : { type: 'bytes' };
  switch (aff) {
    case 'INTEGER': return { type: 'int64' };
    case 'TEXT': return { type: 'text' };
    case 'BLOB': return { type: 'bytes' };
    case 'REAL': return { type: 'float64' };
    case 'NUMERIC':
      switch (word) {
        case 'BOOLEAN': case 'BOOL': return { type: 'bool' };
        case 'DATE': return { type: 'date' };
        case 'DATETIME': case 'TIMESTAMP': return { type: 'timestamp' };
        case 'TIMESTAMPTZ': return { type: 'timestamptz' };
        case 'TIME': return { type: 'timeofday' };
        case 'JSON': case 'JSONB': return { type: 'json' };
        case 'UUID': return { type: 'uuid' };
        default:
          return args.length === 2 ? { type: 'decimal', precision: args[0]!, scale: args[1]! } : args.length === 1 ? { type: 'decimal', precision: args[0]!, scale: 0 } : { type: 'decimal' };
      }
  }
}

/** What node:sqlite returns with setReadBigInts(true). */
export type SqliteValue = null | bigint | number | string | Uint8Array;

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TS_RE = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;
const TSTZ_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;
const TIME_RE = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Days since 1970-01-01 of a valid `YYYY-MM-DD`, else null. */
function daysOf(text: string): number | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms);
  if (back.getUTCFullYear() !== Number(m[1]) || back.getUTCMonth() !== Number(m[2]) - 1 || back.getUTCDate() !== Number(m[3])) return null;
  return ms / DAY_MS;
}

/** `YYYY-MM-DD` of a day number (years 0000–9999 only, else null). */
function dateText(days: number): string | null {
  const d = new Date(days * DAY_MS);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || y < 0 || y > 9999) return null;
  return `${String(y).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

function validClock(h: string, m: string, s: string): boolean {
  return Number(h) <= 23 && Number(m) <= 59 && Number(s) <= 59;
}

/** The cell of a value in the form of its storage class. */
export function storageCell(v: SqliteValue): CellValue {
  if (v === null) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'number') return typedDouble(v);
  if (typeof v === 'string') return v;
  return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
}

/**
 * The cell of a value of a column: the neutral form where the rule's conversion gives the value
 * back exactly, else the storage-class form and `mismatch: true`.
 */
export function cellOf(v: SqliteValue, rule: ColumnRule): { cell: CellValue; mismatch: boolean } {
  if (v === null) return { cell: null, mismatch: false };
  switch (rule.type) {
    case 'int64':
      if (typeof v === 'bigint') return { cell: storageCell(v), mismatch: false };
      break;
    case 'float64':
      if (typeof v === 'number') return { cell: storageCell(v), mismatch: false };
      break;
    case 'text':
      if (typeof v === 'string') return { cell: v, mismatch: false };
      break;
    case 'bytes':
      if (v instanceof Uint8Array) return { cell: storageCell(v), mismatch: false };
      break;
    case 'bool':
      if (v === 0n || v === 1n) return { cell: v === 1n, mismatch: false };
      break;
    case 'decimal':
      // NUMERIC affinity keeps integers as INTEGER; their digits are the exact decimal.
      if (typeof v === 'bigint') return { cell: { decimal: v.toString() }, mismatch: false };
      break;
    case 'uuid':
      if (typeof v === 'string' && UUID_RE.test(v)) return { cell: v, mismatch: false };
      break;
    case 'date':
      if (typeof v === 'string') {
        const days = daysOf(v);
        if (days !== null && dateText(days) === v) return { cell: { date: days }, mismatch: false };
      }
      break;
    case 'timestamp':
      if (typeof v === 'string') {
        const m = TS_RE.exec(v);
        if (m && daysOf(m[1]!) !== null && validClock(m[2]!, m[3]!, m[4]!)) return { cell: { timestamp: v.replace(' ', 'T') }, mismatch: false };
      }
      break;
    case 'timestamptz':
      if (typeof v === 'string') {
        const m = TSTZ_RE.exec(v);
        if (m && daysOf(m[1]!) !== null && validClock(m[2]!, m[3]!, m[4]!)) return { cell: { timestamptz: v }, mismatch: false };
      }
      break;
    case 'timeofday':
      if (typeof v === 'string') {
        const m = TIME_RE.exec(v);
        if (m && validClock(m[1]!, m[2]!, m[3]!)) return { cell: { timeofday: v }, mismatch: false };
      }
      break;
    case 'json':
      if (typeof v === 'string') {
        try {
          const doc = parseJson(v);
          // Only a text in the one spelling the conversion back writes: compact, as JSON.stringify prints.
          if (stringifyJson(doc) === v) return { cell: { json: doc as never }, mismatch: false };
        } catch {
          // not JSON: a mismatch
        }
      }
      break;
    case 'vector':
      if (v instanceof Uint8Array && v.byteLength === 4 * (rule.dimension ?? 0)) return { cell: { vecf32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }, mismatch: false };
      break;
  }
  return { cell: storageCell(v), mismatch: true };
}

/** A value node:sqlite can bind. */
export type BindValue = null | bigint | number | string | Uint8Array;

/**
 * The SQLite value a cell is written as (the inverse of cellOf for cells it wrote; for cells of
 * other stores, the conversion of spec/FORMAT.md 15.5). Throws a MemarcError naming `where`
 * for a value SQLite cannot hold.
 */
export function bindOf(cell: CellValue, where: () => string): BindValue {
  if (cell === null) return null;
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'boolean') return cell ? 1n : 0n;
  // Integers are bound as bigint: a JS number would be bound as REAL.
  if (typeof cell === 'number') {
    if (!Number.isInteger(cell)) throw refuse(`the plain number ${cell} is not an integer`, where);
    return BigInt(cell);
  }
  if (typeof cell === 'bigint') {
    if (cell > 9223372036854775807n || cell < -9223372036854775808n) throw refuse(`the integer ${cell} is outside SQLite's 64-bit range`, where);
    return cell;
  }
  if (Array.isArray(cell)) return stringifyJson(cell); // approximate: read back as JSON text (15.5)
  const [tag, value] = Object.entries(cell)[0] as [string, unknown];
  switch (tag) {
    case 'double': {
      if (value === 'NaN') throw refuse('NaN cannot be stored (SQLite stores NULL)', where);
      return value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value === '-0' ? -0 : (value as number);
    }
    case 'bytes':
      return Buffer.from(value as string, 'base64');
    case 'vecf32':
      return Buffer.from(value as string, 'base64');
    case 'decimal': {
      const d = value as string;
      // Integers of SQLite's range are bound as INTEGER (exact); others as text, which NUMERIC
      // affinity turns into INTEGER or REAL as SQLite would have on the original insert.
      if (/^-?\d+$/.test(d)) {
        const n = BigInt(d);
        if (n <= 9223372036854775807n && n >= -9223372036854775808n) return n;
      }
      return d;
    }
    case 'date': {
      const t = dateText(Number(value));
      if (t === null) throw refuse(`the date ${String(value)} is outside the years 0000 to 9999`, where);
      return t;
    }
    case 'timestamp':
      return (value as string).replace('T', ' ');
    case 'timestamptz':
    case 'timeofday':
      return value as string;
    case 'json':
      return stringifyJson(value);
    default:
      throw refuse(`a ${tag} value has no SQLite form`, where);
  }
}

function refuse(what: string, where: () => string): MemarcError {
  return new MemarcError('MALFORMED_RECORD', `${where()}: ${what}`, { hint: 'SQLite cannot hold this value; restore this dataset into a store that can, or leave the table out' });
}

/** The declared type a conversion creates for a neutral column (spec/FORMAT.md 15.5), with what it approximates. */
export function declaredFor(col: JsonObject): { declared: string; note?: string } | { refused: string } {
  const type = col.type as string;
  switch (type) {
    case 'bool': return { declared: 'BOOLEAN' };
    case 'int16': case 'int32': return { declared: 'INTEGER', note: `${type} widens to int64` };
    case 'int64': return { declared: 'INTEGER' };
    case 'float32': return { declared: 'REAL', note: 'float32 widens to float64 (values exact)' };
    case 'float64': return { declared: 'REAL' };
    case 'decimal': {
      const p = col.precision, s = col.scale;
      return { declared: typeof p === 'number' ? `NUMERIC(${p},${typeof s === 'number' ? s : 0})` : 'NUMERIC', note: 'decimal keeps integers of 64 bits exactly; other values become 8-byte REAL (trailing zeros and digits beyond 15-17 are lost)' };
    }
    case 'text': return typeof col.length === 'number' ? { declared: 'TEXT', note: `the maximum length ${col.length} is not enforced` } : { declared: 'TEXT' };
    case 'bytes': return { declared: 'BLOB' };
    case 'uuid': return { declared: 'UUID' };
    case 'json': return { declared: 'JSON', note: 'json is kept as compact text' };
    case 'date': return { declared: 'DATE' };
    case 'timeofday': return { declared: 'TIME' };
    case 'timestamp': return { declared: 'DATETIME' };
    case 'timestamptz': return { declared: 'TIMESTAMPTZ' };
    case 'vector': return typeof col.dimension === 'number' ? { declared: `F32_BLOB(${col.dimension})` } : { declared: 'BLOB', note: 'a vector without a dimension becomes bytes' };
    case 'array': return { declared: 'JSON', note: 'an array is kept as JSON text and exports again as json' };
    default: return { refused: `the neutral type ${JSON.stringify(type)} has no SQLite form` };
  }
}
