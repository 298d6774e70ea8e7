#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=25
/**
 * The memarc command line. It only parses and dispatches: every command is a library function of
 * the same name (src/index.ts), imported lazily so `memarc inspect` never loads an AWS SDK or a
 * store client. The stores, their options and their URL schemes come from the registry.
 */
import { REGISTRY } from '../adapters/registry.ts';
import type { Registry } from '../core/stores.ts';
import { EXIT_CODES, MemarcError, isMemarcError } from '../errors.ts';
import { releaseBetweenSections } from '../format/collect.ts';
import { reportError, stdoutBroken, type GlobalOptions } from './output.ts';
import { buildProgram, type Runner } from './program.ts';

export interface CommandContext {
  g: GlobalOptions;
  signal: AbortSignal;
  /** The stores of this build (a test passes fewer). */
  registry: Registry;
}

// This process runs one job: it gives V8's kept pages back between the job's sections.
releaseBetweenSections(true);

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // A second signal is the user insisting: the only exit that skips cleanup, and it says so.
    if (++interrupts > 1) {
      process.stderr.write('memarc: interrupted again: quitting before cleanup finished (a temporary file, an S3 upload or a store\'s temporary copy may be left; the next run or the bucket lifecycle rule removes it)\n');
      process.exit(EXIT_CODES.INTERRUPTED);
    }
    controller.abort(new MemarcError('INTERRUPTED', `interrupted by ${sig}`, { hint: 'nothing was left half-written; run the command again' }));
  });
}

const run: Runner = (load) => {
  return async (...args) => {
    const g = program.opts<GlobalOptions>();
    try {
      const fn = await load();
      await fn({ g, signal: controller.signal, registry: REGISTRY }, ...args);
      if (stdoutBroken()) process.exitCode = EXIT_CODES.BROKEN_PIPE;
    } catch (err) {
      // An import reports an interrupt itself, saying what it kept or rolled back.
      const reason = isMemarcError(err, 'INTERRUPTED') || !controller.signal.aborted ? err : controller.signal.reason;
      process.exitCode = reportError(g, reason instanceof MemarcError ? reason : err);
    }
  };
};

const program = buildProgram(REGISTRY, run);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(program.opts<GlobalOptions>(), err);
});
