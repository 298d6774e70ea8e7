import { exportArchive } from '../../core/export.ts';
import { describeFlags, sourcesFor } from '../../core/stores.ts';
import { MemarcError } from '../../errors.ts';
import { openOutput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { s3Options, type S3Flags } from '../options.ts';
import { log, out, printJson, progress } from '../output.ts';

export interface ExportFlags extends S3Flags {
  output: string;
  force?: boolean;
  shardMaxBytes?: number;
  shardMaxRecords?: number;
  gzipLevel?: number;
  /** The stores' options (src/adapters/registry.ts), by option key. */
  [store: string]: unknown;
}

export async function exportCommand({ g, signal, registry }: CommandContext, flags: ExportFlags): Promise<void> {
  const say = (m: string) => log(g, m);
  // As gzip does: binary data on a terminal is garbage at best and terminal escapes at worst.
  if (flags.output === '-' && process.stdout.isTTY) {
    throw new MemarcError('USAGE', 'refusing to write an archive to a terminal', {
      hint: 'write it to a file or S3 (-o backup.memarc, -o s3://bucket/key), or redirect or pipe standard output (> backup.memarc, | ssh host "cat > backup.memarc")',
    });
  }
  const sources = await sourcesFor(registry, flags, { env: process.env, log: say });
  if (sources.length === 0) throw new MemarcError('USAGE', 'nothing to export', { hint: `name a source: ${describeFlags(registry, 'source')}` });
  const output = await openOutput(flags.output, { force: Boolean(flags.force), signal, s3: s3Options(flags) });
  const p = progress(g, 'export');
  const { trailer } = await exportArchive({
    sources,
    output,
    signal,
    ...(flags.shardMaxBytes !== undefined ? { shardMaxRawBytes: flags.shardMaxBytes } : {}),
    ...(flags.shardMaxRecords !== undefined ? { shardMaxRecords: flags.shardMaxRecords } : {}),
    ...(flags.gzipLevel !== undefined ? { gzipLevel: flags.gzipLevel } : {}),
    onShard: (s) => {
      p.records(s.records);
      p.bytes(s.size);
    },
  });
  p.done();
  const toStdout = flags.output === '-';
  if (g.json && !toStdout) printJson({ ok: true, output: flags.output, totals: trailer.totals, datasets: trailer.datasets });
  else if (!toStdout) out(`exported ${trailer.totals.records} records in ${trailer.totals.shards} shards to ${flags.output}`);
  else say(`exported ${trailer.totals.records} records in ${trailer.totals.shards} shards to stdout`);
}
