import type { Source } from '../../core/adapter.ts';
import { combineSinks } from '../../core/combine.ts';
import { migrate } from '../../core/migrate.ts';
import { MemarcError } from '../../errors.ts';
import type { CommandContext } from '../main.ts';
import { log, out, printJson, progress } from '../output.ts';
import { sourcesFrom } from './export.ts';
import { sinksFrom, type TargetFlags } from './import.ts';

export interface MigrateFlags extends Omit<TargetFlags, 'qdrant' | 'falkordb'> {
  from: string;
  to: string;
}

/** The store a URL names: redis:// and rediss:// are FalkorDB, http(s):// is Qdrant. */
function storeOf(url: string, which: string): { qdrant?: string; falkordb?: string } {
  if (/^rediss?:\/\//i.test(url)) return { falkordb: url };
  if (/^https?:\/\//i.test(url)) return { qdrant: url };
  throw new MemarcError('USAGE', `--${which} must be an http(s):// Qdrant URL or a redis:// FalkorDB URL`);
}

export async function migrateCommand({ g, signal }: CommandContext, flags: MigrateFlags): Promise<void> {
  const say = (m: string) => log(g, m);
  const from = storeOf(flags.from, 'from');
  const to = storeOf(flags.to, 'to');
  if (Boolean(from.qdrant) !== Boolean(to.qdrant)) throw new MemarcError('USAGE', '--from and --to must be the same kind of store (Qdrant to Qdrant, FalkorDB to FalkorDB)');
  // Source and target may need different Qdrant keys: MEMARC_FROM_QDRANT_API_KEY / MEMARC_TO_QDRANT_API_KEY, else QDRANT_API_KEY.
  const saved = process.env.QDRANT_API_KEY;
  if (process.env.MEMARC_FROM_QDRANT_API_KEY) process.env.QDRANT_API_KEY = process.env.MEMARC_FROM_QDRANT_API_KEY;
  const sources: Source[] = await sourcesFrom({ ...from, ...(flags.collections ? { collections: flags.collections } : {}), ...(flags.graphs ? { graphs: flags.graphs } : {}) }, say);
  if (saved === undefined) delete process.env.QDRANT_API_KEY;
  else process.env.QDRANT_API_KEY = saved;
  const sinks = await sinksFrom({ ...flags, ...to, collections: undefined, graphs: undefined }, say, 'MEMARC_TO_QDRANT_API_KEY');
  const p = progress(g, flags.dryRun ? 'dry run' : 'migrate');
  const result = await migrate({ source: sources[0]!, sink: combineSinks(sinks), dryRun: Boolean(flags.dryRun), signal, log: say, onRecords: (n) => p.records(n) });
  p.done();
  if (g.json) {
    printJson({ ok: true, dryRun: Boolean(flags.dryRun), datasets: result.datasets, skipped: result.skipped });
    return;
  }
  for (const d of result.datasets) {
    out(`${flags.dryRun ? 'would migrate' : 'migrated'} ${d.dataset} → ${d.target}: ${Object.entries(d.records).map(([k, n]) => `${n} ${k}s`).join(', ')}, digest ${d.digest}`);
    for (const a of d.actions) out(`  ${a}`);
  }
}
