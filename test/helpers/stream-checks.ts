/** Shared by the stream-compliance tests: no hang, and no unhandled rejection left behind. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect } from 'vitest';

/** Rejects when `p` has not settled within `ms`: a hang fails the test instead of timing it out. */
export function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`did not settle within ${ms} ms (hang)`)))]);
}

/** Fails every test of the file that leaves an unhandled rejection behind. */
export function failOnUnhandledRejections(): void {
  let unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await sleep(50);
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
}
