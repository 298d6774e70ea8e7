/**
 * Structural checks of records as they are read (spec/FORMAT.md, "Records"). Returns a reason
 * string, or null when the record is valid. Kept hand-written and allocation-free: it runs on
 * every record of every shard; the JSON Schemas in spec/ say the same thing for other readers.
 */
import { isRawNumber } from './json.ts';
import { nestsDeeperThan } from './nesting.ts';
import type { RecordKind } from './records.ts';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const MAX_DEPTH = 64;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Room for the base64 texts decoded only to be counted; a longer one is decoded into a buffer of its own. */
const SCRATCH = Buffer.allocUnsafe(1 << 16);
const SCRATCH_CHARS = (SCRATCH.length / 3) * 4;

/** `=` characters ending a text of whole 4-character groups: 0, 1 or 2. */
function padding(s: string): number {
  return s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
}

/** Bytes a text of whole 4-character groups of base64 spells: 3 a group, less the padding. */
function base64Bytes(s: string): number {
  return (s.length / 4) * 3 - padding(s);
}

/**
 * Whether a text of whole 4-character groups holds nothing but base64 characters (`A–Z a–z 0–9 +
 * /`, or the URL alphabet's `- _`) and its final padding, by decoding it natively and counting the
 * bytes: Node's decoder makes 6 bits from each such character and nothing from any other (a quote,
 * a backslash, a control, whitespace, a non-ASCII character, an `=` not at the end), so the text
 * decodes to exactly 3/4 of its length less the padding only when every character before the
 * padding is one of them. About 200 ns for a 768-dim vector, without the two copies of decoding
 * and re-encoding (about 1,100 ns; a one-off measurement).
 */
export function base64Alphabet(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const bytes = s.length <= SCRATCH_CHARS ? SCRATCH.write(s, 0, 'base64') : Buffer.from(s, 'base64').length;
  return bytes === base64Bytes(s);
}

/** Values of the standard alphabet's characters by code, -1 for others. */
const B64_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) B64_VALUE[c.charCodeAt(0)] = i;

/**
 * Canonical base64 of whole float32 values, the text that encoding their bytes gives back: the
 * standard alphabet only (base64Alphabet, and no `-` or `_`), and zero bits in the last character
 * where padding follows (other bits there would digest differently from the same bytes written by
 * another writer).
 */
function f32b64(v: unknown): boolean {
  if (typeof v !== 'string' || !base64Alphabet(v) || base64Bytes(v) % 4 !== 0) return false;
  const pad = padding(v);
  if (v.indexOf('-') >= 0 || v.indexOf('_') >= 0) return false;
  if (pad === 0) return true;
  const last = B64_VALUE[v.charCodeAt(v.length - pad - 1)] ?? -1;
  return last >= 0 && (last & (pad === 1 ? 3 : 15)) === 0;
}

/** Number of float32 elements in a base64 vector, without decoding it (whole ones: a text that is not whole groups of them rounds down). */
export function f32Count(b64: string): number {
  return Math.floor(base64Bytes(b64) / 4);
}

/** Why a value is not a point id (an unsigned 64-bit integer or a hyphenated UUID), or null. */
export function pointIdProblem(id: unknown): string | null {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? null : 'id must be an unsigned 64-bit integer or a UUID';
  if (typeof id === 'bigint') return id >= 0n && id <= U64_MAX ? null : 'id is outside the unsigned 64-bit range';
  if (typeof id === 'string') return UUID.test(id) ? null : 'id string is not a UUID';
  return 'id must be an unsigned 64-bit integer or a UUID';
}

