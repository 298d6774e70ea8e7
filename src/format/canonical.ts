/**
 * Canonical JSON (spec/FORMAT.md, "Canonical form"): RFC 8785 (JCS) with one extension, integers
 * outside ±2^53 (bigint in memory) are written as their exact decimal digits. Object members are
 * sorted by UTF-16 code units, strings use JSON.stringify's escaping, numbers use ECMAScript's
 * shortest round-trip form. No whitespace.
 */
import { isRawNumber, lexemeValue } from './json.ts';
import type { Json } from './records.ts';

export function canonicalJson(value: Json | undefined): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`canonical JSON cannot hold ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      // A payload number kept in its written form (json.ts): the v1 form reads it as the number it spells.
      if (isRawNumber(value)) return canonicalJson(lexemeValue(value.rawJSON));
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
        return out + ']';
      }
      const keys = Object.keys(value).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = value[k];
        if (v === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(v);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
