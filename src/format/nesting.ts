/**
 * How deep JSON may nest (spec/FORMAT.md, "Reader limits"). Everything downstream of the reader
 * that walks a value (canonical JSON, hashing, validation, `JSON.stringify` of a summary) recurses
 * on depth, so the reader refuses deeper input before any of it runs: a record line is
 * MALFORMED_RECORD, header.json or trailer.json MALFORMED_ARCHIVE. JSON.parse itself is iterative
 * in V8 (it parses 100 000 levels), so checking after the parse is safe.
 */

/** Arrays and objects nested in one record line, the record itself counting as one. */
export const MAX_RECORD_NESTING = 128;
/** Arrays and objects nested in header.json or trailer.json, the document counting as one. */
export const MAX_META_NESTING = 128;

/** A value nests deeper than a walker of it may go. */
export class NestingError extends RangeError {
  readonly limit: number;
  constructor(limit: number) {
    super(`values are nested more than ${limit} levels deep`);
    this.name = 'NestingError';
    this.limit = limit;
  }
}

/**
 * Whether `value` nests more than `max` arrays and objects. Iterative (an explicit stack), so
 * it answers for any depth; it stops at the first container past the limit.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop() as object;
    const d = depths.pop()!;
    if (d > max) return true;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      if (typeof c === 'object' && c !== null) {
        stack.push(c);
        depths.push(d + 1);
      }
    }
  }
  return false;
}
