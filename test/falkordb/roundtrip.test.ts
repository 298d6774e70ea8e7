import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { falkordbSink, falkordbSource } from '../../src/adapters/falkordb/index.ts';
import { decodeF32 } from '../../src/format/records.ts';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { content, ctx, exportGraph, load, q, redis } from './harness.ts';
import { falkordbPerFile } from './per-file.ts';

let srv: FalkorServer;
let r: Redis;

falkordbPerFile(async (s, c) => {
  srv = s;
  r = c;
  // Multi-label nodes, nodes without any `id`, a self-loop, parallel edges, every property type.
  await q(r, 'full', `CREATE
    (a:Person:Agent {name: 'alice', big: 9007199254740993, neg: -9223372036854775808, d: 0.1 + 0.2, one: 1.0, negz: -0.0, tiny: 2.0^-1074, huge: 1.2345678901234567e307,
      ok: true, no: false, arr: [1, 2.5, 'x', [0.1 + 0.2, [7, 'deep']]], emb: vecf32([0.1, -2.5, 3.25]),
      loc: point({latitude: 52.52, longitude: 13.405}), at: localdatetime('2024-02-29T23:59:58'), day: date('1969-07-20'),
      t: localtime('12:34:56'), dur: duration('P1DT2H3M4S')}),
    (b:Memory {text: 'no id here', score: 0.75}),
    (c),
    (d:Memory:Tagged {id: 'has-id', text: 'second'}),
    (a)-[:KNOWS {since: 2020, w: 0.30000000000000004}]->(b),
    (a)-[:KNOWS {since: 2020, w: 0.30000000000000004}]->(b),
    (b)-[:SELF]->(b),
    (c)-[:REL]->(d),
    (d)-[:REL {v: vecf32([1.0, 2.0])}]->(a)`);
  await q(r, 'full', 'CREATE INDEX FOR (n:Memory) ON (n.text)');
  await q(r, 'full', 'CREATE INDEX FOR ()-[e:KNOWS]-() ON (e.since)');
  await q(r, 'full', "CALL db.idx.fulltext.createNodeIndex({label: 'Memory', language: 'german', stopwords: ['und']}, {field: 'text', weight: 2.5})");
  await q(r, 'full', "CREATE VECTOR INDEX FOR (n:Person) ON (n.emb) OPTIONS {dimension: 3, similarityFunction: 'euclidean', M: 12, efConstruction: 150, efRuntime: 20}");
  await q(r, 'full', 'CREATE INDEX FOR (n:Person) ON (n.name)');
  await r.call('GRAPH.CONSTRAINT', 'CREATE', 'full', 'UNIQUE', 'NODE', 'Person', 'PROPERTIES', '1', 'name');
  await r.call('GRAPH.CONSTRAINT', 'CREATE', 'full', 'MANDATORY', 'RELATIONSHIP', 'KNOWS', 'PROPERTIES', '1', 'since');
});

