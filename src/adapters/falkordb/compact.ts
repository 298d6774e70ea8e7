/**
 * Decoding of FalkorDB's compact result cells, `[typeCode, value]`, with full type fidelity:
 * integers stay exact (the client hands them over as strings), vecf32 is exact (17-digit text of
 * float32 values), points are float32 on the server (15 digits identify a float32 exactly),
 * doubles are `%.15g` text (see exact-double.ts for how the export makes them exact).
 */
import { MemarcError } from '../../errors.ts';
import { encodeF32, toF32, typedDouble, type TypedValue } from '../../format/records.ts';
import type { Reply } from './client.ts';
import { fromServer } from './temporal.ts';

export const T = {
  NULL: 1, STRING: 2, INTEGER: 3, BOOLEAN: 4, DOUBLE: 5, ARRAY: 6, EDGE: 7, NODE: 8, PATH: 9,
  MAP: 10, POINT: 11, VECF32: 12, DATETIME: 13, DATE: 14, TIME: 15, DURATION: 16,
} as const;

/** A property as the reply holds it, `[keyId, typeCode, value]` (not copied: pages are large). */
export type RawProp = Reply[];

export interface RawNode {
  id: number;
  labelIds: number[];
  props: RawProp[];
}

export interface RawEdge {
  id: number;
  typeId: number;
  src: number;
  dst: number;
  props: RawProp[];
}

/** Any decoded cell: a property value, null, a map, or a graph entity. */
export type Decoded = TypedValue | null | Map<string, Decoded> | Decoded[] | { node: RawNode } | { edge: RawEdge };

export function int(raw: Reply): number | bigint {
  const s = String(raw);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

function double(raw: string): number {
  switch (raw) {
    case 'inf': return Infinity;
    case '-inf': return -Infinity;
    case 'nan': case '-nan': return NaN;
  }
  return Number(raw);
}

function props(list: Reply): RawProp[] {
  return (list as RawProp[] | null) ?? [];
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * A point coordinate −0 is a JSON number too (`-0.0`), but JSON.stringify writes −0 as `0`. A
 * point holding one gets a non-enumerable `toJSON` that writes it as `-0.0` (JSON.rawJSON), so
 * the archive keeps the sign; the digest (canonical JSON, which writes −0 as 0) and validation
 * see the plain numbers.
 */
function keepNegativeZero(p: { latitude: number; longitude: number }): { latitude: number; longitude: number } {
  if (!Object.is(p.latitude, -0) && !Object.is(p.longitude, -0)) return p;
  const text = (x: number): unknown => (Object.is(x, -0) ? rawJSON('-0.0') : x);
  Object.defineProperty(p, 'toJSON', { value: () => ({ latitude: text(p.latitude), longitude: text(p.longitude) }), enumerable: false });
  return p;
}

export function decode(cell: Reply): Decoded {
  if (!Array.isArray(cell)) throw new MemarcError('STORE_ERROR', 'unexpected reply from FalkorDB: a cell is not [type, value]');
  return decodeValue(Number(cell[0]), cell[1] as Reply);
}

function decodeValue(code: number, v: Reply): Decoded {
  switch (code) {
    case T.NULL: return null;
    case T.STRING: return String(v);
    case T.INTEGER: return int(v);
    case T.BOOLEAN: return v === 'true';
    case T.DOUBLE: return typedDouble(double(String(v)));
    case T.ARRAY: return (v as Reply[]).map(decode);
    case T.MAP: {
      const m = new Map<string, Decoded>();
      const a = v as Reply[];
      for (let i = 0; i < a.length; i += 2) m.set(String(a[i]), decode(a[i + 1]!));
      return m;
    }
    case T.NODE: {
      const a = v as Reply[];
      return { node: { id: Number(a[0]), labelIds: (a[1] as Reply[]).map(Number), props: props(a[2]!) } };
    }
    case T.EDGE: {
      const a = v as Reply[];
      return { edge: { id: Number(a[0]), typeId: Number(a[1]), src: Number(a[2]), dst: Number(a[3]), props: props(a[4]!) } };
    }
    case T.POINT: {
      const a = v as Reply[];
      return { point: keepNegativeZero({ latitude: toF32(Number(a[0])), longitude: toF32(Number(a[1])) }) };
    }
    case T.VECF32:
      return { vecf32: encodeF32(Float32Array.from((v as Reply[]).map((x) => Number(x)))) };
    case T.DATETIME: case T.DATE: case T.TIME: case T.DURATION:
      return fromServer(code, String(v)) as TypedValue;
  }
  throw new MemarcError('STORE_ERROR', `FalkorDB returned a value of type ${code}, which memarc cannot archive`, {
    hint: 'upgrade memarc, or report the server version',
  });
}

/**
 * A property's value: everything `decode` yields except null, maps and entities. `where` names
 * the entity for the error (a function: most pages have no error, and many properties).
 */
export function decodeProp(p: RawProp, where: () => string): TypedValue {
  const d = decodeValue(Number(p[1]), p[2] as Reply);
  if (d === null || d instanceof Map || (typeof d === 'object' && !Array.isArray(d) && ('node' in d || 'edge' in d))) {
    throw new MemarcError('STORE_ERROR', `${where()}: a property holds a value that is not a storable type`);
  }
  return d as TypedValue;
}
