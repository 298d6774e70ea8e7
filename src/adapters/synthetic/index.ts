/**
 * A deterministic synthetic memory store: one Qdrant-like collection of memories (dense vectors
 * plus payloads, mixed id kinds) and one graph of entities and relationships. The same seed gives
 * the same records, so the demo, the tests and the benchmarks can compare digests with what was
 * generated without keeping it. Generation is lazy: memory does not grow with the count.
 */
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { encodeF32, typedDouble, type EdgeRecord, type NodeRecord, type PointRecord, type RecordByKind, type RecordKind } from '../../format/records.ts';

export { syntheticDescriptor } from './descriptor.ts';
export { createOpenMemoryDb, type OpenMemoryOptions } from './openmemory.ts';

export interface SyntheticOptions {
  /** Points in the collection (and nodes in the graph, unless `nodes` is given). */
  count: number;
  dim?: number;
  nodes?: number;
  /** Edges per node, on average. */
  edgesPerNode?: number;
  seed?: number;
  batchSize?: number;
  collection?: string;
  graph?: string;
  /** Which datasets to produce. */
  datasets?: Array<'collection' | 'graph'>;
}

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['memory', 'agent', 'user', 'prefers', 'coffee', 'meeting', 'Zürich', 'project', 'deadline', 'note', '東京', 'graph', 'vector', 'restore', 'backup', "O'Brien", 'emoji 🧠', 'quote "x"', 'back\\slash', 'tab\tnew\nline'];
const TAGS = ['work', 'personal', 'preference', 'fact', 'event', 'task'];

function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function syntheticPoint(i: number, dim: number, seed: number): PointRecord {
  const rand = prng(seed * 1_000_003 + i);
  const v = new Float32Array(dim);
  let norm = 0;
  for (let j = 0; j < dim; j++) {
    v[j] = rand() * 2 - 1;
    norm += v[j]! * v[j]!;
  }
  norm = Math.sqrt(norm);
  for (let j = 0; j < dim; j++) v[j] = v[j]! / norm;
  // Mostly small integer ids, some above 2^53, some UUIDs: the id kinds Qdrant has.
  const id = i % 50 === 7 ? uuidFrom(rand) : i % 97 === 3 ? (1n << 60n) + BigInt(i) : i;
  const words = Array.from({ length: 8 + Math.floor(rand() * 24) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return {
    id,
    vectors: { '': { dense: encodeF32(v) } },
    payload: {
      content: words,
      tags: [TAGS[i % TAGS.length]!, TAGS[(i * 7) % TAGS.length]!],
      importance: Math.round(rand() * 1000) / 1000,
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      metadata: { source: 'synthetic', turn: i, nested: { deep: [1, 2, { three: 3 }] } },
    },
  };
}

export function syntheticNode(i: number, seed: number): NodeRecord {
  const rand = prng(seed * 7_000_003 + i);
  const labels = i % 3 === 0 ? ['Entity', 'Person'] : i % 3 === 1 ? ['Memory'] : ['Entity'];
  const props: NodeRecord['props'] = {
    name: `${WORDS[i % WORDS.length]} #${i}`,
    weight: typedDouble(Math.round(rand() * 1e6) / 1e3),
    count: i,
    tags: [TAGS[i % TAGS.length]!, TAGS[(i + 1) % TAGS.length]!],
  };
  // Every fifth node has no `id` property at all: its edges must survive anyway.
  if (i % 5 !== 0) props.id = `mem-${i}`;
  if (i % 11 === 0) props.big = (1n << 62n) + BigInt(i);
  if (i % 13 === 0) props.embedding = { vecf32: encodeF32([rand(), rand(), rand(), rand()]) };
  return { key: i, labels, props };
}

export function syntheticEdges(i: number, nodes: number, perNode: number, seed: number): EdgeRecord[] {
  const rand = prng(seed * 9_000_011 + i);
  const n = Math.floor(perNode) + (rand() < perNode % 1 ? 1 : 0);
  const out: EdgeRecord[] = [];
  for (let k = 0; k < n; k++) {
    const dst = k === 0 && i % 17 === 0 ? i : Math.floor(rand() * nodes); // some self-loops
    out.push({ type: k % 2 ? 'MENTIONS' : 'RELATES_TO', src: i, dst, props: { strength: typedDouble(Math.round(rand() * 100) / 100), since: 1_700_000_000 + i } });
  }
  return out;
}

export function syntheticSource(opts: SyntheticOptions): Source {
  const dim = opts.dim ?? 768;
  const seed = opts.seed ?? 1;
  const batch = opts.batchSize ?? 256;
  const nodes = opts.nodes ?? opts.count;
  const perNode = opts.edgesPerNode ?? 2;
  const which = opts.datasets ?? ['collection', 'graph'];
  const src = { type: 'synthetic', seed, count: opts.count, dim };
  const collection: DatasetSource = {
    descriptor: {
      name: opts.collection ?? 'memories',
      kind: 'qdrant.collection',
      family: 'vectors',
      store: 'qdrant',
      // Written as the Qdrant source would describe such a collection (src/adapters/qdrant/neutral.ts).
      schema: { vectors: [{ name: '', kind: 'dense', dimension: dim, distance: 'cosine', datatype: 'float32' }], payloadIndexes: [] },
      fingerprint: { params: { vectors: { size: dim, distance: 'Cosine' } }, payload_schema: {} },
      source: src,
    },
    batches: <K extends RecordKind>(kind: K) => gen(kind === 'point' ? opts.count : 0, batch, (i) => syntheticPoint(i, dim, seed)) as AsyncIterable<RecordByKind[K][]>,
  };
  const graph: DatasetSource = {
    descriptor: { name: opts.graph ?? 'memory_graph', kind: 'falkordb.graph', family: 'graph', store: 'falkordb', schema: { labels: ['Entity', 'Memory', 'Person'], edgeTypes: ['MENTIONS', 'RELATES_TO'], labelsComplete: true, indexes: [], constraints: [] }, fingerprint: { indexes: [], constraints: [] }, source: src },
    batches: <K extends RecordKind>(kind: K) =>
      (kind === 'node'
        ? gen(nodes, batch, (i) => syntheticNode(i, seed))
        : genMany(nodes, batch, (i) => syntheticEdges(i, nodes, perNode, seed))) as AsyncIterable<RecordByKind[K][]>,
  };
  return {
    async open() {
      return [...(which.includes('collection') ? [collection] : []), ...(which.includes('graph') ? [graph] : [])];
    },
    async close() {},
  };
}

async function* gen<T>(n: number, batch: number, make: (i: number) => T): AsyncGenerator<T[]> {
  for (let i = 0; i < n; i += batch) {
    const out: T[] = [];
    for (let j = i; j < Math.min(n, i + batch); j++) out.push(make(j));
    yield out;
  }
}

async function* genMany<T>(n: number, batch: number, make: (i: number) => T[]): AsyncGenerator<T[]> {
  let out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(...make(i));
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}
