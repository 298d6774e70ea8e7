import { migrate } from '../../core/migrate.ts';
import { migrateEnds } from '../../core/stores.ts';
import type { CommandContext } from '../main.ts';
import { log, out, printJson, progress } from '../output.ts';
import type { TargetFlags } from './import.ts';

export interface MigrateFlags extends TargetFlags {
  from: string;
  to: string;
}

/**
 * The URL schemes of --from and --to pick the store (src/adapters/registry.ts). Each side's
 * credentials come from its own MEMARC_FROM_* / MEMARC_TO_* variables and are handed to the
 * adapter as parameters; process.env is never rewritten (a rewrite would leak the source's
 * credential into anything that reads the environment later, such as the target's client).
 */
export async function migrateCommand({ g, signal, registry }: CommandContext, flags: MigrateFlags): Promise<void> {
  const say = (m: string) => log(g, m);
  const { source, sink } = await migrateEnds(registry, {
    from: flags.from,
    to: flags.to,
    flags,
    env: process.env,
    log: say,
    ifExists: flags.ifExists,
    ...(flags.rename ? { rename: flags.rename } : {}),
  });
  const p = progress(g, flags.dryRun ? 'dry run' : 'migrate');
  const result = await migrate({ source, sink, dryRun: Boolean(flags.dryRun), signal, log: say, onRecords: (n) => p.records(n) });
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
