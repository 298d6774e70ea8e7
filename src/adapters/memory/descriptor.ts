/**
 * The memory sink as the registry sees it (src/core/descriptor.ts). memorySink() digests datasets
 * of any kind, but only the library and the demo build it: it has no option, scheme or factory,
 * so the CLI never restores into it and it never stands in for a missing adapter.
 */
import type { StoreDescriptor } from '../../core/descriptor.ts';

export const memoryDescriptor: StoreDescriptor = {
  name: 'memory',
  title: 'memory',
  schemes: [],
  env: [],
  datasets: [],
  options: [],
};
