/** One sink over several stores: each dataset goes to the first sink that takes its kind. */
import type { Sink } from './adapter.ts';

export function combineSinks(sinks: Sink[]): Sink {
  return {
    async dataset(descriptor) {
      for (const s of sinks) {
        const d = await s.dataset(descriptor);
        if (d) return d;
      }
      return null;
    },
    async close() {
      for (const s of sinks) await s.close().catch(() => {});
    },
  };
}
