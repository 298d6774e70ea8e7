/**
 * A batch upsert that the server refuses with 400 can still have written part of the batch (a
 * real Qdrant 1.16.3 does, and which points remain is not predictable; the emulator writes every
 * valid point of the batch). The fault proxy rewrites one point of the second upsert so that the
 * server refuses it; after that failure memarc leaves nothing behind (create, replace), or says
 * exactly which points of the failed batch are on the server (append).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { qdrantSink } from '../../src/adapters/qdrant/index.ts';
import type { DatasetDescriptor } from '../../src/core/adapter.ts';
import { encodeF32, type PointRecord } from '../../src/format/records.ts';
import { startFaultProxy, type FaultProxy, type Match } from '../helpers/fault-proxy.ts';
import { failure } from '../helpers/failure.ts';
import { checkpointOf, dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { collectionNames, loadInto, rest } from './drive.ts';

let q: QdrantTarget;
let proxy: FaultProxy;
const created = new Set<string>();

const upsert: Match = (m, p) => m === 'PUT' && /\/collections\/[^/]+\/points$/.test(p) && !p.includes('memarc_checkpoints');

const records: PointRecord[] = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, vectors: { '': { dense: encodeF32([1, i]) } }, payload: { i } }));

function descriptor(name: string): DatasetDescriptor {
  return { name, kind: 'qdrant.collection', fingerprint: { params: { vectors: { size: 2, distance: 'Dot' } } }, source: { type: 'test' } };
}

/** The third point of the batch gets a third component: the server answers 400 for it. */
const breakThirdPoint = (body: string): string => {
  const b = JSON.parse(body) as { points: Array<{ vector: number[] }> };
  b.points[2]!.vector.push(0);
  return JSON.stringify(b);
};

const sinkOpts = { batchPoints: 10, concurrency: 1 };
const namesOf = async (name: string): Promise<string[]> => (await collectionNames(q.url, q.apiKey)).filter((n) => n === name || n.startsWith(`${name}-memarc-`));

async function existing(): Promise<string> {
  const name = uniqueName('pb_orig');
  created.add(name);
  await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Dot' } });
  await rest(q.url, q.apiKey, 'PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1000, vector: [1, 2], payload: { old: true } }] });
  return name;
}

beforeAll(async () => {
  q = await qdrantTarget();
  proxy = await startFaultProxy(q.url);
});

afterAll(async () => {
  if (!q) return;
  await proxy?.close();
  await dropCollections(q.url, q.apiKey, [...created]);
  await q.close();
});

beforeEach(() => proxy.reset());

describe('a batch the server refuses part-way', () => {
  it('is answered with 400, and the server may have kept other points of it', async () => {
    const name = await existing();
    const res = await fetch(`${q.url}/collections/${name}/points?wait=true`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(q.apiKey ? { 'api-key': q.apiKey } : {}) },
      body: breakThirdPoint(JSON.stringify({ points: [1, 2, 3, 4].map((id) => ({ id, vector: [id, 0] })) })),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Vector dimension error: expected dim: 2, got 3/);
    const left = await rest<Array<{ id: number }>>(q.url, q.apiKey, 'POST', `/collections/${name}/points`, { ids: [1, 2, 3, 4] });
    expect(left.map((p) => p.id)).not.toContain(3);
    if (!q.real) expect(left.map((p) => p.id)).toEqual([1, 2, 4]);
  });

  it('leaves nothing behind when it created the collection', async () => {
    const to = uniqueName('pb_create');
    created.add(to);
    proxy.rewriteNth(2, breakThirdPoint, { match: upsert });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, ...sinkOpts });
    const err = await failure(loadInto(sink, descriptor(to), records, { runId: 'pb-create', shardSize: 20 }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(/answered 400: Wrong input: Vector dimension error/);
    expect(await namesOf(to)).toEqual([]);
    expect(await checkpointOf(q.url, q.apiKey, 'pb-create', to)).toBeNull();
  });

  it('leaves the original collection as it was in a replace', async () => {
    const name = await existing();
    proxy.rewriteNth(2, breakThirdPoint, { match: upsert });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, ifExists: 'replace', ...sinkOpts });
    const err = await failure(loadInto(sink, descriptor(name), records, { runId: 'pb-replace', shardSize: 20 }));
    expect(err.code).toBe('STORE_ERROR');
    expect(await namesOf(name)).toEqual([name]);
    const all = await rest<{ points: Array<{ id: number; payload: unknown }> }>(q.url, q.apiKey, 'POST', `/collections/${name}/points/scroll`, { limit: 100, with_payload: true });
    expect(all.points).toEqual([{ id: 1000, payload: { old: true } }]);
    expect(await checkpointOf(q.url, q.apiKey, 'pb-replace', name)).toBeNull();
  });

  it('says exactly which points of the failed batch are on the server in an append', async () => {
    const name = await existing();
    proxy.rewriteNth(2, breakThirdPoint, { match: upsert });
    const logs: string[] = [];
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, ifExists: 'append', ...sinkOpts });
    const err = await failure(loadInto(sink, descriptor(name), records, { runId: 'pb-append', shardSize: 20, log: (m) => logs.push(m) }));
    expect(err.code).toBe('STORE_ERROR');
    // What was on the server after the failed request, of its batch (points 11 to 20).
    const present = err.context.presentAfterFailure as string[];
    expect(present).not.toContain('13');
    expect(err.message).toContain(`of this batch of 10 points, ${present.length} ${present.length === 1 ? 'was' : 'were'} on the server after the failed request`);
    if (!q.real) expect(present).toEqual(['11', '12', '14', '15', '16', '17', '18', '19', '20']);
    // Since issue 8 the append is rolled back exactly: every id it added is deleted again (they
    // were all absent before, append refuses ids the collection holds), the failed batch's too.
    const there = (await rest<Array<{ id: number }>>(q.url, q.apiKey, 'POST', `/collections/${name}/points`, { ids: records.slice(0, 20).map((r) => r.id) })).map((p) => p.id);
    expect(there).toEqual([]);
    expect(logs.some((m) => /rolled back the append: deleted the 20 point\(s\) this run added/.test(m))).toBe(true);
    expect(await checkpointOf(q.url, q.apiKey, 'pb-append', name)).toBeNull();
  });
});
