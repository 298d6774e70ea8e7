import { verifyArchive } from '../../core/verify.ts';
import { openInput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { s3Options, type S3Flags } from '../options.ts';
import { out, printJson, progress } from '../output.ts';
import { limits, printUnknown, type LimitFlags } from './inspect.ts';

export async function verify({ g, signal }: CommandContext, location: string, flags: LimitFlags & S3Flags): Promise<void> {
  const p = progress(g, 'verify');
  const s = await verifyArchive(await openInput(location, { signal, s3: s3Options(flags) }), { signal, ...limits(flags), onRecords: (n) => p.records(n), onBytes: (n) => p.bytes(n) });
  p.done();
  if (g.json) {
    printJson({ ok: true, archive: location, headerSha256: s.headerSha256, createdAt: s.header.createdAt, datasets: s.datasets, totals: s.trailer.totals, unknownEntries: s.unknownEntries });
    return;
  }
  out(`OK ${location}: ${s.trailer.totals.records} records in ${s.trailer.totals.shards} shards; every checksum, count and content digest agrees with the trailer`);
  for (const d of s.datasets) out(`  ${d.kind} ${d.name}: ${Object.entries(d.records).map(([k, n]) => `${n} ${k}s`).join(', ')}, digest ${d.digest}`);
  printUnknown(s.unknownEntries);
}
