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
