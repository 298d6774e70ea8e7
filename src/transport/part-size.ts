/**
 * Multipart part sizes. S3 allows at most 10,000 parts of 5 MiB to 5 GiB each (the last part may
 * be smaller), and an object of at most 5 TiB.
 *
 * - Size known in advance: one fixed part size, large enough that the object fits in 9,000
 *   parts (a 10% margin for an estimate that is a little low). If the estimate is badly low, the
 *   parts past 9,000 double every 100 parts, so the upload still fits instead of failing at part
 *   10,001.
 * - Size unknown (a streamed archive): start at the base size and double it every 1,000 parts.
 *   The ten tiers hold base × 1000 × (2^10 − 1): 7.8 TiB with the default 8 MiB base (more than
 *   S3's 5 TiB object limit), 4.9 TiB with the 5 MiB minimum. With the default base, an archive
 *   up to 7.8 GiB never leaves 8 MiB parts, and a 100 GB one ends in 64 MiB parts.
 *
 * Memory is bounded by the in-flight budget in the uploader, not by the part size alone.
 */
export const MIB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * 1024 * MIB;
export const MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * MIB;

const KNOWN_SIZE_PARTS = 9_000;
const UNKNOWN_GROW_EVERY = 1_000;
const OVERFLOW_GROW_EVERY = 100;

export interface PartSchedule {
  /** Size of part `n` (1-based). */
  sizeOf(partNumber: number): number;
  readonly base: number;
}

export function partSchedule(opts: { partSize?: number; expectedSize?: number } = {}): PartSchedule {
  let base = Math.max(MIN_PART_SIZE, opts.partSize ?? DEFAULT_PART_SIZE);
  const known = opts.expectedSize !== undefined && opts.expectedSize >= 0;
  if (known) {
    const needed = Math.ceil((opts.expectedSize as number) / KNOWN_SIZE_PARTS / MIB) * MIB;
    base = Math.max(base, needed);
  }
  base = Math.min(base, MAX_PART_SIZE);
  const sizeOf = (n: number): number => {
    const tier = known
      ? Math.max(0, Math.floor((n - 1 - KNOWN_SIZE_PARTS) / OVERFLOW_GROW_EVERY) + 1)
      : Math.floor((n - 1) / UNKNOWN_GROW_EVERY);
    return Math.min(MAX_PART_SIZE, base * 2 ** tier);
  };
  return { sizeOf, base };
}

/** The largest object a schedule can carry in MAX_PARTS parts (for tests and docs). */
export function scheduleCapacity(schedule: PartSchedule): number {
  let total = 0;
  for (let n = 1; n <= MAX_PARTS; n++) total += schedule.sizeOf(n);
  return total;
}
