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

/**
 * Source and target are usually different servers with different keys: MEMARC_FROM_QDRANT_API_KEY
 * and MEMARC_TO_QDRANT_API_KEY, each falling back to QDRANT_API_KEY. The key is handed to the
 * adapter as a parameter; process.env is never rewritten (a rewrite would leak the source key
 * into anything that reads the environment later, such as the target's client).
 */
export function migrateKey(env: NodeJS.ProcessEnv, side: 'FROM' | 'TO'): string | undefined {
  return env[`MEMARC_${side}_QDRANT_API_KEY`] || env.QDRANT_API_KEY || undefined;
}

/** A FalkorDB password from the environment goes into the URL unless the URL already has one. */
function withPassword(store: { qdrant?: string; falkordb?: string }, password: string | undefined): { qdrant?: string; falkordb?: string } {
  if (!store.falkordb || !password) return store;
  const u = new URL(store.falkordb);
  if (u.password) return store;
  u.password = password;
  return { falkordb: u.toString() };
}

export async function migrateCommand({ g, signal }: CommandContext, flags: MigrateFlags): Promise<void> {
  const say = (m: string) => log(g, m);
  const from = storeOf(flags.from, 'from');
  const to = storeOf(flags.to, 'to');
  if (Boolean(from.qdrant) !== Boolean(to.qdrant)) throw new MemarcError('USAGE', '--from and --to must be the same kind of store (Qdrant to Qdrant, FalkorDB to FalkorDB)');
  const env = process.env;
  const sources: Source[] = await sourcesFrom(
    { ...withPassword(from, env.MEMARC_FROM_FALKORDB_PASSWORD), ...(flags.collections ? { collections: flags.collections } : {}), ...(flags.graphs ? { graphs: flags.graphs } : {}) },
    say,
    { qdrantApiKey: migrateKey(env, 'FROM') },
  );
  const sinks = await sinksFrom({ ...flags, ...withPassword(to, env.MEMARC_TO_FALKORDB_PASSWORD), collections: undefined, graphs: undefined }, say, { qdrantApiKey: migrateKey(env, 'TO') });
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
