/**
 * Point ids: a u64 or a UUID. A u64 is held as a `number` when it is a safe integer and as a
 * `bigint` above 2^53, so Map keys stay unique (the two forms never hold the same value).
 * UUIDs are held lowercase and hyphenated, the form Qdrant answers with.
 */
import { formatError } from './errors.ts';

export type PointId = number | bigint | string;

const U64_MAX = (1n << 64n) - 1n;
const UUID_SIMPLE = /^[0-9a-f]{32}$/;

/** Parses an id the way serde parses `ExtendedPointId` (u64, or any textual form `uuid` accepts). */
export function parsePointId(raw: unknown, where = 'id'): PointId {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw >= 0) return raw;
  } else if (typeof raw === 'bigint') {
    if (raw >= 0n && raw <= U64_MAX) return raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  } else if (typeof raw === 'string') {
    const uuid = normaliseUuid(raw);
    if (uuid !== undefined) return uuid;
  }
  throw formatError(`${where}: data did not match any variant of untagged enum ExtendedPointId`);
}

/** Accepts hyphenated, simple (32 hex), braced and `urn:uuid:` forms in any case. */
export function normaliseUuid(text: string): string | undefined {
  let s = text.toLowerCase();
  if (s.startsWith('urn:uuid:')) s = s.slice(9);
  else if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  let hex: string;
  if (s.length === 36) {
    if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
    hex = s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
  } else {
    hex = s;
  }
  if (!UUID_SIMPLE.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Qdrant's id order: every integer id before every UUID; integers by value, UUIDs by bytes. */
export function compareIds(a: PointId, b: PointId): number {
  const sa = typeof a === 'string';
  const sb = typeof b === 'string';
  if (sa !== sb) return sa ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
