import { syntheticSource } from '../../adapters/synthetic/index.ts';
import type { Source } from '../../core/adapter.ts';
import { exportArchive } from '../../core/export.ts';
import { MemarcError } from '../../errors.ts';
import { openOutput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { log, out, printJson, progress } from '../output.ts';

export interface ExportFlags {
  output: string;
  synthetic?: number;
  dim: number;
  force?: boolean;
  shardMaxBytes?: number;
  shardMaxRecords?: number;
  gzipLevel?: number;
}

export async function exportCommand({ g, signal }: CommandContext, flags: ExportFlags): Promise<void> {
  const sources: Source[] = [];
  if (flags.synthetic !== undefined) sources.push(syntheticSource({ count: flags.synthetic, dim: flags.dim }));
  if (sources.length === 0) throw new MemarcError('USAGE', 'nothing to export', { hint: 'name a source: --qdrant URL, --falkordb URL, or --synthetic N' });
  const output = await openOutput(flags.output, { force: Boolean(flags.force), signal });
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
  else log(g, `exported ${trailer.totals.records} records in ${trailer.totals.shards} shards to stdout`);
}
