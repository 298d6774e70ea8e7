/**
 * Export → drop → restore → export again, for every vector kind, mixed and big ids, payload
 * indexes with params, quantization and aliases. Runs against qdrantTarget() (emulator or a real
 * server named by QDRANT_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFingerprints, qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { idKey } from '../../src/adapters/qdrant/convert.ts';
import { vectorSpecs } from '../../src/adapters/qdrant/fingerprint.ts';
import { pointMismatch } from '../../src/adapters/qdrant/verify.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { checkpointOf, dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { failure } from '../helpers/failure.ts';
import { aliasMap, collectionNames, exportAll, loadInto, rest, totalsOf, type Exported } from './drive.ts';
import { seedCollections, type Seeded } from './fixtures.ts';

let q: QdrantTarget;
let seeded: Seeded;
let archive: Exported[];
const created = new Set<string>();

beforeAll(async () => {
  q = await qdrantTarget();
  const names = { dense: uniqueName('rt_dense'), named: uniqueName('rt_named'), sparse: uniqueName('rt_sparse') };
  for (const n of Object.values(names)) created.add(n);
  seeded = await seedCollections(q.url, q.apiKey, names);
  archive = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [names.dense, names.named, names.sparse], batchPoints: 32 }));
});

afterAll(async () => {
  if (!q) return;
  await dropCollections(q.url, q.apiKey, [...created]);
  await q.close();
});

function byName(name: string): Exported {
  const e = archive.find((x) => x.descriptor.name === name);
  if (!e) throw new Error(`no export of ${name}`);
  return e;
}

describe('qdrant source', () => {
  it('describes each collection with its fingerprint, server version and a redacted URL', () => {
    const d = byName(seeded.dense).descriptor;
    expect(d.kind).toBe('qdrant.collection');
    expect(d.source.type).toBe('qdrant');
    expect(typeof d.source.serverVersion).toBe('string');
    expect(d.fingerprint.aliases).toEqual([...seeded.aliases].sort());
    expect(Object.keys(d.fingerprint.payload_schema as object).sort()).toEqual(['at', 'geo', 'n', 'ok', 'score', 'tenant', 'text']);
    expect((d.fingerprint.payload_schema as Record<string, { params?: unknown }>).tenant!.params).toEqual({ type: 'keyword', is_tenant: true });
    expect(d.fingerprint.quantization_config).toEqual({ scalar: { type: 'int8', quantile: 0.95, always_ram: true } });
    expect((d.fingerprint.optimizer_config as { indexing_threshold: number }).indexing_threshold).toBe(15000);
    const named = byName(seeded.named).descriptor.fingerprint;
    expect(Object.keys((named.params as { vectors: object }).vectors).sort()).toEqual(['bytes', 'colbert', 'image', 'text', 'unit']);
    expect(Object.keys((named.params as { sparse_vectors: object }).sparse_vectors).sort()).toEqual(['bm25', 'splade']);
  });

  it('reads every point in id order with exact big ids, in pages bounded by batchPoints', () => {
    const dense = byName(seeded.dense);
    expect(dense.records).toHaveLength(121);
    expect(Math.max(...dense.batches)).toBeLessThanOrEqual(32);
    expect(dense.batches.length).toBeGreaterThanOrEqual(4);
    expect(dense.records.some((r) => r.id === 18446744073709551615n)).toBe(true);
    expect(dense.records.filter((r) => typeof r.id === 'bigint')).toHaveLength(18);
    expect(dense.records.filter((r) => typeof r.id === 'string').length).toBeGreaterThan(5);
    // Integer ids come before UUIDs, each in ascending order.
    const ints = dense.records.filter((r) => typeof r.id !== 'string').map((r) => BigInt(r.id));
    expect(ints).toEqual([...ints].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const p = dense.records.find((r) => r.id === 1)!;
    expect(p.payload).toMatchObject({ n: 0, big: 9007199254740993n, tenant: 't0', nested: { a: [1, 2.5, 'x', null, { b: true }], empty: {} } });
    const named = byName(seeded.named).records;
    const first = named.find((r) => r.id === 1)!;
    expect(Object.keys(first.vectors).sort()).toEqual(['bm25', 'bytes', 'image', 'text', 'unit']);
    expect(named.find((r) => r.id === 4)!.vectors.colbert).toHaveProperty('multi');
    expect(byName(seeded.sparse).records).toHaveLength(30);
  });
  it('bounds scroll pages by bytes as well as by count', async () => {
    const dense = byName(seeded.dense);
    // Through a proxy that counts each answer's bytes as the server wrote them: the bound is
    // checked against the server's own number widths, whatever they are.
    const proxy = await startFaultProxy(q.url);
    try {
      const budget = 4096;
      const [small] = await exportAll(qdrantSource({ url: proxy.url, apiKey: q.apiKey, collections: [seeded.dense], batchPoints: 256, batchBytes: budget }));
      expect(small!.records).toEqual(dense.records);
      const pages = proxy.requests.filter((r) => r.path.endsWith('/points/scroll')).map((r, i) => ({ bytes: r.responseBytes, points: small!.batches[i] ?? 0 }));
      expect(pages.length).toBe(small!.batches.length);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      for (let k = 1; k < pages.length; k++) {
        const prev = pages[k - 1]!;
        // The guarantee: a page asks for no more points than the budget holds at the bytes per point seen so far.
        expect(pages[k]!.points * (prev.bytes / prev.points)).toBeLessThanOrEqual(budget);
        // These points differ little in size, so each page's answer stays near the budget.
        expect(pages[k]!.bytes).toBeLessThanOrEqual(budget * 1.5);
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('qdrant round trip', () => {
  it('restores every collection with an equal fingerprint, equal points and an equal digest', async () => {
    const logs: string[] = [];
    // Restore over the originals: drop them first (aliases go with them), as after a data loss.
    await dropCollections(q.url, q.apiKey, [seeded.dense, seeded.named, seeded.sparse]);
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, batchPoints: 16, log: (m) => logs.push(m) });
    for (const e of archive) {
      const res = await loadInto(sink, e.descriptor, e.records, { shardSize: 40, writeSize: 25, runId: `rt-${e.descriptor.name}` });
      expect(res.report!.digest).toBe(totalsOf(e.records).digest);
      expect(res.report!.records.point).toBe(e.records.length);
      // A committed load leaves no checkpoint of its own behind.
      expect(await checkpointOf(q.url, q.apiKey, `rt-${e.descriptor.name}`, e.descriptor.name)).toBeNull();
    }
    const again = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense, seeded.named, seeded.sparse] }));
    for (const e of archive) {
      const r = again.find((x) => x.descriptor.name === e.descriptor.name)!;
      expect(compareFingerprints(e.descriptor.fingerprint, r.descriptor.fingerprint)).toEqual([]);
      expect(r.descriptor.fingerprint.aliases).toEqual(e.descriptor.fingerprint.aliases);
      expect(r.records.map((x) => idKey(x.id))).toEqual(e.records.map((x) => idKey(x.id)));
      const specs = vectorSpecs(e.descriptor.fingerprint);
      e.records.forEach((rec, i) => expect(pointMismatch(rec, r.records[i]!, specs)).toBeNull());
      // The server skips renormalising vectors that are already unit length, so even Cosine vectors come back bit-exact.
      expect(totalsOf(r.records).digest).toBe(totalsOf(e.records).digest);
    }
    const aliases = await aliasMap(q.url, q.apiKey);
    for (const a of seeded.aliases) expect(aliases.get(a)).toBe(seeded.dense);
    expect(logs.some((m) => /restored indexing_threshold 15000/.test(m))).toBe(true);
  });

  it('keeps payload members (__proto__, constructor) and vector names (constructor, toString) like what every JavaScript object has', async () => {
    const name = uniqueName('rt_proto');
    created.add(name);
    // (Vector names are not __proto__ here: the emulator keeps vectors in objects that cannot hold one.)
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { toString: { size: 2, distance: 'Dot' }, constructor: { size: 2, distance: 'Dot' } } });
    const payload = JSON.parse('{"__proto__":1,"constructor":"c","nested":{"__proto__":"x","toString":[1]}}') as Record<string, unknown>;
    const vector = { toString: [0.5, 0.25], constructor: [1, 2] };
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1, payload, vector }] });
    const [e] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [name] }));
    expect(Object.keys(e!.records[0]!.vectors).sort()).toEqual(['constructor', 'toString']);
    expect(Object.keys(e!.records[0]!.payload!).sort()).toEqual(['__proto__', 'constructor', 'nested']);
    await dropCollections(q.url, q.apiKey, [name]);
    const res = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey }), e!.descriptor, e!.records, { runId: `rt-${name}` });
    expect(res.report!.digest).toBe(totalsOf(e!.records).digest);
    const back = await rest<Array<{ payload: unknown; vector: unknown }>>(q.url, q.apiKey, 'POST', `/collections/${name}/points`, { ids: [1], with_payload: true, with_vector: true });
    expect(JSON.stringify(back[0]!.payload)).toBe(JSON.stringify(payload));
    expect(Object.keys(back[0]!.vector as object).sort()).toEqual(['constructor', 'toString']);
    const [again] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [name] }));
    expect(totalsOf(again!.records).digest).toBe(totalsOf(e!.records).digest);
  });

  it('restores under new names with rename, leaving taken alias names alone', async () => {
    const e = byName(seeded.dense);
    const to = uniqueName('rt_renamed');
    created.add(to);
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [seeded.dense]: to } });
    const res = await loadInto(sink, e.descriptor, e.records);
    expect(res.report!.target).toBe(to);
    expect(res.report!.actions.some((a) => a.includes(`alias "${seeded.aliases[0]}" not recreated`))).toBe(true);
    const aliases = await aliasMap(q.url, q.apiKey);
    expect(aliases.get(seeded.aliases[0]!)).toBe(seeded.dense);
    const count = await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${to}/points/count`, { exact: true });
    expect(count.count).toBe(e.records.length);
  });

  it('skips datasets outside the collections filter', async () => {
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, collections: [seeded.named] });
    expect(await sink.dataset(byName(seeded.dense).descriptor)).toBeNull();
    expect(await sink.dataset(byName(seeded.named).descriptor)).not.toBeNull();
  });

  // Before issue 8, append silently overwrote points with the same ids: it now refuses them, and
  // merge is the mode that overwrites.
  it('refuses to append ids an existing collection holds, naming them; merges them on request', async () => {
    const e = byName(seeded.sparse);
    const before = await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${e.descriptor.name}/points/count`, { exact: true });
    const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'append' }), e.descriptor, e.records));
    expect(err.code).toBe('TARGET_EXISTS');
    // The shard's 30 points are one sub-batch: the writes of 20 are gathered up to 64 points.
    expect(err.message).toMatch(/already holds 30 point id\(s\) of dataset .*: \S+, .*\(20 more in this batch\)/);
    expect(await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${e.descriptor.name}/points/count`, { exact: true })).toEqual(before);
    const res = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'merge' }), e.descriptor, e.records);
    expect(res.report!.records.point).toBe(30);
    expect(res.report!.actions[0]).toMatch(/merge into the existing collection/);
  });

  it('reports a dry run without writing anything', async () => {
    const e = byName(seeded.named);
    const to = uniqueName('rt_dry');
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [seeded.named]: to } });
    const res = await loadInto(sink, e.descriptor, e.records, { dryRun: true, runId: 'rt-dry' });
    expect(res.report!.actions.join('\n')).toMatch(new RegExp(`create collection "${to}"`));
    expect(res.report!.digest).toBe(totalsOf(e.records).digest);
    expect(await collectionNames(q.url, q.apiKey)).not.toContain(to);
    expect(await checkpointOf(q.url, q.apiKey, 'rt-dry', to)).toBeNull();
  });
});