describe('falkordb export', () => {
  it('keeps every property type exactly', async () => {
    const x = await exportGraph(srv.url, 'full');
    expect(x.nodes).toHaveLength(4);
    expect(x.edges).toHaveLength(5);
    const a = x.nodes.find((n) => n.props.name === 'alice')!;
    expect([...a.labels].sort()).toEqual(['Agent', 'Person']);
    expect(a.props.big).toBe(9007199254740993n);
    expect(a.props.neg).toBe(-9223372036854775808n);
    expect(a.props.d).toEqual({ double: 0.30000000000000004 });
    expect(a.props.one).toEqual({ double: 1 });
    expect(a.props.negz).toEqual({ double: '-0' });
    expect(a.props.tiny).toEqual({ double: 5e-324 });
    expect(a.props.huge).toEqual({ double: 1.2345678901234567e307 });
    expect(a.props.ok).toBe(true);
    expect(a.props.no).toBe(false);
    // doubles inside arrays are exact too, nested ones included (exact-double.ts)
    expect(a.props.arr).toEqual([1, { double: 2.5 }, 'x', [{ double: 0.30000000000000004 }, [7, 'deep']]]);
    expect(Array.from(decodeF32((a.props.emb as { vecf32: string }).vecf32))).toEqual([Math.fround(0.1), -2.5, 3.25]);
    expect(a.props.loc).toEqual({ point: { latitude: Math.fround(52.52), longitude: Math.fround(13.405) } });
    expect(a.props.at).toEqual({ datetime: Date.UTC(2024, 1, 29, 23, 59, 58) / 1000 });
    expect(a.props.day).toEqual({ date: Date.UTC(1969, 6, 20) / 86400000 });
    expect(a.props.t).toEqual({ time: 12 * 3600 + 34 * 60 + 56 });
    expect(a.props.dur).toEqual({ duration: 86400 + 2 * 3600 + 3 * 60 + 4 });
    // Keys are internal ids of the copy: unique, and every edge endpoint is one of them.
    const keys = new Set(x.nodes.map((n) => n.key));
    expect(keys.size).toBe(4);
    for (const e of x.edges) expect(keys.has(e.src) && keys.has(e.dst)).toBe(true);
    expect(x.descriptor.kind).toBe('falkordb.graph');
    expect(x.descriptor.source).toMatchObject({ type: 'falkordb', moduleVersion: '4.16.3' });
  });

  it('reads every edge once through node windows, hubs and a double key that appears late', async () => {
    // Node 3 has more edges than a page; ids 10-12 are deleted; `late` holds doubles only from edge 40 on.
    await q(r, 'windows', 'UNWIND range(0, 59) AS i CREATE (:N {i: i})');
    await q(r, 'windows', 'MATCH (a), (b) WHERE id(a) = 3 AND id(b) < 23 CREATE (a)-[:HUB {w: toFloat(id(b)) / 7}]->(b)');
    await q(r, 'windows', 'UNWIND range(0, 79) AS j WITH j, (j * 37) % 60 AS s, (j * 11) % 60 AS d MATCH (a), (b) WHERE id(a) = s AND id(b) = d CREATE (a)-[:R {j: j, late: CASE WHEN j >= 40 THEN toFloat(j) / 3 ELSE j END}]->(b)');
    await q(r, 'windows', 'MATCH (n) WHERE id(n) IN [10, 11, 12] DETACH DELETE n');
    const live = Number(((await q(r, 'windows', 'MATCH ()-[e]->() RETURN count(e)')) as [unknown, string[][][]])[1][0]![0]![1]);
    for (const pageSize of [4, 9, 10_000]) {
      const x = await exportGraph(srv.url, 'windows', { pageSize });
      expect(x.nodes).toHaveLength(57);
      expect(x.edges).toHaveLength(live);
      const rs = x.edges.filter((e) => e.type === 'R');
      expect(new Set(rs.map((e) => e.props.j)).size).toBe(rs.length); // none twice
      for (const e of rs) {
        const j = e.props.j as number;
        expect(e.props.late).toEqual(j >= 40 ? { double: j / 3 } : j);
      }
      const hub = x.edges.filter((e) => e.type === 'HUB');
      expect(hub).toHaveLength(20);
      for (const e of hub) expect((e.props.w as { double: number }).double * 7).toBeCloseTo(Number(e.dst), 9);
      expect(hub.map((e) => (e.props.w as { double: number }).double).sort()).toEqual(hub.map((e) => Number(e.dst) / 7).sort());
    }
  });

  it('puts indexes and constraints into the fingerprint, sorted', async () => {
    const x = await exportGraph(srv.url, 'full');
    const fp = x.descriptor.fingerprint as { indexes: Array<Record<string, unknown>>; constraints: Array<Record<string, unknown>> };
    expect(fp.indexes).toContainEqual({ type: 'range', entity: 'node', label: 'Memory', property: 'text' });
    expect(fp.indexes).toContainEqual({ type: 'range', entity: 'relationship', label: 'KNOWS', property: 'since' });
    expect(fp.indexes).toContainEqual({ type: 'fulltext', entity: 'node', label: 'Memory', property: 'text', options: { language: 'german', stopwords: ['und'], weight: 2.5 } });
    expect(fp.indexes).toContainEqual({ type: 'vector', entity: 'node', label: 'Person', property: 'emb', options: { dimension: 3, similarityFunction: 'euclidean', M: 12, efConstruction: 150, efRuntime: 20 } });
    // canonical order: sorted by canonical JSON, so "entity":"node" sorts first
    expect(fp.constraints).toEqual([
      { type: 'unique', entity: 'node', label: 'Person', properties: ['name'] },
      { type: 'mandatory', entity: 'relationship', label: 'KNOWS', properties: ['since'] },
    ]);
    const again = await exportGraph(srv.url, 'full');
    expect(again.descriptor.fingerprint).toEqual(x.descriptor.fingerprint);
  });

  it('leaves no temporary copy behind', async () => {
    await exportGraph(srv.url, 'full');
    const graphs = (await r.call('GRAPH.LIST')) as string[];
    expect(graphs.filter((g) => g.startsWith('memarc_'))).toEqual([]);
  });

  it('refuses a page size the server would truncate', async () => {
    await r.call('GRAPH.CONFIG', 'SET', 'RESULTSET_SIZE', '100');
    try {
      const src = falkordbSource({ url: srv.url, graphs: ['full'], pageSize: 500 });
      await expect(src.open()).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('RESULTSET_SIZE 100') });
      await src.close();
      const ok = await exportGraph(srv.url, 'full', { pageSize: 2 });
      expect(ok.nodes).toHaveLength(4);
    } finally {
      await r.call('GRAPH.CONFIG', 'SET', 'RESULTSET_SIZE', '-1');
    }
  });

  it('reports a missing graph as NOT_FOUND', async () => {
    const src = falkordbSource({ url: srv.url, graphs: ['nope'] });
    await expect(src.open()).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"nope"') });
    await src.close();
  });
});

