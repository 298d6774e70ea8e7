import { inspectArchive, type ArchiveSummary } from '../../core/verify.ts';
import { openInput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { s3Options, type S3Flags } from '../options.ts';
import { out, printJson, progress } from '../output.ts';

export interface LimitFlags {
  maxShardBytes?: number;
  maxShardRawBytes?: number;
  maxMetaBytes?: number;
  maxMetaValues?: number;
  maxLineBytes?: number;
  maxLineValues?: number;
}

export async function inspect({ g, signal }: CommandContext, location: string, flags: LimitFlags & S3Flags): Promise<void> {
  const p = progress(g, 'inspect');
  const summary = await inspectArchive(await openInput(location, { signal, s3: s3Options(flags) }), { signal, ...limits(flags), onBytes: (n) => p.bytes(n) });
  p.done();
  if (g.json) printJson({ ok: true, archive: location, ...summary });
  else printSummary(location, summary, false);
}

export function limits(flags: LimitFlags) {
  return {
    ...(flags.maxShardBytes !== undefined ? { maxShardBytes: flags.maxShardBytes } : {}),
    ...(flags.maxShardRawBytes !== undefined ? { maxShardRawBytes: flags.maxShardRawBytes } : {}),
    ...(flags.maxMetaBytes !== undefined ? { maxMetaBytes: flags.maxMetaBytes } : {}),
    ...(flags.maxMetaValues !== undefined ? { maxMetaValues: flags.maxMetaValues } : {}),
    ...(flags.maxLineBytes !== undefined ? { maxLineBytes: flags.maxLineBytes } : {}),
    ...(flags.maxLineValues !== undefined ? { maxLineValues: flags.maxLineValues } : {}),
  };
}

const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;

export function printSummary(location: string, s: ArchiveSummary, verified: boolean): void {
  const h = s.header;
  out(`archive   ${location}`);
  out(`format    ${h.format} ${h.formatVersion.major}.${h.formatVersion.minor}, written by ${h.producer.name} ${h.producer.version} at ${h.createdAt}`);
  out(`header    sha256 ${s.headerSha256}`);
  out(`totals    ${s.trailer.totals.records} records in ${s.trailer.totals.shards} shards, ${mib(s.trailer.totals.bytes)}`);
  out('');
  out(`${'#'.padEnd(3)} ${'kind'.padEnd(18)} ${'name'.padEnd(24)} ${'records'.padEnd(26)} ${'shards'.padStart(6)} ${'size'.padStart(12)}  fingerprint   digest${verified ? ' (verified)' : ''}`);
  for (const d of s.datasets) {
    const recs = Object.entries(d.records).map(([k, n]) => `${n} ${k}s`).join(', ');
    out(`${String(d.index).padEnd(3)} ${d.kind.padEnd(18)} ${d.name.padEnd(24)} ${recs.padEnd(26)} ${String(d.shards).padStart(6)} ${mib(d.bytes).padStart(12)}  ${d.fingerprintSha256.slice(0, 12)}  ${d.digest.slice(0, 16)}`);
  }
  for (const sh of s.trailer.shards) {
    out(`  ${sh.entry}  ${sh.records} records  ${sh.size} bytes  sha256 ${sh.sha256.slice(0, 16)}`);
  }
  printUnknown(s.unknownEntries);
}

/** Entries this memarc does not know: skipped unread, and said so (they are covered by no checksum). */
export function printUnknown(entries: ArchiveSummary['unknownEntries']): void {
  if (entries.length === 0) return;
  out(`unknown   ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} skipped (from a later format version? not covered by any checksum):`);
  for (const e of entries) out(`  ${e.entry}  ${e.size} bytes`);
}
