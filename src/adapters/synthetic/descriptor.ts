/**
 * The synthetic store as the CLI sees it (src/core/descriptor.ts): `export --synthetic N [--dim D]`
 * adds a generated memory store to an archive (trials and benchmarks). It has no server, so no
 * URL scheme, and it restores nothing.
 */
import type { StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';

export const syntheticDescriptor: StoreDescriptor = {
  name: 'synthetic',
  title: 'synthetic',
  schemes: [],
  env: [],
  datasets: [
    { kind: 'qdrant.collection', family: 'vectors', noun: 'collections', reads: true, writes: false },
    { kind: 'falkordb.graph', family: 'graph', noun: 'graphs', reads: true, writes: false },
  ],
  flag: '--synthetic <count>',
  options: [
    { flags: '--synthetic <count>', help: 'also export a synthetic memory store of <count> memories (trials and benchmarks)', commands: ['export'], value: { type: 'count', min: 0 } },
    { flags: '--dim <n>', help: 'vector dimension of --synthetic', commands: ['export'], value: { type: 'count', min: 1, max: 65_536 }, default: 768 },
  ],
  async source(req: StoreRequest) {
    const count = req.options.synthetic as number | undefined;
    if (count === undefined) return null;
    const { syntheticSource } = await import('./index.ts');
    return syntheticSource({ count, dim: (req.options.dim as number | undefined) ?? 768 });
  },
};
