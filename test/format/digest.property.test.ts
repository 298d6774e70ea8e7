/**
 * The content digest is order-independent and multiset-sensitive: permuting records keeps it,
 * duplicating or dropping one changes it. Graph digests ignore the archive's node keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetDigest } from '../../src/format/digest.ts';
import type { AnyRecord, EdgeRecord, NodeKey, NodeRecord, RecordKind } from '../../src/format/records.ts';
import { graph, point, type Graph } from './arbitraries.ts';
import { writeArchive } from './support.ts';

function digest(parts: Array<[RecordKind, readonly AnyRecord[]]>): string {
  const d = new DatasetDigest();
  for (const [kind, recs] of parts) for (const r of recs) d.add(kind, r);
  return d.hex();
}

const graphDigest = (g: Graph) => digest([['node', g.nodes], ['edge', g.edges]]);

/** A list with a permutation of it. */
const withPermutation = <T>(arb: fc.Arbitrary<T[]>) => arb.chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length })));

const points = fc.array(point, { minLength: 1, maxLength: 12 });
/** An archive holds each point id once (spec 6.1), so the writer refuses repeated ids. */
const uniquePoints = fc.uniqueArray(point, { minLength: 1, maxLength: 12, selector: (p) => (typeof p.id === 'string' ? p.id.toLowerCase() : String(p.id)) });
const nonEmptyGraph = graph.filter((g) => g.nodes.length > 0);

