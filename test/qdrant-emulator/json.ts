/**
 * JSON codec that keeps integers above 2^53 exact, as Qdrant (serde_json, u64/i64) does.
 *
 * Parsing turns an integer literal outside the safe range into a `bigint` (a JSON reviver reads the
 * literal's source text). Encoding writes `bigint` back as a bare integer, a payload number held as
 * `JSON.rawJSON` (payload.ts) as its text, and `Float32Array` as float32 numbers printed the way
 * serde_json prints an f32 (float32.ts), so vectors never pass through a generic replacer.
 */
import { isRawNumber } from '../../src/format/json.ts';
import { formatF32Array } from './float32.ts';

/**
 * Parses JSON text; integers outside ±(2^53−1) come back as `bigint`. This is memarc's own reader
 * (src/format/json.ts), because the engine's JSON.parse can misread escaped member names that
 * Qdrant's serde_json reads exactly (nodejs/node#63785): the emulator must store what was sent.
 */
export { parseJson } from '../../src/format/json.ts';

/**
 * How float32 vector values are printed: `float32`, as Qdrant does (shortest float32 digits,
 * float32.ts), or `double`, the shortest double of the widened value (`0.6000000238418579`): the
 * same float32 to any reader that rounds to float32 (memarc does), in answers about 1.7 times as
 * long, for benchmarks where the emulator shares the CPU with the client measured (bench/RESULTS.md,
 * "Session 15": the float32 form did not make them cheaper).
 */
export type FloatFormat = 'float32' | 'double';

/** Encodes a value as JSON text: `bigint` as a bare integer, `Float32Array` as a number array. */
export function encodeJson(value: unknown, floats: FloatFormat = 'float32'): string {
  const parts: string[] = [];
  write(value, parts, floats);
  return parts.join('');
}

function write(value: unknown, out: string[], floats: FloatFormat): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'string') {
    out.push(JSON.stringify(value));
  } else if (typeof value === 'number') {
    out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (value instanceof Uint32Array) {
    out.push('[', value.join(','), ']');
  } else if (value instanceof Float32Array && floats === 'double') {
    out.push(doubles(value));
  } else if (value instanceof Float32Array) {
    out.push(formatF32Array(value));
  } else if (isRawNumber(value)) {
    out.push(value.rawJSON);
  } else if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out, floats);
    }
    out.push(']');
  } else if (typeof value === 'object') {
    out.push('{');
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(k), ':');
      write(v, out, floats);
    }
    out.push('}');
  } else {
    out.push('null');
  }
}


/**
 * A float32 array as JSON numbers, each the shortest double of the widened value: JSON.stringify
 * of a plain array, 93-97 against 130 ns a number for `Float32Array.prototype.join`
 * (bench/f32-text.bench.ts), and half the emulator's printing time in the profile of a verified
 * 100k-point import (bench/RESULTS.md, session 10). A NaN or infinity comes out as `null` and a
 * -0 as `-0.0`, as in the float32 form and from the server.
 */
function doubles(value: Float32Array): string {
  const plain = new Array<number>(value.length);
  let negativeZero = false;
  for (let i = 0; i < value.length; i++) {
    const x = value[i]!;
    if (x === 0 && 1 / x < 0) negativeZero = true;
    plain[i] = x;
  }
  if (!negativeZero) return JSON.stringify(plain);
  return `[${plain.map((x) => (x === 0 && 1 / x < 0 ? '-0.0' : JSON.stringify(x))).join(',')}]`;
}
