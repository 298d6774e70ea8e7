/**
 * How the CLI talks: results on stdout (human text, or one JSON document with --json), progress
 * and logs on stderr (progress only on a TTY unless --progress), errors as a message plus a hint
 * and the documented exit code. A closed stdout (`| head`) ends the command quietly with 141, after
 * its cleanup ran.
 */
import { EXIT_CODES, MemarcError, exitCodeOf } from '../errors.ts';

export interface GlobalOptions {
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

let stdoutClosed = false;
// No process.exit here: a command whose stdout closes (`memarc export -o - | head`) must still
// run its abort and close path (a multipart upload aborted, a source's temporary copies deleted).
// The export's output stream sees the same EPIPE and fails with BROKEN_PIPE; other commands stop
// printing, finish, and exit with 141 (see exitCodeAfter).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  stdoutClosed = true;
  if (err.code !== 'EPIPE') process.stderr.write(`memarc: cannot write to standard output: ${err.message}\n`);
});

/** Whether standard output was closed by its reader. */
export function stdoutBroken(): boolean {
  return stdoutClosed;
}

export function out(text: string): void {
  if (!stdoutClosed) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
}

export function log(g: GlobalOptions, msg: string): void {
  if (!g.quiet) process.stderr.write(`memarc: ${msg}\n`);
}

export interface Progress {
  records(n: number): void;
  bytes(n: number): void;
  done(): void;
}

export function progress(g: GlobalOptions, label: string): Progress {
  const enabled = g.progress ?? (process.stderr.isTTY === true && !g.quiet);
  let records = 0;
  let bytes = 0;
  let last = 0;
  const started = Date.now();
  const draw = (force = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? Math.round(records / secs) : 0;
    process.stderr.write(`\r${label}: ${records.toLocaleString('en-US')} records, ${(bytes / 1048576).toFixed(1)} MiB, ${rate.toLocaleString('en-US')} rec/s, ${secs.toFixed(1)} s   `);
  };
  return {
    records(n) {
      records += n;
      draw();
    },
    bytes(n) {
      bytes += n;
      draw();
    },
    done() {
      if (enabled) {
        draw(true);
        process.stderr.write('\n');
      }
    },
  };
}

/** Prints an error the documented way and returns the exit code. */
export function reportError(g: GlobalOptions, err: unknown): number {
  const code = exitCodeOf(err);
  if (code === EXIT_CODES.BROKEN_PIPE) return code;
  const e = err instanceof MemarcError ? err : null;
  if (g.json) {
    printJson({ ok: false, error: e ? e.toJSON() : { code: 'INTERNAL', exitCode: code, message: (err as Error)?.message ?? String(err) } });
  }
  if (e) {
    process.stderr.write(`memarc: error ${e.code}: ${e.message}\n`);
    if (e.hint) process.stderr.write(`memarc: hint: ${e.hint}\n`);
  } else {
    process.stderr.write(`memarc: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  return code;
}
