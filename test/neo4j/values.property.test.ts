/**
 * The Neo4j value mapping without a server: archive form → driver value → archive form is the
 * identity for every value of the types Neo4j has (fast-check), the calendar arithmetic agrees
 * with JavaScript's own, and the record validator of the format accepts exactly the forms of
 * spec 6.5 (format 2.1 tags), refusing malformed ones with exit code 17's message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilFromDays, epochDays, toArchive, toNeo4j } from '../../src/adapters/neo4j/values.ts';
import { recordProblem } from '../../src/format/validate.ts';
import type { TypedValue } from '../../src/format/records.ts';

const two = (n: number) => String(n).padStart(2, '0');
const frac = fc.option(fc.integer({ min: 1, max: 999_999_999 }).map((n) => `.${String(n).padStart(9, '0').replace(/0+$/, '')}`), { nil: '' });
const year = fc.integer({ min: -9999, max: 9999 }).map((y) => `${y < 0 ? '-' : ''}${String(Math.abs(y)).padStart(4, '0')}`);
const date = fc.tuple(year, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 })).map(([y, m, d]) => `${y}-${two(m)}-${two(d)}`);
const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), frac).map(([h, m, s, f]) => `${two(h)}:${two(m)}:${two(s)}${f}`);
const offset = fc.integer({ min: -18 * 3600, max: 18 * 3600 }).map((o) => {
  if (o === 0) return 'Z';
  const a = Math.abs(o);
  return `${o < 0 ? '-' : '+'}${two(Math.floor(a / 3600))}:${two(Math.floor(a / 60) % 60)}${a % 60 ? `:${two(a % 60)}` : ''}`;
});
const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((b) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b));
const double = fc.double().map((x) => (Number.isNaN(x) ? { double: 'NaN' } : x === Infinity ? { double: 'Infinity' } : x === -Infinity ? { double: '-Infinity' } : Object.is(x, -0) ? { double: '-0' } : { double: x }));

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.boolean(),
  i64,
  double,
  fc.uint8Array({ maxLength: 16 }).map((b) => ({ bytes: Buffer.from(b).toString('base64') })),
  fc.tuple(fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true })).map(([latitude, longitude]) => ({ point: { latitude, longitude } })),
  fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true })).map(([x, y]) => ({ point: { crs: 'cartesian', x, y } })),
  fc.integer({ min: -3_000_000, max: 3_000_000 }).map((n) => ({ date: n })),
  fc.tuple(date, time).map(([d, t]) => ({ timestamp: `${d}T${t}` })),
  time.map((t) => ({ timeofday: t })),
  fc.tuple(date, time, offset).map(([d, t, o]) => ({ zoneddatetime: `${d}T${t}${o}` })),
  fc.tuple(time, offset).map(([t, o]) => ({ zonedtime: `${t}${o}` })),
  fc.tuple(i64, i64, i64, fc.integer({ min: 0, max: 999_999_999 })).map(([months, days, seconds, nanos]) => ({ isoduration: { months, days, seconds, nanos } })),
);

/** A value with −0 and bigints made visible (toEqual treats −0 as 0), ignoring any toJSON. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (Object.is(v, -0)) return '-0';
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('Neo4j values without a server', () => {
  it('archive → driver → archive is the identity, lists of one type included', () => {
    fc.assert(
      fc.property(fc.oneof(scalar, fc.array(i64, { maxLength: 5 }), fc.array(fc.string(), { maxLength: 5 })), (v) => {
        expect(plain(toArchive(toNeo4j(v as TypedValue)))).toEqual(plain(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('days since 1970 agree with JavaScript\'s proleptic Gregorian calendar, both ways', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
        const d = new Date(days * 86_400_000);
        const c = civilFromDays(BigInt(days));
        expect([Number(c.year), Number(c.month), Number(c.day)]).toEqual([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]);
        expect(epochDays(c.year, c.month, c.day)).toBe(BigInt(days));
      }),
      { numRuns: 2000 },
    );
  });

  it('the validator accepts every form of spec 6.5 the mapping writes', () => {
    fc.assert(
      fc.property(scalar, (v) => {
        expect(recordProblem('node', { key: 1, labels: [], props: { v } })).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    [{ zoneddatetime: '2026-03-01T12:00:00' }, /zoneddatetime must be/],
    [{ zoneddatetime: '2026-03-01T12:00:00+01:00[Europe Zurich]' }, /zoneddatetime must be/],
    [{ zonedtime: '12:00:00.1234567891Z' }, /zonedtime must be/],
    [{ timestamp: '2026-03-01 12:00:00' }, /timestamp must be/],
    [{ isoduration: { months: 1, days: 2, seconds: 3, nanos: 1_000_000_000 } }, /isoduration must be/],
    [{ isoduration: { months: 1, days: 2, seconds: 3 } }, /isoduration must be/],
    [{ bytes: 'AAH+/w' }, /canonical base64/],
    [{ point: { crs: 'cartesian', latitude: 1, longitude: 2 } }, /cartesian point must be \{crs, x, y\}/],
    [{ point: { crs: 'wgs-84-3d', latitude: 91, longitude: 2, height: 0 } }, /latitude must be in/],
    [{ point: { crs: 'mars', x: 1, y: 2 } }, /point crs must be one of/],
  ])('refuses %j', (v, why) => {
    expect(recordProblem('node', { key: 1, labels: [], props: { v } })).toMatch(why);
  });
});