function vector(name: string, v: unknown): string | null {
  if (!isObj(v)) return `vector ${JSON.stringify(name)} must be an object`;
  const keys = Object.keys(v);
  if (keys.length !== 1) return `vector ${JSON.stringify(name)} must have exactly one of dense, sparse, multi`;
  if ('dense' in v) return f32b64(v.dense) ? null : `vector ${JSON.stringify(name)}: dense must be base64 of float32 values`;
  if ('multi' in v) {
    if (!Array.isArray(v.multi) || v.multi.length === 0) return `vector ${JSON.stringify(name)}: multi must be a non-empty array`;
    const dim = typeof v.multi[0] === 'string' ? f32Count(v.multi[0]) : -1;
    for (const m of v.multi) if (!f32b64(m) || f32Count(m as string) !== dim) return `vector ${JSON.stringify(name)}: multi must hold base64 float32 vectors of one length`;
    return null;
  }
  if ('sparse' in v) {
    const s = v.sparse;
    if (!isObj(s) || !Array.isArray(s.indices) || !f32b64(s.values)) return `vector ${JSON.stringify(name)}: sparse must be {indices, values}`;
    let prev = -1;
    for (const i of s.indices) {
      if (!Number.isInteger(i) || (i as number) < 0 || (i as number) > 0xffffffff) return `vector ${JSON.stringify(name)}: sparse indices must be unsigned 32-bit integers`;
      if ((i as number) <= prev) return `vector ${JSON.stringify(name)}: sparse indices must be strictly increasing`;
      prev = i as number;
    }
    if (f32Count(s.values as string) !== s.indices.length) return `vector ${JSON.stringify(name)}: sparse values and indices differ in length`;
    // Other members are kept and hashed (a later minor version's); bound how deep they nest.
    if (Object.keys(s).length > 2 && nestsDeeperThan(s, MAX_DEPTH)) return `vector ${JSON.stringify(name)}: sparse members are nested deeper than ${MAX_DEPTH}`;
    return null;
  }
  return `vector ${JSON.stringify(name)} must have exactly one of dense, sparse, multi`;
}

function nodeKey(k: unknown, what: string): string | null {
  if (typeof k === 'number') return Number.isSafeInteger(k) ? null : `${what} must be an integer or a string`;
  if (typeof k === 'bigint') return k >= I64_MIN && k <= I64_MAX ? null : `${what} is outside the signed 64-bit range`;
  if (typeof k === 'string') return null;
  return `${what} must be an integer or a string`;
}

const isInt64 = (x: unknown) => Number.isSafeInteger(x) || (typeof x === 'bigint' && x >= I64_MIN && x <= I64_MAX);

/** Plain JSON (payloads): finite numbers only, nesting bounded. */
function jsonProblem(v: unknown, depth: number): string | null {
  if (depth > MAX_DEPTH) return `values are nested deeper than ${MAX_DEPTH}`;
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? null : `${v} is not a JSON number`;
    case 'string':
    case 'boolean':
    case 'bigint':
      return null;
    case 'object': {
      if (v === null) return null;
      // A payload number kept in its written form (json.ts): `1e400` is one, and no JSON number.
      if (isRawNumber(v)) return Number.isFinite(Number(v.rawJSON)) ? null : `${v.rawJSON} is out of the range of a double`;
      if (Array.isArray(v)) {
        for (const x of v) {
          const r = jsonProblem(x, depth + 1);
          if (r) return r;
        }
        return null;
      }
      for (const k in v) {
        const r = jsonProblem((v as Record<string, unknown>)[k], depth + 1);
        if (r) return r;
      }
      return null;
    }
    default:
      return `a ${typeof v} is not JSON`;
  }
}

const TEMPORAL = ['datetime', 'date', 'time', 'duration'];

function typedValue(v: unknown, depth: number): string | null {
  if (depth > MAX_DEPTH) return `values are nested deeper than ${MAX_DEPTH}`;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isSafeInteger(v) ? null : 'a plain number must be an integer; write doubles as {"double": x}';
    case 'bigint':
      return v >= I64_MIN && v <= I64_MAX ? null : 'integer outside the signed 64-bit range';
  }
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = typedValue(x, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (!isObj(v)) return 'null is not a property value';
  const tag = onlyKey(v);
  if (tag === null) return 'a tagged value must have exactly one key';
  const x = v[tag];
  if (tag === 'double') return (typeof x === 'number' && Number.isFinite(x)) || typeof x === 'bigint' || x === 'NaN' || x === 'Infinity' || x === '-Infinity' || x === '-0' ? null : 'a double must be a finite number or "NaN", "Infinity", "-Infinity", "-0"';
  if (tag === 'vecf32') return f32b64(x) ? null : 'vecf32 must be base64 of float32 values';
  if (tag === 'point') {
    if (isObj(x) && x.crs !== undefined) return pointCrsProblem(x);
    if (!(isObj(x) && typeof x.latitude === 'number' && typeof x.longitude === 'number' && Math.abs(x.latitude) <= 90 && Math.abs(x.longitude) <= 180)) {
      return 'point must be {latitude, longitude} with latitude in [-90, 90] and longitude in [-180, 180]';
    }
    // Other members are kept and hashed; bound how deep they nest.
    return Object.keys(x).length > 2 && nestsDeeperThan(x, MAX_DEPTH) ? `values are nested deeper than ${MAX_DEPTH}` : null;
  }
  if (TEMPORAL.includes(tag)) return isInt64(x) ? null : `${tag} must be a signed 64-bit integer`;
  if (GRAPH_TAGS_2_1.has(tag)) return graphTag21Problem(tag, x);
  return `unknown value tag ${JSON.stringify(tag)}`;
}