describe('falkordb round trip', () => {
  it('restores an isomorphic graph with the same indexes, constraints and digest', async () => {
    const x = await exportGraph(srv.url, 'full', { pageSize: 3 });
    const sink = falkordbSink({ url: srv.url, rename: { full: 'full_copy' }, batchSize: 2 });
    const res = await load(sink, x, ctx('run-1'), { shardSize: 3 });
    await sink.close();
    expect(res.report?.target).toBe('full_copy');
    const y = await exportGraph(srv.url, 'full_copy');
    expect(content(y)).toEqual(content(x));
    expect(y.totals).toEqual(x.totals);
    expect(y.descriptor.fingerprint).toEqual(x.descriptor.fingerprint);
    const graphs = (await r.call('GRAPH.LIST')) as string[];
    expect(graphs.filter((g) => g.startsWith('memarc_'))).toEqual([]);
    expect(await r.keys('memarc_*')).toEqual([]);
    // the restored constraints are enforced
    await expect(q(r, 'full_copy', "CREATE (:Person {name: 'alice'})")).rejects.toThrow(/unique/i);
  });

  it('refuses an existing graph, replaces it, or appends to it', async () => {
    const x = await exportGraph(srv.url, 'full');
    await q(r, 'target', "CREATE (:Old {v: 1})");
    const rename = { full: 'target' };
    const failSink = falkordbSink({ url: srv.url, rename });
    await expect(load(failSink, x, ctx('r-fail'))).rejects.toMatchObject({ code: 'TARGET_EXISTS', message: expect.stringContaining('"target"') });
    await failSink.close();

    const dry = falkordbSink({ url: srv.url, rename, ifExists: 'replace' });
    const d = await load(dry, x, ctx('r-dry', { dryRun: true }));
    await dry.close();
    expect(d.report?.actions.join('\n')).toMatch(/would load graph "target".*replace/);
    expect((await exportGraph(srv.url, 'target')).nodes).toHaveLength(1);

    const rep = falkordbSink({ url: srv.url, rename, ifExists: 'replace' });
    await load(rep, x, ctx('r-rep'));
    await rep.close();
    const replaced = await exportGraph(srv.url, 'target');
    expect(content(replaced)).toEqual(content(x));

    // Appending the same data breaks the unique constraint: the append is undone.
    const clash = falkordbSink({ url: srv.url, rename, ifExists: 'append', log: () => {} });
    await expect(load(clash, x, ctx('r-clash'))).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/"target".*unique/) });
    await clash.close();
    expect(content(await exportGraph(srv.url, 'target'))).toEqual(content(x));

    await q(r, 'plain', "CREATE (:P {v: 1})-[:E {w: 2.5}]->(:P {v: 2}), (:Q)");
    const plain = await exportGraph(srv.url, 'plain');
    const app = falkordbSink({ url: srv.url, rename: { plain: 'target' }, ifExists: 'append', log: () => {} });
    await load(app, plain, ctx('r-app'));
    await app.close();
    const appended = await exportGraph(srv.url, 'target');
    expect(appended.nodes).toHaveLength(7);
    expect(appended.edges).toHaveLength(6);
    const c = content(appended);
    for (const n of content(plain).nodes) expect(c.nodes).toContain(n);
    for (const e of content(plain).edges) expect(c.edges).toContain(e);
  });

  it('fails verification rather than accepting a wrong digest, and leaves the target untouched', async () => {
    const x = await exportGraph(srv.url, 'full');
    const wrong = { ...x, totals: { ...x.totals, digest: '0'.repeat(64) } };
    const sink = falkordbSink({ url: srv.url, rename: { full: 'never' } });
    await expect(load(sink, wrong, ctx('r-bad'))).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    await sink.close();
    const graphs = (await r.call('GRAPH.LIST')) as string[];
    expect(graphs).not.toContain('never');
    expect(graphs.filter((g) => g.startsWith('memarc_'))).toEqual([]);
  });

  it('keeps hostile names and values intact (quotes, backslashes, $, newlines, unicode)', async () => {
    const nasty = ['it\'s', 'say "hi"', 'back\\slash', '$param', 'line\nbreak', '日本語 🚀', '} RETURN 1 //', "'; MATCH (n) DETACH DELETE n //"];
    const x = await exportGraph(srv.url, 'full');
    const hostile = {
      descriptor: { ...x.descriptor, name: 'hostile', fingerprint: { indexes: [{ type: 'range', entity: 'node', label: nasty[1]!, property: nasty[2]! }], constraints: [] } },
      nodes: nasty.map((s, i) => ({ key: `k${s}`, labels: [s, `L${i}`], props: { [s]: s, [`n${i}`]: [s, s] } })),
      edges: nasty.map((s, i) => ({ type: s, src: `k${s}`, dst: `k${nasty[(i + 1) % nasty.length]}`, props: { [s]: s } })),
      totals: x.totals,
    };
    const { DatasetDigest } = await import('../../src/format/digest.ts');
    const dg = new DatasetDigest();
    for (const n of hostile.nodes) dg.add('node', n);
    for (const e of hostile.edges) dg.add('edge', e);
    hostile.totals = { records: { node: hostile.nodes.length, edge: hostile.edges.length }, digest: dg.hex() };
    const sink = falkordbSink({ url: srv.url });
    await load(sink, hostile as never, ctx('r-hostile'));
    await sink.close();
    const y = await exportGraph(srv.url, 'hostile');
    expect(content(y)).toEqual(content(hostile as never));
    expect(y.totals.digest).toBe(hostile.totals.digest);
    expect((await exportGraph(srv.url, 'full')).nodes).toHaveLength(4);
  });

  it('refuses a name with a backtick, which Cypher cannot express', async () => {
    const x = await exportGraph(srv.url, 'full');
    const bad = { ...x, descriptor: { ...x.descriptor, name: 'tick' }, nodes: [{ key: 1, labels: ['a`b'], props: {} }], edges: [] };
    const sink = falkordbSink({ url: srv.url });
    await expect(load(sink, bad, ctx('r-tick'))).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('backtick') });
    await sink.close();
    expect((await r.call('GRAPH.LIST')) as string[]).not.toContain('tick');
  });

  it('links edges to the right nodes after internal ids were reused', async () => {
    await q(r, 'reuse', 'UNWIND range(0, 49) AS i CREATE (:N {name: "old" + toString(i)})');
    await q(r, 'reuse', 'MATCH (n:N) WHERE n.name IN ["old3", "old7", "old11", "old20"] DELETE n');
    // New nodes take the freed ids; edges then connect old and new nodes.
    await q(r, 'reuse', 'UNWIND range(0, 9) AS i CREATE (:M {name: "new" + toString(i)})');
    await q(r, 'reuse', 'MATCH (a:M), (b:N) WHERE toInteger(substring(a.name, 3)) * 4 = toInteger(substring(b.name, 3)) CREATE (a)-[:TO]->(b), (b)-[:BACK]->(a)');
    const x = await exportGraph(srv.url, 'reuse');
    const sink = falkordbSink({ url: srv.url, rename: { reuse: 'reuse2' } });
    await load(sink, x, ctx('r-reuse'));
    await sink.close();
    const pairs = async (g: string): Promise<string[]> => {
      const res = (await q(r, g, 'MATCH (a)-[e]->(b) RETURN a.name, type(e), b.name')) as [unknown, Array<Array<[string, string]>>];
      return res[1].map((row) => row.map((c) => c[1]).join(' ')).sort();
    };
    const before = await pairs('reuse');
    expect(before.length).toBeGreaterThan(10);
    expect(await pairs('reuse2')).toEqual(before);
  });
});

describe('falkordb connection errors', () => {
  it('reports an unreachable server as CONNECTION_FAILED', async () => {
    const src = falkordbSource({ url: 'redis://127.0.0.1:1' });
    await expect(src.open()).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    await src.close();
  });

  it('reports a wrong password as AUTH_FAILED without printing it', async () => {
    const secured = await startFalkorDB({ password: 's3cret-pw' });
    try {
      const src = falkordbSource({ url: `redis://:wrong-pw-123@127.0.0.1:${secured.port}` });
      const err = await src.open().then(() => null, (e: unknown) => e as Error & { code: string });
      await src.close();
      expect(err?.code).toBe('AUTH_FAILED');
      expect(JSON.stringify({ m: err?.message, h: (err as { hint?: string }).hint })).not.toContain('wrong-pw-123');
      const good = redis(secured.url);
      await q(good, 'g', 'CREATE (:X {v: 1})');
      good.disconnect();
      const x = await exportGraph(secured.url, 'g');
      expect(x.nodes).toHaveLength(1);
      expect(x.descriptor.source.url).not.toContain('s3cret-pw');
    } finally {
      await secured.stop();
    }
  });
});
