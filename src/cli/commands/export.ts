import { syntheticSource } from '../../adapters/synthetic/index.ts';
import type { Source } from '../../core/adapter.ts';
import { exportArchive } from '../../core/export.ts';
import { MemarcError } from '../../errors.ts';
import { openOutput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { falkordbFlags, falkordbUrl, qdrantUrl, s3Options, type S3Flags, type StoreFlags } from '../options.ts';
import { log, out, printJson, progress } from '../output.ts';

export interface ExportFlags extends S3Flags, StoreFlags {
  output: string;
  synthetic?: number;
  dim: number;
  force?: boolean;
  shardMaxBytes?: number;
  shardMaxRecords?: number;
  gzipLevel?: number;
}

/** Credentials for the stores, passed down as parameters (never through process.env). */
export interface StoreCredentials {
  qdrantApiKey?: string | undefined;
}

export async function sourcesFrom(flags: StoreFlags & { synthetic?: number; dim?: number }, say: (m: string) => void, creds: StoreCredentials = { qdrantApiKey: process.env.QDRANT_API_KEY }): Promise<Source[]> {
  const sources: Source[] = [];
  const q = qdrantUrl(flags.qdrant);
  if (q) {
    const { qdrantSource } = await import('../../adapters/qdrant/index.ts');
    const apiKey = creds.qdrantApiKey;
    sources.push(qdrantSource({ url: q, ...(apiKey ? { apiKey } : {}), ...(flags.collections ? { collections: flags.collections } : {}), log: say }));
  }
  const f = await falkordbUrl(flags.falkordb);
  if (f) {
    const { falkordbSource } = await import('../../adapters/falkordb/index.ts');
    sources.push(falkordbSource({ url: f, ...(flags.graphs ? { graphs: flags.graphs } : {}), ...falkordbFlags(flags), log: say }));
  }
  if (flags.synthetic !== undefined) sources.push(syntheticSource({ count: flags.synthetic, dim: flags.dim ?? 768 }));
  return sources;
}

export async function exportCommand({ g, signal }: CommandContext, flags: ExportFlags): Promise<void> {
  const say = (m: string) => log(g, m);
  // As gzip does: binary data on a terminal is garbage at best and terminal escapes at worst.
  if (flags.output === '-' && process.stdout.isTTY) {
    throw new MemarcError('USAGE', 'refusing to write an archive to a terminal', {
      hint: 'write it to a file or S3 (-o backup.memarc, -o s3://bucket/key), or redirect or pipe standard output (> backup.memarc, | ssh host "cat > backup.memarc")',
    });
  }
  const sources = await sourcesFrom(flags, say);
  if (sources.length === 0) throw new MemarcError('USAGE', 'nothing to export', { hint: 'name a source: --qdrant [URL], --falkordb [URL], or --synthetic N' });
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
