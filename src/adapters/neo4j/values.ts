/**
 * Neo4j property values and their archive form (spec/FORMAT.md 6.5, 15.6). The driver is created
 * with `useBigInt`, so integers arrive as bigint and floats as JS numbers (Bolt sends both as
 * their 64-bit binary values: nothing is lost on the wire).
 *
 * | Neo4j               | archive                                                   |
 * |---------------------|-----------------------------------------------------------|
 * | Integer             | a JSON integer (exact digits)                             |
 * | Float               | `{"double": x}` (NaN, ±Infinity and −0 as strings)        |
 * | String, Boolean     | themselves                                                |
 * | List                | an array of the element values                            |
 * | ByteArray           | `{"bytes": base64}`                                       |
 * | Point 4326          | `{"point": {"latitude", "longitude"}}` (as FalkorDB's)    |
 * | Point 4979          | `{"point": {"crs": "wgs-84-3d", "latitude", "longitude", "height"}}` |
 * | Point 7203 / 9157   | `{"point": {"crs": "cartesian"|"cartesian-3d", "x", "y"[, "z"]}}` |
 * | Date                | `{"date": days since 1970-01-01}`                         |
 * | LocalDateTime       | `{"timestamp": "YYYY-MM-DDTHH:MM:SS[.f]"}` (up to 9 digits)|
 * | LocalTime           | `{"timeofday": "HH:MM:SS[.f]"}`                            |
 * | DateTime            | `{"zoneddatetime": "…±HH:MM[:SS][[Zone/Id]]"}`             |
 * | Time                | `{"zonedtime": "HH:MM:SS[.f]±HH:MM[:SS]"}`                 |
 * | Duration            | `{"isoduration": {"months", "days", "seconds", "nanos"}}`  |
 *
 * Text forms are built here, field by field, not with the driver's toString(), so that they are
 * exactly the forms the spec states (fractions without trailing zeros, offsets as ±HH:MM[:SS]).
 */
import neo4j from 'neo4j-driver';
import { MemarcError } from '../../errors.ts';
import { decodeF32, typedDouble, untypedDouble, type TypedValue } from '../../format/records.ts';
import { setMember } from '../../format/json.ts';

const { Point, Date: NDate, DateTime, LocalDateTime, LocalTime, Time, Duration } = neo4j.types;

/** Coordinate reference systems Neo4j 5 knows, by SRID. */
export const CRS_BY_SRID: Record<number, string> = { 4326: 'wgs-84', 4979: 'wgs-84-3d', 7203: 'cartesian', 9157: 'cartesian-3d' };
const SRID_BY_CRS: Record<string, number> = { 'wgs-84': 4326, 'wgs-84-3d': 4979, cartesian: 7203, 'cartesian-3d': 9157 };

function pad(n0: unknown, width: number): string {
  const n = big(n0);
  const s = String(n < 0n ? -n : n).padStart(width, '0');
  return n < 0n ? `-${s}` : s;
}

function fraction(nanos: unknown): string {
  const n = Number(big(nanos));
  return n === 0 ? '' : `.${String(n).padStart(9, '0').replace(/0+$/, '')}`;
}

function offset(seconds: number): string {
  if (seconds === 0) return 'Z';
  const a = Math.abs(seconds);
  const s = a % 60;
  return `${seconds < 0 ? '-' : '+'}${pad(Math.floor(a / 3600), 2)}:${pad(Math.floor(a / 60) % 60, 2)}${s ? `:${pad(s, 2)}` : ''}`;
}

