/**
 * Cells in binary COPY form (the bytes of each type's send/recv functions) to and from the
 * archive's cell values (spec/FORMAT.md 6.6), exactly:
 *
 * - int2/int4/int8: JSON integers (bigint beyond 2^53); float4/float8: `{"double"}` with NaN,
 *   ±Infinity and −0 kept; numeric: `{"decimal"}` text with the value's own scale;
 * - text, varchar, char, enums: strings; bytea: `{"bytes"}`; uuid: lowercase text;
 * - json/jsonb: `{"json"}`, integers exact, other numbers as doubles (refused when a double
 *   cannot hold one exactly);
 * - date (days since 1970), time, timestamp, timestamptz (microseconds), interval;
 * - pgvector `vector` and `halfvec`: `{"vecf32"}` (every float16 is a float32);
 *   `sparsevec`: `{"json": {"dimension", "indices" (0-based), "values" (float32 base64)}}`;
 * - one-based arrays of any of these, nested as the array's dimensions.
 *
 * A value the archive cannot hold (numeric NaN or ±Infinity, an infinite date or timestamp, an
 * array whose lower bound is not 1) throws CellError, which the source turns into an error naming
 * table, column and row.
 */
import { isRawNumber, parseJsonLexemes, setMember, stringifyJson } from '../../format/json.ts';
import { decodeF32, encodeF32, typedDouble, untypedDouble, type CellValue, type Json } from '../../format/records.ts';

/** A column's type as the catalog gives it (catalog.ts). */
export interface PgType {
  /** pg_type.typname (`int8`, `vector`, `_text` for text[]). */
  name: string;
  oid: number;
  /** pg_type.typtype: `b` base, `e` enum, `d` domain, … */
  typtype: string;
  /** The element type of an array type. */
  elem?: PgType;
}

export class CellError extends Error {}

export interface Codec {
  decode(b: Buffer): CellValue;
  encode(v: CellValue): Buffer;
}

