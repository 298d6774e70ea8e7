/**
 * FalkorDB 4.16 temporal values and their archive form. The server keeps whole seconds (fractions
 * are dropped when a value is made) and answers a compact temporal cell with an integer:
 *
 * | compact type | Cypher          | server integer                        | archive tag  | unit                            |
 * |--------------|-----------------|---------------------------------------|--------------|---------------------------------|
 * | 13           | localdatetime() | seconds since 1970-01-01T00:00:00     | `{datetime}` | seconds since the epoch (no zone) |
 * | 14           | date()          | seconds since the epoch, at midnight  | `{date}`     | days since 1970-01-01           |
 * | 15           | localtime()     | seconds since 1900-01-01T00:00:00     | `{time}`     | seconds since midnight          |
 * | 16           | duration()      | seconds (a month is 31 days, a year 365) | `{duration}` | seconds                      |
 *
 * Restoring builds each value from a map of calendar fields (`localdatetime({year:…})`), because
 * FalkorDB computes `duration({seconds: n})` in float32 and would round large counts.
 */
import { MemarcError } from '../../errors.ts';
import type { ParamValue } from './params.ts';

const TIME_BASE = -2208988800; // 1900-01-01T00:00:00 in seconds since the epoch
const DAY = 86400;

export type TemporalTag = 'datetime' | 'date' | 'time' | 'duration';

export function fromServer(code: number, raw: string): { [k in TemporalTag]?: number | bigint } {
  const s = BigInt(raw);
  switch (code) {
    case 13: return { datetime: num(s) };
    case 14: return { date: num(floorDiv(s, BigInt(DAY))) };
    case 15: return { time: num(s - BigInt(TIME_BASE)) };
    default: return { duration: num(s) };
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function num(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function calendar(seconds: number, what: string): Date {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new MemarcError('STORE_ERROR', `${what} ${seconds} is outside the range FalkorDB and JavaScript dates share`);
  return d;
}

/** The Cypher function and its map argument that rebuild a temporal value exactly. */
export function toServer(tag: TemporalTag, value: number | bigint): { fn: string; arg: ParamValue } {
  const v = Number(value);
  if (!Number.isSafeInteger(v)) throw new MemarcError('STORE_ERROR', `${tag} value ${value} is out of range`);
  switch (tag) {
    case 'datetime': {
      const d = calendar(v, 'datetime');
      return {
        fn: 'localdatetime',
        arg: { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() },
      };
    }
    case 'date': {
      const d = calendar(v * DAY, 'date');
      return { fn: 'date', arg: { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() } };
    }
    case 'time': {
      if (v < 0 || v >= DAY) throw new MemarcError('STORE_ERROR', `time value ${v} is not a second of a day`);
      return { fn: 'localtime', arg: { hour: Math.floor(v / 3600), minute: Math.floor((v % 3600) / 60), second: v % 60 } };
    }
    case 'duration': {
      // Each field is converted through float32 by the server: keep every one below 2^24.
      const days = Math.trunc(v / DAY);
      if (Math.abs(days) >= 2 ** 24) throw new MemarcError('STORE_ERROR', `duration ${v} s is too long for FalkorDB to rebuild exactly`);
      return { fn: 'duration', arg: { days, seconds: v - days * DAY } };
    }
  }
}
