/**
 * The restore policy, once for every store (README, "Restore policy"; spec/ARCHITECTURE.md).
 * Import and migrate load every dataset through its sink's primitives (src/core/adapter.ts), then
 * hand them here:
 *
 * 1. verify every dataset (exact counts and content digest of what the target holds) before any is
 *    published; one failure rolls all of them back and nothing was published;
 * 2. publish them all, those whose publish can be undone first; should one fail, undo the ones
 *    already published, in reverse order, and report exactly which were published, which rolled
 *    back, and which could not be (their name and state);
 * 3. finish: drop what publish kept for undo (a previous collection or graph) and the checkpoints.
 *
 * A failure before publishing aborts every dataset: an interruption or a retriable failure of a
 * run that keeps checkpoints keeps the staging targets for `--resume` / `--rollback`, anything
 * else drops them. The error then says which it was, never "unchanged" for something that changed.
 */
import { MemarcError, isMemarcError, type ErrorCode } from '../errors.ts';
import type { CommitReport, DatasetSink, DatasetTotals } from './adapter.ts';
import { betweenSections } from '../format/collect.ts';

export interface Loaded {
  name: string;
  sink: DatasetSink;
  expected: DatasetTotals;
}

/** Failures a resumed run can get past: the archive and the target are fine, the run was cut. */
const RESUMABLE: ReadonlySet<ErrorCode> = new Set(['INTERRUPTED', 'CONNECTION_FAILED', 'TRANSPORT_FAILED']);

export function isResumable(err: unknown): boolean {
  if (!isMemarcError(err)) return false;
  if (RESUMABLE.has(err.code)) return true;
  return err.code === 'STORE_ERROR' && err.context.retriable === true;
}

/**
 * Aborts every unpublished dataset sink and returns the error to throw: the original one, with a
 * hint that says what was kept (and how to go on) or what was rolled back.
 */
export async function abortAll(sinks: Array<{ name: string; sink: DatasetSink }>, err: unknown, keepAllowed: boolean, log?: (m: string) => void): Promise<unknown> {
  const keep = keepAllowed && isResumable(err);
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const s of sinks) {
    const o = await s.sink.abort(err, keep);
    log?.(o.message);
    (o.kept ? kept : dropped).push(`${s.name}: ${o.message}`);
  }
  if (!isMemarcError(err) || sinks.length === 0) return err;
  if (kept.length > 0) {
    return new MemarcError(err.code, err.message, {
      hint: `nothing was published. This run's staging data and checkpoint were kept (${kept.join('; ')}). Run the same command again with --resume to continue, or with --rollback to drop what it left`,
      cause: err,
      context: { ...err.context, kept, rolledBack: dropped },
    });
  }
  return new MemarcError(err.code, err.message, {
    hint: `${err.hint ? err.hint + '. ' : ''}Nothing was published; rolled back: ${dropped.join('; ')}`,
    cause: err,
    context: { ...err.context, rolledBack: dropped },
  });
}

/**
 * Verifies, publishes and finishes every loaded dataset, all or none. Throws after rolling back
 * (or naming exactly what stays published).
 */
export async function commitAll(loaded: Loaded[], log?: (m: string) => void): Promise<CommitReport[]> {
  const reports = new Map<Loaded, CommitReport>();
  try {
    for (const l of loaded) {
      betweenSections(); // each read-back starts from what is live, not from the load's pages
      reports.set(l, await l.sink.verify(l.expected));
    }
  } catch (err) {
    // A dataset whose verification failed cannot be resumed into anything better: drop all.
    throw await abortAll(loaded, err, !isMemarcError(err, 'VERIFY_FAILED'), log);
  }
  const order = [...loaded].sort((a, b) => Number(b.sink.undoable()) - Number(a.sink.undoable()));
  const published: Loaded[] = [];
  for (const [i, l] of order.entries()) {
    try {
      const r = await l.sink.publish();
      reports.get(l)!.actions.push(...r.actions);
      published.push(l);
    } catch (err) {
      const rest = order.slice(i).map((x) => ({ name: x.name, sink: x.sink }));
      const rolledBack: string[] = [];
      const stays: string[] = [];
      for (const p of [...published].reverse()) {
        try {
          rolledBack.push(`${p.name}: ${await p.sink.undo()}`);
        } catch (e) {
          stays.push(`${p.name}: ${(e as Error).message}`);
        }
      }
      const failed = await abortAll(rest, err, false, log);
      const e = isMemarcError(failed) ? failed : new MemarcError('STORE_ERROR', (err as Error).message, { cause: err });
      const what = stays.length > 0
        ? `STILL PUBLISHED (could not be undone): ${stays.join('; ')}`
        : published.length > 0 ? `the datasets published before it were put back: ${rolledBack.join('; ')}` : 'no dataset was published';
      throw new MemarcError(e.code, `publishing dataset "${l.name}" failed: ${(err as Error).message}; ${what}`, {
        hint: stays.length > 0 ? 'the datasets named STILL PUBLISHED hold the archive\'s data now; every other target is as it was' : 'every target is as it was before the run',
        cause: err,
        context: { ...e.context, dataset: l.name, published: stays.map((s) => s.split(':')[0]), rolledBack },
      });
    }
  }
  for (const l of loaded) {
    try {
      reports.get(l)!.actions.push(...(await l.sink.finish()));
    } catch (err) {
      // Published and verified: what remains is housekeeping, said but not failed on.
      reports.get(l)!.actions.push(`cleanup after publishing did not finish: ${(err as Error).message}`);
    }
  }
  return loaded.map((l) => reports.get(l)!);
}

/** One dataset through the whole policy (tests and single-dataset callers). */
export async function commitOne(name: string, sink: DatasetSink, expected: DatasetTotals): Promise<CommitReport> {
  const [r] = await commitAll([{ name, sink, expected }]);
  return r!;
}