/** Microseconds from 1970-01-01 to 2000-01-01, Postgres's epoch. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;
const PG_EPOCH_DAYS = 10_957;
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

function int(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function asBigInt(v: CellValue, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new CellError(`${what} expects an integer, got ${describe(v)}`);
}

function describe(v: CellValue): string {
  const s = stringifyJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function tagged<T>(v: CellValue, tag: string): T {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && tag in v) return (v as unknown as Record<string, T>)[tag]!;
  throw new CellError(`expects a {"${tag}": …} value, got ${describe(v)}`);
}

// ---- numeric -------------------------------------------------------------------------------

function decodeNumeric(b: Buffer): CellValue {
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const dscale = b.readInt16BE(6);
  if (sign === 0xc000) throw new CellError('numeric NaN has no form in the archive');
  if (sign === 0xd000 || sign === 0xf000) throw new CellError('numeric ±Infinity has no form in the archive');
  const d = (i: number) => (i >= 0 && i < ndigits ? b.readInt16BE(8 + 2 * i) : 0);
  let intPart = '';
  if (weight < 0) intPart = '0';
  else for (let i = 0; i <= weight; i++) intPart += i === 0 ? String(d(i)) : String(d(i)).padStart(4, '0');
  let frac = '';
  for (let i = weight + 1; frac.length < dscale; i++) frac += String(d(i)).padStart(4, '0');
  frac = frac.slice(0, dscale);
  const neg = sign === 0x4000 && /[1-9]/.test(intPart + frac);
  return { decimal: `${neg ? '-' : ''}${intPart}${frac ? `.${frac}` : ''}` };
}

const DECIMAL = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/;

function encodeNumeric(v: CellValue): Buffer {
  const text = tagged<string>(v, 'decimal');
  const m = typeof text === 'string' ? DECIMAL.exec(text) : null;
  if (!m) throw new CellError(`not a decimal: ${describe(v)}`);
  const [, minus, ip, fp = ''] = m as unknown as [string, string, string, string | undefined];
  const dscale = fp.length;
  const intPadded = ip.padStart(Math.ceil(ip.length / 4) * 4, '0');
  const fracPadded = fp.padEnd(Math.ceil(fp.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  const intGroups = groups.length;
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  let weight = intGroups - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  const digits = groups.slice(start, end);
  if (digits.length === 0) weight = 0;
  const b = Buffer.alloc(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(minus && digits.length > 0 ? 0x4000 : 0, 4);
  b.writeInt16BE(dscale, 6);
  digits.forEach((g, i) => b.writeInt16BE(g, 8 + 2 * i));
  return b;
}

// ---- dates and times -------------------------------------------------------------------------

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function year(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

/** Microseconds since 1970 to `YYYY-MM-DDTHH:MM:SS[.ffffff]` (proleptic Gregorian, year 0 = 1 BC). */
function isoMicros(total: bigint): string {
  const micros = ((total % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const seconds = (total - micros) / 1_000_000n;
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new CellError('timestamp outside the range the archive can write');
  const d = new Date(ms);
  const frac = micros === 0n ? '' : `.${pad(Number(micros), 6).replace(/0+$/, '')}`;
  return `${year(d.getUTCFullYear())}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac}`;
}

const ISO = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function fractionMicros(f: string | undefined): bigint {
  if (!f) return 0n;
  if (f.length > 6 && /[1-9]/.test(f.slice(6))) throw new CellError(`Postgres keeps microseconds; the fraction .${f} would be rounded`);
  return BigInt(f.slice(0, 6).padEnd(6, '0'));
}

function parseIsoMicros(text: string): bigint {
  const m = ISO.exec(text);
  if (!m) throw new CellError(`not a timestamp: ${JSON.stringify(text)}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  if (Number.isNaN(d.getTime())) throw new CellError(`not a timestamp: ${JSON.stringify(text)}`);
  return BigInt(d.getTime()) * 1000n + fractionMicros(m[7]);
}

function decodeTimestamp(b: Buffer): string {
  const v = b.readBigInt64BE(0);
  if (v === INT64_MAX || v === INT64_MIN) throw new CellError('timestamp ±infinity has no form in the archive');
  return isoMicros(v + PG_EPOCH_MICROS);
}

function encodeTimestamp(text: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(parseIsoMicros(text) - PG_EPOCH_MICROS);
  return b;
}

function timeText(micros: bigint): string {
  const us = Number(micros % 1_000_000n);
  const s = Number(micros / 1_000_000n);
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}${us ? `.${pad(us, 6).replace(/0+$/, '')}` : ''}`;
}

const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function parseTime(text: string): bigint {
  const m = TIME.exec(text);
  if (!m) throw new CellError(`not a time of day: ${JSON.stringify(text)}`);
  return (BigInt(m[1]!) * 3600n + BigInt(m[2]!) * 60n + BigInt(m[3]!)) * 1_000_000n + fractionMicros(m[4]);
}

// ---- pgvector --------------------------------------------------------------------------------

/** pgvector `vector`: int16 dim, int16 unused, dim float4, big-endian. */
function decodeVector(b: Buffer): CellValue {
  const dim = b.readUInt16BE(0);
  const body = Buffer.from(b.subarray(4, 4 + 4 * dim));
  body.swap32();
  return { vecf32: body.toString('base64') };
}

function encodeVector(v: CellValue): Buffer {
  const body = Buffer.from(tagged<string>(v, 'vecf32'), 'base64');
  if (body.length % 4 !== 0) throw new CellError('vecf32 byte length is not a multiple of 4');
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt16BE(body.length / 4, 0);
  body.copy(b, 4);
  b.subarray(4).swap32();
  return b;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits to float16 bits, refusing any value float16 cannot hold exactly. */
function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  let h: number;
  if (exp === 0xff) h = sign | 0x7c00 | (mant ? 0x200 : 0);
  else if (exp === 0 && mant === 0) h = sign;
  else {
    const e = exp - 127 + 15;
    if (e >= 31) throw new CellError(`${x} does not fit a halfvec component`);
    if (e <= 0) {
      const shift = 14 - e;
      if (shift > 24 || (mant | 0x800000) % 2 ** shift !== 0) throw new CellError(`${x} is not exactly a float16 value`);
      h = sign | ((mant | 0x800000) / 2 ** shift);
    } else {
      if (mant & 0x1fff) throw new CellError(`${x} is not exactly a float16 value`);
      h = sign | (e << 10) | (mant >>> 13);
    }
  }
  return h;
}

/** pgvector `halfvec`: int16 dim, int16 unused, dim float2, big-endian. */
function decodeHalfvec(b: Buffer): CellValue {
  const dim = b.readUInt16BE(0);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = halfToFloat(b.readUInt16BE(4 + 2 * i));
  return { vecf32: encodeF32(out) };
}

function encodeHalfvec(v: CellValue): Buffer {
  const values = decodeF32(tagged<string>(v, 'vecf32'));
  const b = Buffer.alloc(4 + 2 * values.length);
  b.writeUInt16BE(values.length, 0);
  values.forEach((x, i) => b.writeUInt16BE(floatToHalf(x), 4 + 2 * i));
  return b;
}

/** pgvector `sparsevec`: int32 dim, int32 nnz, int32 unused, nnz int32 indices (0-based), nnz float4. */
function decodeSparsevec(b: Buffer): CellValue {
  const dim = b.readInt32BE(0);
  const nnz = b.readInt32BE(4);
  const indices: number[] = [];
  for (let i = 0; i < nnz; i++) indices.push(b.readInt32BE(12 + 4 * i));
  const values = Buffer.from(b.subarray(12 + 4 * nnz, 12 + 8 * nnz));
  values.swap32();
  return { json: { dimension: dim, indices, values: values.toString('base64') } };
}

function encodeSparsevec(v: CellValue): Buffer {
  const j = tagged<Json>(v, 'json') as { dimension?: unknown; indices?: unknown; values?: unknown };
  if (typeof j !== 'object' || j === null || !Number.isInteger(j.dimension) || !Array.isArray(j.indices) || typeof j.values !== 'string') {
    throw new CellError('a sparsevec cell is {"json": {"dimension", "indices", "values"}}');
  }
  const values = Buffer.from(j.values, 'base64');
  const nnz = j.indices.length;
  if (values.length !== 4 * nnz) throw new CellError('a sparsevec cell has as many values as indices');
  const b = Buffer.alloc(12 + 8 * nnz);
  b.writeInt32BE(j.dimension as number, 0);
  b.writeInt32BE(nnz, 4);
  j.indices.forEach((x, i) => b.writeInt32BE(x as number, 12 + 4 * i));
  values.copy(b, 12 + 4 * nnz);
  b.subarray(12 + 4 * nnz).swap32();
  return b;
}

// ---- arrays ----------------------------------------------------------------------------------

function arrayCodec(elem: PgType, inner: Codec): Codec {
  return {
    decode(b) {
      const ndim = b.readInt32BE(0);
      if (ndim === 0) return [];
      const dims: number[] = [];
      for (let i = 0; i < ndim; i++) {
        dims.push(b.readInt32BE(12 + 8 * i));
        if (b.readInt32BE(16 + 8 * i) !== 1) throw new CellError('an array whose lower bound is not 1 has no form in the archive');
      }
      let at = 12 + 8 * ndim;
      const next = (): CellValue => {
        const len = b.readInt32BE(at);
        at += 4;
        if (len === -1) return null;
        const v = inner.decode(b.subarray(at, at + len));
        at += len;
        return v;
      };
      const build = (level: number): CellValue[] => Array.from({ length: dims[level]! }, () => (level === ndim - 1 ? next() : build(level + 1)));
      return build(0);
    },
    encode(v) {
      if (!Array.isArray(v)) throw new CellError(`expects an array, got ${describe(v)}`);
      const dims: number[] = [];
      for (let x: CellValue = v; Array.isArray(x); x = x[0] ?? null) {
        dims.push(x.length);
        if (x.length === 0) break;
      }
      if (dims[0] === 0) {
        const empty = Buffer.alloc(12); // no dimensions, no nulls, the element type
        empty.writeUInt32BE(elem.oid, 8);
        return empty;
      }
      const parts: Buffer[] = [];
      let hasNull = 0;
      const walk = (x: CellValue, level: number): void => {
        if (level < dims.length) {
          if (!Array.isArray(x) || x.length !== dims[level]) throw new CellError('a multidimensional array must be rectangular');
          for (const y of x) walk(y, level + 1);
          return;
        }
        if (x === null) {
          hasNull = 1;
          const n = Buffer.alloc(4);
          n.writeInt32BE(-1);
          parts.push(n);
          return;
        }
        const body = inner.encode(x);
        const len = Buffer.alloc(4);
        len.writeInt32BE(body.length);
        parts.push(len, body);
      };
      walk(v, 0);
      const head = Buffer.alloc(12 + 8 * dims.length);
      head.writeInt32BE(dims.length, 0);
      head.writeInt32BE(hasNull, 4);
      head.writeUInt32BE(elem.oid, 8);
      dims.forEach((d, i) => {
        head.writeInt32BE(d, 12 + 8 * i);
        head.writeInt32BE(1, 16 + 8 * i);
      });
      return Buffer.concat([head, ...parts]);
    },
  };
}

// ---- the table of types ----------------------------------------------------------------------

function fixed(size: number, read: (b: Buffer) => CellValue, write: (b: Buffer, v: CellValue) => void): Codec {
  return {
    decode: read,
    encode(v) {
      const b = Buffer.alloc(size);
      write(b, v);
      return b;
    },
  };
}

function intCodec(size: 2 | 4 | 8): Codec {
  const [min, max] = size === 2 ? [-32768n, 32767n] : size === 4 ? [-2147483648n, 2147483647n] : [INT64_MIN, INT64_MAX];
  return fixed(size, (b) => (size === 2 ? b.readInt16BE(0) : size === 4 ? b.readInt32BE(0) : int(b.readBigInt64BE(0))), (b, v) => {
    const n = asBigInt(v, `int${size * 8}`);
    if (n < min || n > max) throw new CellError(`${n} does not fit int${size * 8}`);
    if (size === 8) b.writeBigInt64BE(n);
    else if (size === 4) b.writeInt32BE(Number(n));
    else b.writeInt16BE(Number(n));
  });
}

function doubleOf(v: CellValue): number {
  return untypedDouble(tagged<number | string>(v, 'double'));
}

const text: Codec = {
  decode: (b) => b.toString('utf8'),
  encode(v) {
    if (typeof v !== 'string') throw new CellError(`expects a string, got ${describe(v)}`);
    return Buffer.from(v, 'utf8');
  },
};

/** A decimal lexeme reduced to sign, significant digits and exponent, to compare values exactly. */
function decimalValue(lexeme: string): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(lexeme);
  if (!m) return lexeme;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  const sig = digits.slice(lead).replace(/0+$/, '');
  if (sig === '') return '0';
  const exp = Number(m[4] ?? 0) + m[2]!.length - lead;
  return `${m[1]}${sig}e${exp}`;
}

/**
 * The numbers of a json/jsonb document as the archive keeps them in format 2.0: integers exactly,
 * every other number as the double it spells (spec/FORMAT.md 8.1; jsonb compares numbers by value,
 * so `1.0` and `1` are the same jsonb). A number a double cannot hold exactly (more than 17
 * significant digits, beyond the double range) would change: refused.
 */
function plainNumbers(v: unknown): Json {
  if (isRawNumber(v)) {
    const lexeme = (v as unknown as { rawJSON: string }).rawJSON;
    const n = Number(lexeme);
    if (!Number.isFinite(n) || decimalValue(lexeme) !== decimalValue(String(n))) throw new CellError(`the JSON number ${lexeme} has no exact double; the archive keeps JSON numbers as doubles`);
    return n;
  }
  if (Array.isArray(v)) return v.map(plainNumbers);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) setMember(out, k, plainNumbers(x));
    return out;
  }
  return v as Json;
}