describe('content digest (property)', () => {
  it('does not depend on the order of points', () => {
    fc.assert(
      fc.property(withPermutation(points), ([a, b]) => {
        expect(digest([['point', b]])).toBe(digest([['point', a]]));
      }),
    );
  });

  it('changes when a point is duplicated or dropped', () => {
    fc.assert(
      fc.property(points, fc.nat(), (ps, n) => {
        const i = n % ps.length;
        const base = digest([['point', ps]]);
        expect(digest([['point', [...ps, ps[i]!]]])).not.toBe(base);
        expect(digest([['point', ps.filter((_, j) => j !== i)]])).not.toBe(base);
      }),
    );
  });

  it('does not depend on the order of nodes or of edges', () => {
    fc.assert(
      fc.property(nonEmptyGraph.chain((g) => fc.tuple(fc.constant(g), fc.shuffledSubarray(g.nodes, { minLength: g.nodes.length, maxLength: g.nodes.length }), fc.shuffledSubarray(g.edges, { minLength: g.edges.length, maxLength: g.edges.length }))), ([g, nodes, edges]) => {
        expect(graphDigest({ nodes, edges })).toBe(graphDigest(g));
      }),
    );
  });

  it('does not depend on the node keys, only on what they link', () => {
    fc.assert(
      fc.property(nonEmptyGraph, fc.integer({ min: 1, max: 1000 }), (g, shift) => {
        const rekey = new Map<NodeKey, NodeKey>(g.nodes.map((n, i) => [n.key, `renamed-${i * shift}`]));
        const nodes: NodeRecord[] = g.nodes.map((n) => ({ ...n, key: rekey.get(n.key)! }));
        const edges: EdgeRecord[] = g.edges.map((e) => ({ ...e, src: rekey.get(e.src)!, dst: rekey.get(e.dst)! }));
        expect(graphDigest({ nodes, edges })).toBe(graphDigest(g));
      }),
    );
  });

  it('is the same whether node keys are dense ids (stored by address) or sparse ones (stored in a map)', () => {
    fc.assert(
      fc.property(nonEmptyGraph, (g) => {
        const rekeyed = (key: (i: number) => NodeKey): Graph => {
          const to = new Map<NodeKey, NodeKey>(g.nodes.map((n, i) => [n.key, key(i)]));
          return { nodes: g.nodes.map((n) => ({ ...n, key: to.get(n.key)! })), edges: g.edges.map((e) => ({ ...e, src: to.get(e.src)!, dst: to.get(e.dst)! })) };
        };
        const dense = graphDigest(rekeyed((i) => i));
        expect(graphDigest(rekeyed((i) => i * 1_000_003 + 70_000))).toBe(dense);
        expect(graphDigest(rekeyed((i) => (i % 2 ? i : i * 1_000_003 + 70_000)))).toBe(dense);
        expect(dense).toBe(graphDigest(g));
      }),
    );
  });

  it('refuses a repeated node key whether it was stored by address or in the map', () => {
    const node = (key: NodeKey): NodeRecord => ({ key, labels: ['L'], props: {} });
    const d = new DatasetDigest();
    // 200,000 is beyond the dense bound while there are few nodes: it goes to the map …
    d.add('node', node(200_000));
    for (let i = 0; i < 60_000; i++) d.add('node', node(i));
    // … and is refused again once the bound (4 × nodes) has grown past it; so is a dense key.
    expect(() => d.add('node', node(200_000))).toThrow(/node key 200000 is used by two nodes/);
    expect(() => d.add('node', node(59_999n))).toThrow(/node key 59999 is used by two nodes/);
    // A key of the map whose low 32 bits are a dense key's is not that key.
    d.add('node', node(2 ** 33 + 2));
    d.add('edge', { src: 2 ** 33 + 2, dst: 2, type: 'T', props: {} } as EdgeRecord);
    d.add('edge', { src: 200_000, dst: 59_999, type: 'T', props: {} } as EdgeRecord);
    expect(() => d.add('edge', { src: 60_000, dst: 0, type: 'T', props: {} } as EdgeRecord)).toThrow(/edge endpoint 60000/);
  });

  it('changes when a node or an edge is duplicated or dropped', () => {
    fc.assert(
      fc.property(nonEmptyGraph, fc.nat(), (g, n) => {
        const base = graphDigest(g);
        const i = n % g.nodes.length;
        // A node is dropped only if no edge needs it (otherwise the digest refuses the edge).
        const lonely = g.nodes.filter((x) => !g.edges.some((e) => e.src === x.key || e.dst === x.key));
        if (lonely.length) expect(graphDigest({ nodes: g.nodes.filter((x) => x !== lonely[0]), edges: g.edges })).not.toBe(base);
        expect(digest([['node', [...g.nodes, { ...g.nodes[i]!, key: '__duplicate__' }]], ['edge', g.edges]])).not.toBe(base);
        if (g.edges.length) {
          const j = n % g.edges.length;
          expect(graphDigest({ nodes: g.nodes, edges: [...g.edges, g.edges[j]!] })).not.toBe(base);
          expect(graphDigest({ nodes: g.nodes, edges: g.edges.filter((_, k) => k !== j) })).not.toBe(base);
        }
      }),
    );
  });

  it('is the same in the trailers of archives written from permuted input', async () => {
    await fc.assert(
      fc.asyncProperty(withPermutation(uniquePoints), fc.integer({ min: 1, max: 3 }), async ([a, b], cap) => {
        const ds = [{ name: 'c', kind: 'qdrant.collection' as const, fingerprint: {}, source: {} }];
        const wa = await writeArchive(ds, [{ dataset: 1, kind: 'point', batches: [a] }], { shardMaxRecords: cap });
        const wb = await writeArchive(ds, [{ dataset: 1, kind: 'point', batches: [b] }], { shardMaxRecords: 4 - cap });
        expect(wb.writer.trailer!.datasets[0]!.digest).toBe(wa.writer.trailer!.datasets[0]!.digest);
        expect(wa.writer.trailer!.datasets[0]!.digest).toBe(digest([['point', a]]));
      }),
      { numRuns: 40 },
    );
  });

  it('adds up: digests of disjoint parts sum to the digest of the whole', () => {
    fc.assert(
      fc.property(points, fc.nat(), (ps, n) => {
        const cut = n % (ps.length + 1);
        const whole = new DatasetDigest();
        whole.addDigest(digest([['point', ps.slice(0, cut)]]));
        whole.addDigest(digest([['point', ps.slice(cut)]]));
        expect(whole.hex()).toBe(digest([['point', ps]]));
      }),
    );
  });
});
