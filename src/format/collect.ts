/**
 * Keeps the garbage of big records from piling up (the writer counts each batch it wrote too).
 * Parsing a large line allocates tens of MiB that die as soon as the line is checked; V8
 * collects its old generation only when it has grown by a factor of what survived the last
 * collection, so several such lines in a row stacked up
 * before one was collected: 16 records of 500,000 values each reached 330 MiB of RSS, where one
 * costs about 60 MiB (bench/RESULTS.md, "Hostile archives"). So the reader counts what big lines
 * may have left behind and asks for a major collection once that reaches GARBAGE_BUDGET, nothing
 * for ordinary records (lines under 16 KiB are not counted).
 *
 * `gc` is V8's own collector, exposed at run time (the flag must be set before the function is
 * looked up in a new context); where that fails, reading works the same with V8's own timing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

const GARBAGE_BUDGET = 16 * 1024 * 1024;

type Collect = (opts?: { type: 'major' | 'minor'; execution: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let collect: Collect | null | undefined;
let pending = 0;

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as Collect;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Notes that about `bytes` of garbage were just left behind; collects when the budget is reached. */
export function leftGarbage(bytes: number): void {
  pending += bytes;
  if (pending < GARBAGE_BUDGET) return;
  pending = 0;
  collector()?.({ type: 'major', execution: 'async' });
}

/**
 * A full collection that also gives back the pages V8 keeps for reuse. After an ordinary major
 * collection V8 keeps every page it freed mapped and resident, for its next allocations, so a
 * process's RSS stays at its highest heap so far: a collection phase's heap stayed resident under
 * the graph phase after it, whose own memory came on top (the whole job's 1 M import and migrate
 * peaks, bench/RESULTS.md). The "last-resort" kind of collection releases them (in a probe: RSS
 * 126 → 61 MiB for a heap of 12 MiB). It costs one full collection of what is live.
 */
export function releaseMemory(): void {
  pending = 0;
  collector()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

let releasing = false;

/**
 * Whether jobs call releaseMemory between their sections. The CLI turns it on: its process runs
 * one job and nothing else, on a small heap (about 120 ms a release with 43 MiB live). Off by
 * default, for a library host: a last-resort collection walks the host's whole heap, and in the
 * test runner's processes the releases cost 25 % more test time (43.4 s against 34.8 s).
 */
export function releaseBetweenSections(on: boolean): void {
  releasing = on;
}

/** Where a job starts a new kind of work (a read-back after the load): releases when turned on. */
export function betweenSections(): void {
  if (releasing) releaseMemory();
}

/**
 * The sections of one job (a dataset's records of one kind, named by `key`): entering a section
 * other than the current one is a boundary (`onBoundary`, betweenSections by default); the first
 * is not.
 */
export class Sections {
  private current: string | undefined;
  private readonly onBoundary: () => void;

  constructor(onBoundary: () => void = betweenSections) {
    this.onBoundary = onBoundary;
  }

  enter(key: string): void {
    if (key === this.current) return;
    if (this.current !== undefined) this.onBoundary();
    this.current = key;
  }
}