function jsonText(v: CellValue): string {
  const j = tagged<Json>(v, 'json');
  return isRawNumber(j) ? (j as unknown as { rawJSON: string }).rawJSON : stringifyJson(j);
}

const BASE: Record<string, Codec> = {
  bool: fixed(1, (b) => b[0] !== 0, (b, v) => {
    if (typeof v !== 'boolean') throw new CellError(`expects a boolean, got ${describe(v)}`);
    b[0] = v ? 1 : 0;
  }),
  int2: intCodec(2),
  int4: intCodec(4),
  int8: intCodec(8),
  float4: fixed(4, (b) => typedDouble(b.readFloatBE(0)), (b, v) => b.writeFloatBE(doubleOf(v))),
  float8: fixed(8, (b) => typedDouble(b.readDoubleBE(0)), (b, v) => b.writeDoubleBE(doubleOf(v))),
  numeric: { decode: decodeNumeric, encode: encodeNumeric },
  text,
  varchar: text,
  bpchar: text,
  bytea: {
    decode: (b) => ({ bytes: b.toString('base64') }),
    encode: (v) => Buffer.from(tagged<string>(v, 'bytes'), 'base64'),
  },
  uuid: {
    decode(b) {
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    encode(v) {
      if (typeof v !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new CellError(`not a uuid: ${describe(v)}`);
      return Buffer.from(v.replace(/-/g, ''), 'hex');
    },
  },
  json: {
    decode: (b) => ({ json: plainNumbers(parseJsonLexemes(b.toString('utf8'))) }),
    encode: (v) => Buffer.from(jsonText(v), 'utf8'),
  },
  jsonb: {
    decode(b) {
      if (b[0] !== 1) throw new CellError(`unknown jsonb binary version ${b[0]}`);
      return { json: plainNumbers(parseJsonLexemes(b.subarray(1).toString('utf8'))) };
    },
    encode: (v) => Buffer.concat([Buffer.from([1]), Buffer.from(jsonText(v), 'utf8')]),
  },
  date: fixed(4, (b) => {
    const d = b.readInt32BE(0);
    if (d === 0x7fffffff || d === -0x80000000) throw new CellError('date ±infinity has no form in the archive');
    return { date: d + PG_EPOCH_DAYS };
  }, (b, v) => b.writeInt32BE(Number(asBigInt(tagged<number>(v, 'date') as CellValue, 'date')) - PG_EPOCH_DAYS)),
  time: fixed(8, (b) => ({ timeofday: timeText(b.readBigInt64BE(0)) }), (b, v) => b.writeBigInt64BE(parseTime(tagged<string>(v, 'timeofday')))),
  timestamp: { decode: (b) => ({ timestamp: decodeTimestamp(b) }), encode: (v) => encodeTimestamp(tagged<string>(v, 'timestamp')) },
  timestamptz: {
    decode: (b) => ({ timestamptz: `${decodeTimestamp(b)}Z` }),
    encode(v) {
      const t = tagged<string>(v, 'timestamptz');
      if (typeof t !== 'string' || !t.endsWith('Z')) throw new CellError(`not a UTC timestamp: ${describe(v)}`);
      return encodeTimestamp(t.slice(0, -1));
    },
  },
  interval: fixed(16, (b) => {
    const micros = b.readBigInt64BE(0);
    const days = b.readInt32BE(8);
    const months = b.readInt32BE(12);
    if ((micros === INT64_MAX || micros === INT64_MIN) && (days === 0x7fffffff || days === -0x80000000)) throw new CellError('interval ±infinity has no form in the archive');
    return { interval: { months, days, micros: int(micros) } };
  }, (b, v) => {
    const i = tagged<{ months: number; days: number; micros: number | bigint }>(v, 'interval');
    b.writeBigInt64BE(BigInt(i.micros), 0);
    b.writeInt32BE(i.days, 8);
    b.writeInt32BE(i.months, 12);
  }),
  vector: { decode: decodeVector, encode: encodeVector },
  halfvec: { decode: decodeHalfvec, encode: encodeHalfvec },
  sparsevec: { decode: decodeSparsevec, encode: encodeSparsevec },
};

/**
 * json and jsonb for a point's payload, whose numbers the archive keeps in their written form
 * (spec/FORMAT.md 7.3): `1.0` stays `1.0`.
 */
const PAYLOAD_JSON: Record<string, Codec> = {
  json: { decode: (b) => ({ json: parseJsonLexemes(b.toString('utf8')) as Json }), encode: BASE.json!.encode },
  jsonb: {
    decode(b) {
      if (b[0] !== 1) throw new CellError(`unknown jsonb binary version ${b[0]}`);
      return { json: parseJsonLexemes(b.subarray(1).toString('utf8')) as Json };
    },
    encode: BASE.jsonb!.encode,
  },
};

/** The codec of a type, or null when the archive has no exact form for it; `payload`: json numbers keep their form. */
export function codecOf(t: PgType, opts: { payload?: boolean } = {}): Codec | null {
  if (t.elem) {
    const inner = codecOf(t.elem, opts);
    return inner ? arrayCodec(t.elem, inner) : null;
  }
  if (opts.payload && PAYLOAD_JSON[t.name]) return PAYLOAD_JSON[t.name]!;
  if (t.typtype === 'e') return text; // an enum's binary form is its label
  return BASE[t.name] ?? null;
}

/** The type names codecOf knows (for messages). */
export const KNOWN_TYPES = Object.keys(BASE);
