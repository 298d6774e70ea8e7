/**
 * Parsers for numeric options. Each names its option in the error, so `--queue-size abc` is a
 * USAGE error (exit 2) that says which option and what it takes, instead of a NaN that flows
 * into the library (a NaN queue size made the uploader never wait, buffering the whole archive).
 */
import { MemarcError } from '../errors.ts';

export interface Range {
  min?: number;
  max?: number;
}

function inRange(option: string, v: string, n: number, r: Range, what: string): number {
  if (r.min !== undefined && n < r.min) throw usage(option, v, `${what} of at least ${r.min}`);
  if (r.max !== undefined && n > r.max) throw usage(option, v, `${what} of at most ${r.max}`);
  return n;
}

function usage(option: string, v: string, expected: string): MemarcError {
  return new MemarcError('USAGE', `${option} takes ${expected}, got ${JSON.stringify(v)}`, { hint: `see memarc help for ${option}` });
}

/** A whole number in decimal digits (no sign, exponent, fraction or hex). */
export function countOption(option: string, r: Range = { min: 0 }): (v: string) => number {
  return (v) => {
    const t = v.trim();
    const n = /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n)) throw usage(option, v, `a whole number${r.min !== undefined ? ` of at least ${r.min}` : ''}`);
    return inRange(option, v, n, r, 'a whole number');
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes: `4096`, `16MiB`, `1G`, `1.5GiB` (binary units). */
export function parseBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = UNITS[(m[2] ?? '').toLowerCase()];
  if (mult === undefined) return undefined;
  const n = Math.round(Number(m[1]) * mult);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function sizeOption(option: string, r: Range = { min: 1 }): (v: string) => number {
  return (v) => {
    const n = parseBytes(v);
    if (n === undefined) throw usage(option, v, 'a size such as 4096, 16MiB or 1G');
    return inRange(option, v, n, r, 'a size');
  };
}