/**
 * The one own enumerable member name of `v`, or null when it has none or several: what
 * `Object.keys(v)` would say, without making its array for every tagged value of every record.
 */
function onlyKey(v: object): string | null {
  let only: string | null = null;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (only !== null) return null;
    only = k;
  }
  return only;
}

// Typed values added for Neo4j (spec 6.5, "Tags of format 2.1"): byte arrays, nanosecond and
// zoned temporal values, ISO durations, and points in the four reference systems of Neo4j.
const GRAPH_TAGS_2_1 = new Set(['bytes', 'timestamp', 'timeofday', 'zoneddatetime', 'zonedtime', 'isoduration']);
const OFFSET = '(?:Z|[+-]\\d{2}:\\d{2}(?::\\d{2})?)';
const ZONED_DATETIME = new RegExp(`^-?\\d{4,}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?${OFFSET}(?:\\[[A-Za-z0-9_+\\-/]{1,64}\\])?$`);
const ZONED_TIME = new RegExp(`^\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?${OFFSET}$`);

function graphTag21Problem(tag: string, x: unknown): string | null {
  switch (tag) {
    case 'bytes':
      return typeof x === 'string' && Buffer.from(x, 'base64').toString('base64') === x ? null : 'bytes must be canonical base64';
    case 'timestamp':
      return typeof x === 'string' && TIMESTAMP.test(x) ? null : 'timestamp must be YYYY-MM-DDTHH:MM:SS[.fraction] without a zone';
    case 'timeofday':
      return typeof x === 'string' && TIME_OF_DAY.test(x) ? null : 'timeofday must be HH:MM:SS[.fraction]';
    case 'zoneddatetime':
      return typeof x === 'string' && ZONED_DATETIME.test(x) ? null : 'zoneddatetime must be YYYY-MM-DDTHH:MM:SS[.fraction] with Z or ±HH:MM[:SS], and an optional [zone id]';
    case 'zonedtime':
      return typeof x === 'string' && ZONED_TIME.test(x) ? null : 'zonedtime must be HH:MM:SS[.fraction] with Z or ±HH:MM[:SS]';
    default: // isoduration
      return isObj(x) && isInt64(x.months) && isInt64(x.days) && isInt64(x.seconds) && Number.isSafeInteger(x.nanos) && (x.nanos as number) >= 0 && (x.nanos as number) < 1e9 && Object.keys(x).length === 4
        ? null
        : 'isoduration must be {months, days, seconds, nanos}: 64-bit integers, nanos in [0, 999999999]';
  }
}

const CRS_MEMBERS: Record<string, string[]> = { 'wgs-84': ['latitude', 'longitude'], 'wgs-84-3d': ['latitude', 'longitude', 'height'], cartesian: ['x', 'y'], 'cartesian-3d': ['x', 'y', 'z'] };

function pointCrsProblem(x: Record<string, unknown>): string | null {
  const members = typeof x.crs === 'string' ? CRS_MEMBERS[x.crs] : undefined;
  if (!members) return `point crs must be one of ${Object.keys(CRS_MEMBERS).join(', ')}`;
  if (Object.keys(x).length !== members.length + 1 || !members.every((m) => typeof x[m] === 'number')) return `a ${String(x.crs)} point must be {crs, ${members.join(', ')}}, numbers`;
  if (members[0] === 'latitude' && !(Math.abs(x.latitude as number) <= 90 && Math.abs(x.longitude as number) <= 180)) return 'point latitude must be in [-90, 90] and longitude in [-180, 180]';
  return null;
}

const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const TIMESTAMP = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
const TIME_OF_DAY = /^\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
const TABLE_TAGS = new Set(['decimal', 'bytes', 'json', 'timestamp', 'timestamptz', 'timeofday', 'interval']);

