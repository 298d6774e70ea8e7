import type { IfExists } from '../../core/adapter.ts';
import { importArchive } from '../../core/import.ts';
import { describeFlags, describeSelections, restoreSink, sinksFor } from '../../core/stores.ts';
import { MemarcError } from '../../errors.ts';
import { openInput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { s3Options, type S3Flags } from '../options.ts';
import { log, out, printJson, progress } from '../output.ts';
import { limits, type LimitFlags } from './inspect.ts';

export interface TargetFlags {
  ifExists: IfExists;
  rename?: Record<string, string>;
  dryRun?: boolean;
  /** The stores' options (src/adapters/registry.ts), by option key. */
  [store: string]: unknown;
}

export async function importCommand({ g, signal, registry }: CommandContext, location: string, flags: TargetFlags & S3Flags & LimitFlags & { resume?: boolean; rollback?: boolean; stateDir?: string; readerThread?: boolean }): Promise<void> {
  const say = (m: string) => log(g, m);
  if (flags.rollback && (flags.resume || flags.dryRun)) throw new MemarcError('USAGE', '--rollback cannot be combined with --resume or --dry-run');
  const sinks = await sinksFor(registry, flags, { env: process.env, log: say, ifExists: flags.ifExists, ...(flags.rename ? { rename: flags.rename } : {}) });
  if (sinks.size === 0) throw new MemarcError('USAGE', 'no target to import into', { hint: `name a target: ${describeFlags(registry, 'sink')}` });
  const p = progress(g, flags.dryRun ? 'dry run' : 'import');
  const result = await importArchive({
    input: await openInput(location, { signal, s3: s3Options(flags) }),
    // Each dataset goes to the store that restores its kind; a kind no store of this build
    // restores is refused from the header, before any target is touched.
    sink: restoreSink(registry, sinks),
    resume: Boolean(flags.resume),
    rollback: Boolean(flags.rollback),
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    dryRun: Boolean(flags.dryRun),
    signal,
    log: say,
    reader: limits(flags),
    readerThread: Boolean(flags.readerThread),
    onRecords: (n) => p.records(n),
  });
  p.done();
  if (result.rolledBack) {
    if (g.json) printJson({ ok: true, archive: location, rolledBack: result.rolledBack, skipped: result.skipped });
    else for (const r of result.rolledBack) out(`rolled back ${r}`);
    return;
  }
  if (result.datasets.length === 0) {
    throw new MemarcError('USAGE', `no dataset of the archive was selected or had a target (skipped: ${result.skipped.join(', ') || 'none'})`, {
      hint: `check ${describeSelections(registry)} and name a target (${describeFlags(registry, 'sink')}) for the kinds the archive holds (memarc inspect lists them)`,
    });
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
