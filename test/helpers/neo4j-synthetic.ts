/**
 * The synthetic graph (src/adapters/synthetic) as a Neo4j graph: native store `neo4j`, and its
 * FalkorDB-only values in the types Neo4j has (a vecf32 becomes a list of doubles, the float32
 * values widened exactly), so that a restore into Neo4j is exact and digests like the archive.
 */
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import type { DatasetSource, Source } from '../../src/core/adapter.ts';
import { decodeF32, typedDouble, type RecordByKind, type RecordKind, type TypedValue } from '../../src/format/records.ts';

function neo4jValue(v: TypedValue): TypedValue {
  if (Array.isArray(v)) return v.map(neo4jValue);
  if (v && typeof v === 'object' && 'vecf32' in v) return Array.from(decodeF32(v.vecf32), (x) => typedDouble(x));
  return v;
}

export function neo4jSyntheticSource(opts: { count: number; seed: number; graph: string }): Source {
  const inner = syntheticSource({ count: opts.count, seed: opts.seed, dim: 8, edgesPerNode: 2, batchSize: 50, datasets: ['graph'], graph: opts.graph });
  return {
    async open() {
      const [g] = (await inner.open()) as [DatasetSource];
      return [{
        descriptor: { ...g.descriptor, kind: 'neo4j.graph', store: 'neo4j', fingerprint: { indexes: [], constraints: [] }, source: { type: 'neo4j' } },
        async *batches<K extends RecordKind>(kind: K): AsyncGenerator<RecordByKind[K][]> {
          for await (const b of g.batches(kind)) {
            yield b.map((r) => ({ ...r, props: Object.fromEntries(Object.entries((r as { props: Record<string, TypedValue> }).props).map(([k, v]) => [k, neo4jValue(v)])) })) as RecordByKind[K][];
          }
        },
      }];
    },
    close: () => inner.close(),
  };
}