/** A table cell (spec 6.6): null, a typed value of section 6.5, or one of the table tags. */
function cellValue(v: unknown, depth: number): string | null {
  if (v === null) return null;
  if (depth > MAX_DEPTH) return `values are nested deeper than ${MAX_DEPTH}`;
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = cellValue(x, depth + 1);
      if (r) return r;
    }
    return null;
  }
  if (isObj(v)) {
    const keys = Object.keys(v);
    const tag = keys[0];
    if (keys.length === 1 && tag !== undefined && TABLE_TAGS.has(tag)) {
      const x = v[tag];
      switch (tag) {
        case 'decimal':
          return typeof x === 'string' && DECIMAL.test(x) ? null : 'decimal must be a string of decimal digits with an optional sign and fraction';
        case 'bytes':
          return typeof x === 'string' && Buffer.from(x, 'base64').toString('base64') === x ? null : 'bytes must be canonical base64';
        case 'json':
          return jsonProblem(x, depth + 1);
        case 'timestamp':
          return typeof x === 'string' && TIMESTAMP.test(x) ? null : 'timestamp must be YYYY-MM-DDTHH:MM:SS[.fraction] without a zone';
        case 'timestamptz':
          return typeof x === 'string' && x.endsWith('Z') && TIMESTAMP.test(x.slice(0, -1)) ? null : 'timestamptz must be YYYY-MM-DDTHH:MM:SS[.fraction]Z, in UTC';
        case 'timeofday':
          return typeof x === 'string' && TIME_OF_DAY.test(x) ? null : 'timeofday must be HH:MM:SS[.fraction]';
        case 'interval':
          return isObj(x) && Number.isSafeInteger(x.months) && Number.isSafeInteger(x.days) && isInt64(x.micros) && Object.keys(x).length === 3 ? null : 'interval must be {months, days, micros}, integers';
      }
    }
  }
  return typedValue(v, depth);
}

function cells(r: Record<string, unknown>): string | null {
  if (!isObj(r.cells)) return 'cells must be an object';
  for (const k in r.cells) {
    const p = cellValue(r.cells[k], 0);
    if (p) return `column ${JSON.stringify(k)}: ${p}`;
  }
  return null;
}

function props(p: unknown): string | null {
  if (!isObj(p)) return 'props must be an object';
  for (const k in p) {
    const r = typedValue(p[k], 0);
    if (r) return `property ${JSON.stringify(k)}: ${r}`;
  }
  return null;
}

export function recordProblem(kind: RecordKind, r: unknown): string | null {
  if (!isObj(r)) return 'a record must be a JSON object';
  switch (kind) {
    case 'point': {
      const idp = pointIdProblem(r.id);
      if (idp) return idp;
      if (!isObj(r.vectors)) return 'vectors must be an object';
      for (const name in r.vectors) {
        const vp = vector(name, r.vectors[name]);
        if (vp) return vp;
      }
      if (r.payload !== null && !isObj(r.payload)) return 'payload must be an object or null';
      return jsonProblem(r.payload, 1);
    }
    case 'node': {
      const kp = nodeKey(r.key, 'key');
      if (kp) return kp;
      if (!Array.isArray(r.labels) || !r.labels.every((l) => typeof l === 'string' && l.length > 0)) return 'labels must be an array of non-empty strings';
      return props(r.props);
    }
    case 'edge': {
      if (typeof r.type !== 'string' || r.type.length === 0) return 'type must be a non-empty string';
      return nodeKey(r.src, 'src') ?? nodeKey(r.dst, 'dst') ?? props(r.props);
    }
    case 'row':
      return cells(r);
  }
}

/**
 * What the table schema asks of a row beyond its shape (spec 6.6): the cells are exactly the
 * schema's columns (SQL NULL is written as null, never left out), and no primary key cell is null.
 */
export function rowSchemaProblem(r: { cells: Record<string, unknown> }, columns: ReadonlySet<string>, primaryKey: readonly string[]): string | null {
  let n = 0;
  for (const k in r.cells) {
    if (!columns.has(k)) return `column ${JSON.stringify(k)} is not a column of the table's schema`;
    n++;
  }
  if (n !== columns.size) for (const c of columns) if (!Object.hasOwn(r.cells, c)) return `column ${JSON.stringify(c)} is missing (write null for SQL NULL)`;
  for (const c of primaryKey) if (r.cells[c] === undefined || r.cells[c] === null) return `primary key column ${JSON.stringify(c)} is missing or null`;
  return null;
}
