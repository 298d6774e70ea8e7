/**
 * What a sink's read-back found against the archive's totals, one phrase each, for the message of
 * a VERIFY_FAILED: every count of the record kinds asked for, then the content digest.
 */
import type { DatasetDigest } from '../format/digest.ts';
import type { RecordKind } from '../format/records.ts';
import type { DatasetTotals } from './adapter.ts';

export function readBackDifferences(live: DatasetDigest, expected: DatasetTotals, kinds: readonly RecordKind[]): string[] {
  const diffs: string[] = [];
  for (const k of kinds) {
    const got = live.counts[k] ?? 0;
    const want = expected.records[k] ?? 0;
    if (got !== want) diffs.push(`${k}s: ${got} found, ${want} expected`);
  }
  if (live.hex() !== expected.digest) diffs.push(`digest ${live.hex()} found, ${expected.digest} expected`);
  return diffs;
}

/**
 * The hint of a sink's VERIFY_FAILED when it digests the target itself (DatasetSink.digestsTarget):
 * an import's reader then did not recompute the archive's digest of the dataset, so when only
 * the digests differ the archive may be what is wrong, and `memarc verify` tells.
 */
export function readBackHint(live: DatasetDigest, expected: DatasetTotals, kinds: readonly RecordKind[], digestsTarget: boolean): string {
  const countsAgree = kinds.every((k) => (live.counts[k] ?? 0) === (expected.records[k] ?? 0));
  return digestsTarget && countsAgree && live.hex() !== expected.digest ? ARCHIVE_NOT_REHASHED : 'nothing was published; check the server log and try again';
}

/** The hint of a digest that differs where the import's reader did not recompute the archive's (see readBackHint). */
export const ARCHIVE_NOT_REHASHED =
  "nothing was published. An import compares the target's digest with the one the archive's trailer records and does not recompute the archive's own, so either may be what differs: `memarc verify` on the archive checks it alone; if that passes, check the server log and try again";
