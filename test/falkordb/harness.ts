/** Drives the FalkorDB source and sink directly (no archive in between) for the tests and the bench. */
import { Redis } from 'ioredis';
import type { CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, Sink, SinkContext } from '../../src/core/adapter.ts';
import { Checkpoints, stateDir } from '../../src/core/checkpoint.ts';
import { commitOne } from '../../src/core/restore.ts';
import { canonicalJson } from '../../src/format/canonical.ts';
import { DatasetDigest, normKey } from '../../src/format/digest.ts';
import type { EdgeRecord, Json, NodeRecord } from '../../src/format/records.ts';
import { falkordbSource, type FalkorSourceOptions } from '../../src/adapters/falkordb/index.ts';

export interface Exported {
  descriptor: DatasetDescriptor;
  nodes: NodeRecord[];
  edges: EdgeRecord[];
  totals: DatasetTotals;
}

export async function exportGraphs(opts: FalkorSourceOptions): Promise<Exported[]> {
  const src = falkordbSource(opts);
  try {
    const out: Exported[] = [];
    for (const ds of await src.open()) {
      const nodes: NodeRecord[] = [];
      const edges: EdgeRecord[] = [];
      for await (const b of ds.batches('node')) nodes.push(...b);
      for await (const b of ds.batches('edge')) edges.push(...b);
      const d = new DatasetDigest();
      for (const n of nodes) d.add('node', n);
      for (const e of edges) d.add('edge', e);
      out.push({ descriptor: ds.descriptor, nodes, edges, totals: { records: { node: nodes.length, edge: edges.length }, digest: d.hex() } });
    }
    return out;
  } finally {
    await src.close();
  }
}

export async function exportGraph(url: string, graph: string, extra: Partial<FalkorSourceOptions> = {}): Promise<Exported> {
  const [x] = await exportGraphs({ url, graphs: [graph], ...extra });
  return x!;
}

export interface LoadPlan {
  /** Records per shard. */
  shardSize?: number;
  /** Stop (simulate a crash: no abort, no commit) after this many write() calls. */
  crashAfterWrites?: number;
  /** Records per write() call. */
  writeSize?: number;
}

export function ctx(runId: string, over: Partial<SinkContext> = {}): SinkContext {
  return { runId, resume: false, dryRun: false, checkpoints: new Checkpoints(stateDir(), runId), ...over };
}

/** Feeds an export into a sink the way the import core does: shards of nodes, then of edges. */
export async function load(sink: Sink, x: Exported, c: SinkContext, plan: LoadPlan = {}): Promise<{ ds: DatasetSink | null; crashed: boolean; report?: CommitReport }> {
  const ds = await sink.dataset(x.descriptor);
  if (!ds) return { ds, crashed: false };
  const shardSize = plan.shardSize ?? 1000;
  const writeSize = plan.writeSize ?? shardSize;
  let writes = 0;
  try {
    const opened = await ds.open(x.descriptor, c);
    const done = new Set(opened?.done ?? []);
    for (const kind of ['node', 'edge'] as const) {
      const recs = kind === 'node' ? x.nodes : x.edges;
      for (let s = 0, seq = 0; s < recs.length; s += shardSize, seq++) {
        const entry = `${x.descriptor.name}/${kind}-${String(seq).padStart(6, '0')}.ndjson.gz`;
        const shard = recs.slice(s, s + shardSize);
        if (done.has(entry)) continue;
        for (let w = 0; w < shard.length; w += writeSize) {
          if (plan.crashAfterWrites !== undefined && writes >= plan.crashAfterWrites) return { ds, crashed: true };
          await ds.write(kind, shard.slice(w, w + writeSize) as never);
          writes++;
        }
        await ds.shardDone({ entry, kind, seq, records: shard.length });
      }
    }
    const report = await commitOne(x.descriptor.name, ds, x.totals);
    return { ds, crashed: false, report };
  } catch (err) {
    await ds.abort(err);
    throw err;
  }
}

/** Order-free content of a graph: node contents and edges by endpoint contents (keys dropped). */
export function content(x: Pick<Exported, 'nodes' | 'edges'>): { nodes: string[]; edges: string[] } {
  const byKey = new Map<number | string | bigint, string>();
  const nodes = x.nodes.map((n) => {
    const c = canonicalJson({ labels: [...n.labels].sort(), props: n.props } as unknown as Json);
    byKey.set(normKey(n.key), c);
    return c;
  });
  const edges = x.edges.map((e) => canonicalJson({ type: e.type, props: e.props, src: byKey.get(normKey(e.src)) ?? null, dst: byKey.get(normKey(e.dst)) ?? null } as unknown as Json));
  return { nodes: nodes.sort(), edges: edges.sort() };
}

export function redis(url: string): Redis {
  return new Redis(url, { stringNumbers: true, lazyConnect: false, maxRetriesPerRequest: 1 });
}

export async function q(r: Redis, graph: string, cypher: string): Promise<unknown> {
  return r.call('GRAPH.QUERY', graph, cypher, '--compact');
}
