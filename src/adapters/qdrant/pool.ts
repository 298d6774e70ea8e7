/**
 * A bounded set of tasks in flight. `submit` waits for a free slot (backpressure for the caller),
 * the first failure is kept and rethrown by the next `submit` or `drain`, and later tasks are not
 * started once one has failed.
 */
export class TaskPool {
  private readonly limit: number;
  private readonly running = new Set<Promise<void>>();
  private failure: { err: unknown } | null = null;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  private check(): void {
    if (this.failure) throw this.failure.err;
  }

  async submit(task: () => Promise<void>): Promise<void> {
    this.check();
    while (this.running.size >= this.limit) {
      await Promise.race(this.running);
      this.check();
    }
    const p: Promise<void> = task()
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.check();
  }

  /** Waits for every task and ignores failures (for rollback). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