/** A date's year may be negative or above 9999 (Neo4j: −999,999,999 … 999,999,999). */
function dateText(y: unknown, m: unknown, d: unknown): string {
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function timeText(h: unknown, mi: unknown, s: unknown, ns: unknown): string {
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction(ns)}`;
}

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (exact for any year, bigint arithmetic). */
export function epochDays(y: bigint, m: bigint, d: bigint): bigint {
  // Howard Hinnant's days_from_civil.
  const yy = m <= 2n ? y - 1n : y;
  const era = (yy >= 0n ? yy : yy - 399n) / 400n;
  const yoe = yy - era * 400n;
  const mp = (m + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n + d - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

/** The inverse of epochDays. */
export function civilFromDays(z0: bigint): { year: bigint; month: bigint; day: bigint } {
  const z = z0 + 719468n;
  const era = (z >= 0n ? z : z - 146096n) / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  return { year: yoe + era * 400n + (month <= 2n ? 1n : 0n), month, day };
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * A coordinate −0 is written as the JSON number `-0.0` (spec 15.1; JSON.stringify would write
 * `0`): a non-enumerable toJSON does it, so the digest and validation see plain numbers.
 */
function keepNegativeZero<T extends Record<string, unknown>>(p: T): T {
  if (!Object.values(p).some((x) => Object.is(x, -0))) return p;
  Object.defineProperty(p, 'toJSON', { value: () => Object.fromEntries(Object.entries(p).map(([k, x]) => [k, Object.is(x, -0) ? rawJSON('-0.0') : x])), enumerable: false });
  return p;
}

/** A driver integer (bigint with useBigInt, or an Integer the driver types were built with) as a bigint. */
function big(x: unknown): bigint {
  return typeof x === 'bigint' ? x : BigInt(String(x));
}

/** Something Neo4j holds that the archive cannot: the caller names the node and property. */
export class UnsupportedValue extends Error {}

/** A Neo4j property value in its archive form. Throws UnsupportedValue for a value it cannot hold. */
export function toArchive(v: unknown): TypedValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'bigint':
      return intValue(v);
    case 'number':
      return typedDouble(v);
  }
  if (Array.isArray(v)) return v.map(toArchive);
  if (neo4j.isInt(v)) return intValue(big(v));
  if (v instanceof Uint8Array || v instanceof Int8Array) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } as unknown as TypedValue;
  if (neo4j.isPoint(v)) {
    const p = v as unknown as InstanceType<typeof Point<bigint>>;
    const srid = Number(big(p.srid));
    const crs = CRS_BY_SRID[srid];
    if (!crs) throw new UnsupportedValue(`a point of SRID ${srid}, which Neo4j 5 does not define`);
    for (const c of [p.x, p.y, p.z]) if (c !== undefined && !Number.isFinite(c)) throw new UnsupportedValue(`a point with a coordinate ${c}, which JSON cannot hold`);
    if (crs === 'wgs-84') return { point: keepNegativeZero({ latitude: p.y, longitude: p.x }) } as unknown as TypedValue;
    if (crs === 'wgs-84-3d') return { point: keepNegativeZero({ crs, latitude: p.y, longitude: p.x, height: p.z! }) } as unknown as TypedValue;
    if (crs === 'cartesian') return { point: keepNegativeZero({ crs, x: p.x, y: p.y }) } as unknown as TypedValue;
    return { point: keepNegativeZero({ crs, x: p.x, y: p.y, z: p.z! }) } as unknown as TypedValue;
  }
  if (neo4j.isDate(v)) {
    const d = v as unknown as InstanceType<typeof NDate<bigint>>;
    return { date: intValue(epochDays(big(d.year), big(d.month), big(d.day))) };
  }
  if (neo4j.isLocalDateTime(v)) {
    const d = v as unknown as InstanceType<typeof LocalDateTime<bigint>>;
    return { timestamp: `${dateText(d.year, d.month, d.day)}T${timeText(d.hour, d.minute, d.second, d.nanosecond)}` } as unknown as TypedValue;
  }
  if (neo4j.isLocalTime(v)) {
    const t = v as unknown as InstanceType<typeof LocalTime<bigint>>;
    return { timeofday: timeText(t.hour, t.minute, t.second, t.nanosecond) } as unknown as TypedValue;
  }
  if (neo4j.isDateTime(v)) {
    const d = v as unknown as InstanceType<typeof DateTime<bigint>>;
    const off = d.timeZoneOffsetSeconds === undefined ? null : Number(big(d.timeZoneOffsetSeconds));
    if (off === null) throw new UnsupportedValue('a zoned date-time whose offset the driver did not receive');
    const zone = d.timeZoneId ? `[${d.timeZoneId}]` : '';
    return { zoneddatetime: `${dateText(d.year, d.month, d.day)}T${timeText(d.hour, d.minute, d.second, d.nanosecond)}${offset(off)}${zone}` } as unknown as TypedValue;
  }
  if (neo4j.isTime(v)) {
    const t = v as unknown as InstanceType<typeof Time<bigint>>;
    return { zonedtime: `${timeText(t.hour, t.minute, t.second, t.nanosecond)}${offset(Number(big(t.timeZoneOffsetSeconds)))}` } as unknown as TypedValue;
  }
  if (neo4j.isDuration(v)) {
    const d = v as unknown as InstanceType<typeof Duration<bigint>>;
    return { isoduration: { months: intValue(big(d.months)), days: intValue(big(d.days)), seconds: intValue(big(d.seconds)), nanos: Number(big(d.nanoseconds)) } } as unknown as TypedValue;
  }
  if (v === null || v === undefined) throw new UnsupportedValue('a null');
  throw new UnsupportedValue(`a value of type ${Object.prototype.toString.call(v)}`);
}

// ---------------------------------------------------------------------------------------------
// Archive → Neo4j.

/** What a conversion changed, by kind (for the dry run and the import's report). */
export type Approximation =
  | 'vecf32 as a list of floats'
  | 'FalkorDB local date-time (seconds) as a LocalDateTime'
  | 'FalkorDB local time (seconds) as a LocalTime'
  | 'FalkorDB duration (seconds) as a Duration'
  | 'a point of another store as a WGS-84 point';

export interface ToNeo4jOptions {
  /** Called for each value that is converted approximately (another store's types). */
  approx?: (a: Approximation) => void;
}

/** Something the archive holds that Neo4j cannot store; the caller names the record and property. */
export class UnstorableValue extends Error {}

const TS = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const TOD = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const ZONED = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[([^\]]+)\])?$/;
const ZTIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;

function nanosOf(f: string | undefined): number {
  return f ? Number(f.padEnd(9, '0')) : 0;
}

function offsetSeconds(o: string): number {
  if (o === 'Z') return 0;
  const [h, m, s] = o.slice(1).split(':').map(Number) as [number, number, number?];
  return (o[0] === '-' ? -1 : 1) * (h * 3600 + m * 60 + (s ?? 0));
}

const int = (v: number | bigint): ReturnType<typeof neo4j.int> => neo4j.int(v);

function isInt(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
}

/**
 * An archive typed value as a driver parameter. A list must hold values of one type (Neo4j lists
 * are homogeneous and do not nest); anything else is an UnstorableValue.
 */
export function toNeo4j(v: TypedValue, opts: ToNeo4jOptions = {}, inList = false): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
    case 'bigint':
      return int(v);
  }
  if (Array.isArray(v)) {
    if (inList) throw new UnstorableValue('a list inside a list (Neo4j lists do not nest)');
    const out = v.map((x) => toNeo4j(x, opts, true));
    const kinds = new Set(out.map(kindOf));
    if (kinds.size > 1) throw new UnstorableValue(`a list mixing ${[...kinds].join(' and ')} (Neo4j lists hold one type)`);
    return out;
  }
  const o = v as Record<string, unknown>;
  const tag = Object.keys(o)[0];
  const x = o[tag!];
  switch (tag) {
    case 'double':
      return untypedDouble(x as number | string);
    case 'bytes': {
      if (inList) throw new UnstorableValue('a byte array inside a list');
      // The driver sends an Int8Array as Bolt bytes (any other typed array as a list).
      const b = Buffer.from(x as string, 'base64');
      return new Int8Array(b.buffer, b.byteOffset, b.length);
    }
    case 'vecf32': {
      if (inList) throw new UnstorableValue('a vecf32 inside a list');
      opts.approx?.('vecf32 as a list of floats');
      return Array.from(decodeF32(x as string));
    }
    case 'point':
      return pointOf(x as Record<string, unknown>, opts);
    case 'date': {
      const { year, month, day } = civilFromDays(BigInt(x as number | bigint));
      return new NDate(int(year), int(month), int(day));
    }
    case 'timestamp': {
      const m = TS.exec(x as string);
      if (!m) throw new UnstorableValue(`a timestamp ${JSON.stringify(x)}`);
      return new LocalDateTime(int(BigInt(m[1]!)), int(Number(m[2])), int(Number(m[3])), int(Number(m[4])), int(Number(m[5])), int(Number(m[6])), int(nanosOf(m[7])));
    }
    case 'timeofday': {
      const m = TOD.exec(x as string);
      if (!m) throw new UnstorableValue(`a time of day ${JSON.stringify(x)}`);
      return new LocalTime(int(Number(m[1])), int(Number(m[2])), int(Number(m[3])), int(nanosOf(m[4])));
    }
    case 'zoneddatetime': {
      const m = ZONED.exec(x as string);
      if (!m) throw new UnstorableValue(`a zoned date-time ${JSON.stringify(x)}`);
      const args = [int(BigInt(m[1]!)), int(Number(m[2])), int(Number(m[3])), int(Number(m[4])), int(Number(m[5])), int(Number(m[6])), int(nanosOf(m[7]))] as const;
      // With a zone id the offset is sent too: it tells apart the two instants of a local time
      // that a zone's clock change repeats.
      return m[9] ? new DateTime(...args, int(offsetSeconds(m[8]!)), m[9]) : new DateTime(...args, int(offsetSeconds(m[8]!)));
    }
    case 'zonedtime': {
      const m = ZTIME.exec(x as string);
      if (!m) throw new UnstorableValue(`a zoned time ${JSON.stringify(x)}`);
      return new Time(int(Number(m[1])), int(Number(m[2])), int(Number(m[3])), int(nanosOf(m[4])), int(offsetSeconds(m[5]!)));
    }
    case 'isoduration': {
      const d = x as Record<string, number | bigint>;
      return new Duration(int(d.months!), int(d.days!), int(d.seconds!), int(d.nanos!));
    }
    // FalkorDB's temporal tags (spec 15.1): whole seconds, no zone.
    case 'datetime': {
      opts.approx?.('FalkorDB local date-time (seconds) as a LocalDateTime');
      const s = BigInt(x as number | bigint);
      const days = s >= 0n ? s / 86400n : -((-s + 86399n) / 86400n);
      const rem = Number(s - days * 86400n);
      const { year, month, day } = civilFromDays(days);
      return new LocalDateTime(int(year), int(month), int(day), int(Math.floor(rem / 3600)), int(Math.floor(rem / 60) % 60), int(rem % 60), int(0));
    }
    case 'time': {
      opts.approx?.('FalkorDB local time (seconds) as a LocalTime');
      const s = Number(x);
      if (!(s >= 0 && s < 86400)) throw new UnstorableValue(`a time of ${s} s, not a second of a day`);
      return new LocalTime(int(Math.floor(s / 3600)), int(Math.floor(s / 60) % 60), int(s % 60), int(0));
    }
    case 'duration': {
      opts.approx?.('FalkorDB duration (seconds) as a Duration');
      return new Duration(int(0), int(0), int(x as number | bigint), int(0));
    }
  }
  throw new UnstorableValue(`a value tagged ${JSON.stringify(tag)}`);
}

function pointOf(p: Record<string, unknown>, opts: ToNeo4jOptions): unknown {
  const crs = (p.crs as string | undefined) ?? 'wgs-84';
  const srid = SRID_BY_CRS[crs];
  if (srid === undefined) throw new UnstorableValue(`a point in the unknown reference system ${JSON.stringify(crs)}`);
  const n = (k: string): number => {
    const c = p[k];
    if (typeof c !== 'number') throw new UnstorableValue(`a ${crs} point without a numeric ${k}`);
    return c;
  };
  const known = new Set(['crs', 'latitude', 'longitude', 'height', 'x', 'y', 'z']);
  if (Object.keys(p).some((k) => !known.has(k))) opts.approx?.('a point of another store as a WGS-84 point');
  switch (crs) {
    case 'wgs-84': return new Point(int(srid), n('longitude'), n('latitude'));
    case 'wgs-84-3d': return new Point(int(srid), n('longitude'), n('latitude'), n('height'));
    case 'cartesian': return new Point(int(srid), n('x'), n('y'));
    default: return new Point(int(srid), n('x'), n('y'), n('z'));
  }
}

function kindOf(v: unknown): string {
  if (typeof v === 'string') return 'strings';
  if (typeof v === 'boolean') return 'booleans';
  if (typeof v === 'number') return 'floats';
  if (neo4j.isInt(v)) return 'integers';
  if (neo4j.isPoint(v)) return 'points';
  if (neo4j.isDate(v)) return 'dates';
  if (neo4j.isLocalDateTime(v)) return 'local date-times';
  if (neo4j.isLocalTime(v)) return 'local times';
  if (neo4j.isDateTime(v)) return 'date-times';
  if (neo4j.isTime(v)) return 'times';
  if (neo4j.isDuration(v)) return 'durations';
  return 'values';
}

export { isInt };

/** A whole property map for a write; names the record and property of a value Neo4j cannot hold. */
export function propsToNeo4j(props: Record<string, TypedValue>, where: () => string, opts: ToNeo4jOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in props) {
    try {
      setMember(out, k, toNeo4j(props[k]!, opts));
    } catch (err) {
      if (!(err instanceof UnstorableValue)) throw err;
      throw new MemarcError('STORE_ERROR', `${where()}, property "${k}": Neo4j cannot store ${err.message}`, {
        hint: 'Neo4j properties are single values or lists of one type, never nested; change the value in the source store, or restore into a store that holds it',
      });
    }
  }
  return out;
}
