import type { IfExists, Sink } from '../../core/adapter.ts';
import { combineSinks } from '../../core/combine.ts';
import { importArchive } from '../../core/import.ts';
import { MemarcError } from '../../errors.ts';
import { openInput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { falkordbUrl, qdrantUrl, s3Options, type S3Flags, type StoreFlags } from '../options.ts';
import { log, out, printJson, progress } from '../output.ts';
import type { StoreCredentials } from './export.ts';
import { limits, type LimitFlags } from './inspect.ts';

export interface TargetFlags extends StoreFlags {
  ifExists: IfExists;
  verify?: 'readback' | 'count';
  rename?: Record<string, string>;
  dryRun?: boolean;
}

export async function sinksFrom(flags: TargetFlags, say: (m: string) => void, creds: StoreCredentials = { qdrantApiKey: process.env.QDRANT_API_KEY }): Promise<Sink[]> {
  const sinks: Sink[] = [];
  const common = { ifExists: flags.ifExists, ...(flags.rename ? { rename: flags.rename } : {}), log: say };
  const q = qdrantUrl(flags.qdrant);
  if (q) {
    const { qdrantSink } = await import('../../adapters/qdrant/index.ts');
    const apiKey = creds.qdrantApiKey;
    sinks.push(qdrantSink({ url: q, ...(apiKey ? { apiKey } : {}), ...(flags.collections ? { collections: flags.collections } : {}), ...(flags.verify ? { verify: flags.verify } : {}), ...common }));
  }
  const f = await falkordbUrl(flags.falkordb);
  if (f) {
    const { falkordbSink } = await import('../../adapters/falkordb/index.ts');
    sinks.push(falkordbSink({ url: f, ...(flags.graphs ? { graphs: flags.graphs } : {}), ...(flags.timeout !== undefined ? { timeoutMs: Math.round(flags.timeout * 1000) } : {}), ...common }));
  }
  return sinks;
}

export async function importCommand({ g, signal }: CommandContext, location: string, flags: TargetFlags & S3Flags & LimitFlags & { resume?: boolean; rollback?: boolean; stateDir?: string }): Promise<void> {
  const say = (m: string) => log(g, m);
  if (flags.rollback && (flags.resume || flags.dryRun)) throw new MemarcError('USAGE', '--rollback cannot be combined with --resume or --dry-run');
  const sinks = await sinksFrom(flags, say);
  if (sinks.length === 0) throw new MemarcError('USAGE', 'no target to import into', { hint: 'name a target: --qdrant [URL] and/or --falkordb [URL]' });
  const p = progress(g, flags.dryRun ? 'dry run' : 'import');
  const result = await importArchive({
    input: await openInput(location, { signal, s3: s3Options(flags) }),
    sink: combineSinks(sinks),
    resume: Boolean(flags.resume),
    rollback: Boolean(flags.rollback),
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    dryRun: Boolean(flags.dryRun),
    signal,
    log: say,
    reader: limits(flags),
    onRecords: (n) => p.records(n),
  });
  p.done();
  if (result.rolledBack) {
    if (g.json) printJson({ ok: true, archive: location, rolledBack: result.rolledBack, skipped: result.skipped });
    else for (const r of result.rolledBack) out(`rolled back ${r}`);
    return;
  }
  if (result.datasets.length === 0) {
    throw new MemarcError('USAGE', `no dataset of the archive was selected or had a target (skipped: ${result.skipped.join(', ') || 'none'})`, { hint: 'check --collections/--graphs and give --qdrant/--falkordb for the kinds the archive holds (memarc inspect lists them)' });
  }
  if (g.json) {
    printJson({ ok: true, archive: location, dryRun: Boolean(flags.dryRun), datasets: result.datasets, skipped: result.skipped });
    return;
  }
  for (const d of result.datasets) {
    out(`${flags.dryRun ? 'would restore' : 'restored'} ${d.dataset} → ${d.target}: ${Object.entries(d.records).map(([k, n]) => `${n} ${k}s`).join(', ')}, digest ${d.digest}`);
    for (const a of d.actions) out(`  ${a}`);
  }
  for (const s of result.skipped) out(`skipped ${s}: not selected, or no target given for its kind`);
}
