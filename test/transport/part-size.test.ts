import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_PART_SIZE, MAX_PARTS, MIB, MIN_PART_SIZE, partSchedule, scheduleCapacity } from '../../src/transport/part-size.ts';

const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

/** Parts needed to carry `size` bytes with a schedule. */
function partsFor(size: number, sizeOf: (n: number) => number): number {
  let n = 0;
  let total = 0;
  while (total < size) total += sizeOf(++n);
  return Math.max(n, 1);
}

describe('multipart part sizes', () => {
  it('with an unknown size, stays at the base size for the first 1,000 parts, then doubles', () => {
    const s = partSchedule({ partSize: 8 * MIB });
    expect(s.sizeOf(1)).toBe(8 * MIB);
    expect(s.sizeOf(1000)).toBe(8 * MIB);
    expect(s.sizeOf(1001)).toBe(16 * MIB);
    expect(s.sizeOf(2001)).toBe(32 * MIB);
    // A 2 GB stream never leaves the base size.
    expect(partsFor(2e9, s.sizeOf)).toBe(Math.ceil(2e9 / (8 * MIB)));
  });

  it('with an unknown size, the default base carries the 5 TiB S3 maximum in 10,000 parts', () => {
    expect(scheduleCapacity(partSchedule())).toBeGreaterThanOrEqual(5 * TIB);
    expect(scheduleCapacity(partSchedule({ partSize: MIN_PART_SIZE }))).toBe(5 * MIB * 1000 * 1023);
    expect(partsFor(500 * GIB, partSchedule({ partSize: MIN_PART_SIZE }).sizeOf)).toBeLessThanOrEqual(MAX_PARTS);
  });

  it('with a known size, uses one part size and at most 9,000 parts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * TIB }), (size) => {
        const s = partSchedule({ expectedSize: size });
        const parts = partsFor(size, s.sizeOf);
        expect(parts).toBeLessThanOrEqual(9_000);
        expect(s.sizeOf(parts)).toBe(s.base);
        expect(s.base).toBeGreaterThanOrEqual(MIN_PART_SIZE);
        expect(s.base).toBeLessThanOrEqual(MAX_PART_SIZE);
        expect(s.base % MIB).toBe(0);
      }),
    );
    expect(partSchedule({ expectedSize: 300 * GIB }).base).toBe(35 * MIB);
  });

  it('with a known size that was underestimated, grows past part 9,000 instead of failing', () => {
    const s = partSchedule({ expectedSize: 100 * GIB });
    expect(partsFor(200 * GIB, s.sizeOf)).toBeLessThanOrEqual(MAX_PARTS);
  });

  it('never goes below 5 MiB or above 5 GiB', () => {
    expect(partSchedule({ partSize: 1 }).base).toBe(MIN_PART_SIZE);
    expect(partSchedule({ partSize: MIN_PART_SIZE }).sizeOf(MAX_PARTS)).toBeLessThanOrEqual(MAX_PART_SIZE);
    expect(partSchedule({ partSize: 1 * GIB }).sizeOf(MAX_PARTS)).toBe(MAX_PART_SIZE);
  });
});
