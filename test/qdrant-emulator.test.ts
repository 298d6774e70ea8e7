/**
 * Black-box REST tests of the Qdrant emulator. They only use the wire protocol, so they also run
 * against a real server: set QDRANT_URL (and QDRANT_API_KEY) to check the emulator's fidelity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantClient } from '@qdrant/js-client-rest';
import { dropAliases, dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from './helpers/qdrant.ts';
import { startQdrantEmulator } from './qdrant-emulator/index.ts';
import { encodeJson } from './qdrant-emulator/json.ts';
import { fastF32, formatF32, searchedF32 } from './qdrant-emulator/float32.ts';
import { restClient, type RawResponse } from './qdrant-emulator/test-client.ts';

let target: QdrantTarget;
let api: ReturnType<typeof restClient>;
const created: string[] = [];
const aliases: string[] = [];

beforeAll(async () => {
  target = await qdrantTarget();
  api = restClient(target.url, target.apiKey);
});

afterAll(async () => {
  if (!target) return;
  await dropAliases(target.url, target.apiKey, aliases);
  await dropCollections(target.url, target.apiKey, created);
  await target.close();
});

/** Creates a collection with a unique name and registers it for cleanup. */
async function collection(prefix: string, config: unknown): Promise<string> {
  const name = uniqueName(prefix);
  created.push(name);
  const res = await api('PUT', `/collections/${name}`, config);
  expect(res.status, res.text).toBe(200);
  return name;
}

async function upsert(name: string, body: unknown): Promise<RawResponse> {
  return api('PUT', `/collections/${name}/points?wait=true`, body);
}

const f32 = (xs: number[]): number[] => xs.map(Math.fround);

/** Qdrant's scalar cosine preprocessing, computed independently in float32. */
function cosine(xs: number[]): number[] {
  const v = f32(xs);
  let sum = 0;
  for (const x of v) sum = Math.fround(sum + Math.fround(x * x));
  if (sum < 1.1920929e-7 || Math.abs(Math.fround(sum - 1)) <= Math.fround(1e-6)) return v;
  const len = Math.fround(Math.sqrt(sum));
  return v.map((x) => Math.fround(x / len));
}

/** Exact on the emulator; within float32 rounding on a real server (SIMD sums in another order). */
/** Vectors are printed in their shortest float32 form (`0.6`), so they are compared as float32. */
function expectVector(got: number[], want: number[]): void {
  expect(got).toHaveLength(want.length);
  if (!target.real) expect(got.map(Math.fround)).toEqual(want);
  else got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 6));
}

describe('envelope and collections', () => {
  it('GET / reports title and version without an envelope', async () => {
    const res = await api('GET', '/');
    expect(res.status).toBe(200);
    expect(res.json.title).toMatch(/qdrant/);
    expect(res.json.version).toMatch(/^1\.\d+\.\d+/);
  });

  it('wraps results as {result, status: "ok", time} and errors as {status: {error}, time}', async () => {
    const ok = await api('GET', '/collections');
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe('ok');
    expect(typeof ok.json.time).toBe('number');
    expect(Array.isArray(ok.json.result.collections)).toBe(true);

    const missing = uniqueName('missing');
    const err = await api('GET', `/collections/${missing}`);
    expect(err.status).toBe(404);
    expect(err.json.status.error).toBe(`Not found: Collection \`${missing}\` doesn't exist!`);
    expect(typeof err.json.time).toBe('number');
    expect(err.json.result ?? null).toBeNull();
  });

  it('answers 409 when the collection exists and reports existence', async () => {
    const name = await collection('dup', { vectors: { size: 4, distance: 'Dot' } });
    const again = await api('PUT', `/collections/${name}`, { vectors: { size: 4, distance: 'Dot' } });
    expect(again.status).toBe(409);
    expect(again.json.status.error).toBe(`Wrong input: Collection \`${name}\` already exists!`);
    expect((await api('GET', `/collections/${name}/exists`)).json.result).toEqual({ exists: true });
    expect((await api('GET', `/collections/${uniqueName('nope')}/exists`)).json.result).toEqual({ exists: false });
    const listed = (await api('GET', '/collections')).json.result.collections.map((c: { name: string }) => c.name);
    expect(listed).toContain(name);
  });

  it('fills server defaults and reads optimizers_config back as optimizer_config', async () => {
    const name = await collection('defaults', {
      vectors: { size: 8, distance: 'Cosine' },
      optimizers_config: { indexing_threshold: 0 },
      hnsw_config: { m: 0 },
    });
    const info = (await api('GET', `/collections/${name}`)).json.result;
    expect(info.status).toBe('green');
    expect(info.points_count).toBe(0);
    expect(info.payload_schema).toEqual({});
    const { config } = info;
    expect(config.params.vectors).toEqual({ size: 8, distance: 'Cosine' });
    expect(config.params).toMatchObject({ shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true });
    expect(config.hnsw_config).toMatchObject({ m: 0, ef_construct: 100, full_scan_threshold: 10000 });
    expect(config.optimizer_config.indexing_threshold).toBe(0);
    expect(config.optimizer_config.deleted_threshold).toBe(0.2);
    expect(config.optimizers_config).toBeUndefined();
    expect(config.wal_config).toMatchObject({ wal_capacity_mb: 32, wal_segments_ahead: 0 });
    expect(config.quantization_config).toBeNull();
  });

  it('echoes named, sparse, multivector and datatype settings', async () => {
    const vectors = {
      text: { size: 4, distance: 'Cosine', on_disk: true, datatype: 'float16' },
      colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } },
    };
    const sparse_vectors = { bm25: { modifier: 'idf' }, splade: { index: { on_disk: true } } };
    const quantization_config = { scalar: { type: 'int8', quantile: 0.99, always_ram: true } };
    const name = await collection('named', { vectors, sparse_vectors, quantization_config, shard_number: 2, on_disk_payload: false });
    const { config } = (await api('GET', `/collections/${name}`)).json.result;
    expect(config.params.vectors).toEqual(vectors);
    expect(config.params.sparse_vectors).toEqual(sparse_vectors);
    expect(config.params.shard_number).toBe(2);
    expect(config.params.on_disk_payload).toBe(false);
    expect(config.quantization_config).toEqual(quantization_config);
  });

  it('PATCH changes optimizer, hnsw and params settings', async () => {
    const name = await collection('patch', { vectors: { size: 4, distance: 'Dot' }, optimizers_config: { indexing_threshold: 0 } });
    const res = await api('PATCH', `/collections/${name}`, {
      optimizers_config: { indexing_threshold: 20000 },
      hnsw_config: { m: 32 },
      params: { replication_factor: 1, on_disk_payload: false },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.result).toBe(true);
    const { config } = (await api('GET', `/collections/${name}`)).json.result;
    expect(config.optimizer_config.indexing_threshold).toBe(20000);
    expect(config.hnsw_config.m).toBe(32);
    expect(config.params.on_disk_payload).toBe(false);
  });

  it('DELETE removes a collection and answers false for a missing one', async () => {
    const name = await collection('del', { vectors: { size: 2, distance: 'Dot' } });
    expect((await api('DELETE', `/collections/${name}`)).json.result).toBe(true);
    expect((await api('GET', `/collections/${name}`)).status).toBe(404);
    const again = await api('DELETE', `/collections/${name}`);
    expect(again.status).toBe(200);
    expect(again.json.result).toBe(false);
  });

  it('rejects malformed JSON with a 400 format error', async () => {
    const res = await api('PUT', `/collections/${uniqueName('bad')}`, '{"vectors": ');
    expect(res.status).toBe(400);
    expect(res.json.status.error).toMatch(/^Format error in JSON body: /);
  });
});

describe('points', () => {
  it('scrolls integer ids (past 2^53) before UUIDs, in order, with inclusive offsets', async () => {
    const name = await collection('order', { vectors: { size: 2, distance: 'Dot' } });
    // Raw JSON text: ids above 2^53 cannot be written with JSON.stringify.
    const body = `{"points":[
      {"id":"F1E2D3C4-B5A6-4798-8A7B-6C5D4E3F2A1B","vector":[1,0]},
      {"id":18446744073709551615,"vector":[1,0]},
      {"id":"00000000000000000000000000000001","vector":[1,0]},
      {"id":9007199254740993,"vector":[1,0]},
      {"id":7,"vector":[1,0]},
      {"id":"{8f0e1d2c-3b4a-5968-8776-a5b4c3d2e1f0}","vector":[1,0]},
      {"id":0,"vector":[1,0]}]}`;
    expect((await upsert(name, body)).status).toBe(200);
    const all = await api('POST', `/collections/${name}/points/scroll`, { limit: 100 });
    expect(all.json.result.points.map((p: { id: unknown }) => p.id)).toEqual([
      0,
      7,
      9007199254740993n,
      18446744073709551615n,
      '00000000-0000-0000-0000-000000000001',
      '8f0e1d2c-3b4a-5968-8776-a5b4c3d2e1f0',
      'f1e2d3c4-b5a6-4798-8a7b-6c5d4e3f2a1b',
    ]);
    expect(all.text).toContain('"id":18446744073709551615');
    expect(all.text).toContain('"id":9007199254740993');
    expect(all.json.result.next_page_offset).toBeNull();

    const first = await api('POST', `/collections/${name}/points/scroll`, { limit: 2 });
    expect(first.json.result.points.map((p: { id: unknown }) => p.id)).toEqual([0, 7]);
    expect(first.json.result.next_page_offset).toBe(9007199254740993n);
    expect(first.text).toContain('"next_page_offset":9007199254740993');
    const second = await api('POST', `/collections/${name}/points/scroll`, '{"limit":2,"offset":9007199254740993}');
    expect(second.json.result.points.map((p: { id: unknown }) => p.id)).toEqual([9007199254740993n, 18446744073709551615n]);
    expect(second.json.result.next_page_offset).toBe('00000000-0000-0000-0000-000000000001');
    const third = await api('POST', `/collections/${name}/points/scroll`, { limit: 2, offset: '00000000-0000-0000-0000-000000000001' });
    expect(third.json.result.points[0].id).toBe('00000000-0000-0000-0000-000000000001');
    // An offset that is not a stored id starts at the next id after it.
    const between = await api('POST', `/collections/${name}/points/scroll`, { limit: 1, offset: 1 });
    expect(between.json.result.points[0].id).toBe(7);
  });

  it('pages by 10 by default, returns payload but no vector unless asked', async () => {
    const name = await collection('page', { vectors: { size: 2, distance: 'Dot' } });
    const points = Array.from({ length: 12 }, (_, i) => ({ id: 100 - i, vector: [i, 1], payload: { i } }));
    expect((await upsert(name, { points })).status).toBe(200);
    const page = (await api('POST', `/collections/${name}/points/scroll`, {})).json.result;
    expect(page.points).toHaveLength(10);
    // Members not asked for are left out, not null.
    expect(page.points[0]).toEqual({ id: 89, payload: { i: 11 } });
    expect(page.next_page_offset).toBe(99);
    const withVec = await api('POST', `/collections/${name}/points/scroll`, { limit: 1, with_vector: true, with_payload: false });
    expect(withVec.json.result.points[0]).toEqual({ id: 89, vector: [11, 1] });
    expect(withVec.text).toContain('{"id":89,"vector":[11.0,1.0]}');
  });

  it('refuses limit 0', async () => {
    const name = await collection('limit0', { vectors: { size: 2, distance: 'Dot' } });
    const res = await api('POST', `/collections/${name}/points/scroll`, { limit: 0 });
    // Qdrant's validator answers 422; some builds reject it while deserialising (400).
    expect([400, 422]).toContain(res.status);
    expect(res.json.status.error).toMatch(/limit/);
    if (!target.real) expect(res.json.status.error).toBe('Validation error in JSON body: [scroll_request.limit: value 0 invalid, must be 1 or larger]');
  });

  it('stores dense values as float32 and normalises Cosine vectors in float32', async () => {
    const name = await collection('cos', { vectors: { size: 4, distance: 'Cosine' } });
    const raw = [
      { id: 1, vector: [3, 4, 0, 0] },
      { id: 2, vector: [0.1, 0.2, 0.3, 0.4] },
      { id: 3, vector: [0, 0, 0, 0] },
      { id: 4, vector: [0.5, 0.5, 0.5, 0.5] },
    ];
    expect((await upsert(name, { points: raw })).status).toBe(200);
    const got = (await api('POST', `/collections/${name}/points`, { ids: [1, 2, 3, 4], with_vector: true })).json.result;
    expect(got.map((p: { id: number }) => p.id)).toEqual([1, 2, 3, 4]);
    raw.forEach((p, i) => expectVector(got[i].vector, cosine(p.vector)));
    expect(got[2].vector).toEqual([0, 0, 0, 0]);
    // Printed in the shortest float32 form, as Qdrant prints an f32.
    expect(got[0].vector).toEqual([0.6, 0.8, 0, 0]);
    expect((await api('POST', `/collections/${name}/points`, { ids: [1], with_vector: true })).text).toContain('"vector":[0.6,0.8,0.0,0.0]');

    // Re-upserting what was read back keeps the bits: a normalised vector is left alone.
    const before = got[1].vector;
    await upsert(name, { points: [{ id: 2, vector: before }] });
    const after = (await api('POST', `/collections/${name}/points`, { ids: [2], with_vector: true })).json.result[0].vector;
    expect(after).toEqual(before);

    const euclid = await collection('euclid', { vectors: { size: 2, distance: 'Euclid' } });
    await upsert(euclid, { points: [{ id: 1, vector: [0.1, 1e-50] }] });
    const v = (await api('POST', `/collections/${euclid}/points`, { ids: [1], with_vector: true })).json.result[0].vector;
    expect(v).toEqual([0.1, 0]);
  });

  it('rejects a wrong dimension and an unknown vector name with 400', async () => {
    const name = await collection('dim', { vectors: { size: 4, distance: 'Dot' } });
    const dim = await upsert(name, { points: [{ id: 1, vector: [1, 2, 3] }] });
    expect(dim.status).toBe(400);
    expect(dim.json.status.error).toBe('Wrong input: Vector dimension error: expected dim: 4, got 3');

    const named = await collection('vname', { vectors: { a: { size: 2, distance: 'Dot' } } });
    const unknown = await upsert(named, { points: [{ id: 1, vector: { nope: [1, 2] } }] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.status.error).toBe('Wrong input: Not existing vector name error: nope');
    // A failed batch may still have written its other points: which ones a real server keeps is
    // not predictable; the emulator writes every valid one (test/qdrant-emulator/DIFFERENCES.md).
    const mixed = await upsert(named, { points: [{ id: 1, vector: { a: [1, 2] } }, { id: 2, vector: { a: [1] } }] });
    expect(mixed.status).toBe(400);
    const left = (await api('POST', `/collections/${named}/points/count`, { exact: true })).json.result.count;
    if (target.real) expect([0, 1]).toContain(left);
    else expect(left).toBe(1);
  });

  it('sorts sparse indices with their values and rejects duplicate indices', async () => {
    const name = await collection('sparse', { vectors: {}, sparse_vectors: { s: {} } });
    expect((await upsert(name, { points: [{ id: 1, vector: { s: { indices: [9, 2, 5], values: [0.9, 0.2, 0.5] } } }] })).status).toBe(200);
    const got = (await api('POST', `/collections/${name}/points`, { ids: [1], with_vector: true })).json.result[0];
    expect(got.vector).toEqual({ s: { indices: [2, 5, 9], values: [0.2, 0.5, 0.9] } });

    const dup = await upsert(name, { points: [{ id: 2, vector: { s: { indices: [1, 1], values: [0.1, 0.2] } } }] });
    expect(dup.status).toBe(422);
    expect(dup.json.status.error).toMatch(/must be unique/);
  });

  it('keeps multivectors as matrices with each row normalised for Cosine', async () => {
    const name = await collection('multi', { vectors: { size: 2, distance: 'Cosine', multivector_config: { comparator: 'max_sim' } } });
    expect((await upsert(name, { points: [{ id: 1, vector: [[3, 4], [1, 0], [2, 2]] }] })).status).toBe(200);
    const got = (await api('POST', `/collections/${name}/points`, { ids: [1], with_vector: true })).json.result[0].vector;
    expect(got).toHaveLength(3);
    [[3, 4], [1, 0], [2, 2]].forEach((row, i) => expectVector(got[i], cosine(row)));
    const bad = await upsert(name, { points: [{ id: 2, vector: [[1, 2, 3]] }] });
    expect(bad.status).toBe(400);
    expect(bad.json.status.error).toBe('Wrong input: Vector dimension error: expected dim: 2, got 3');
  });

  it('converts to uint8 like a saturating cast and to float16 by rounding', async () => {
    const name = await collection('dtype', {
      vectors: { b: { size: 4, distance: 'Dot', datatype: 'uint8' }, h: { size: 2, distance: 'Dot', datatype: 'float16' } },
    });
    expect((await upsert(name, { points: [{ id: 1, vector: { b: [1.7, -3, 300, 42], h: [0.1, 65504] } }] })).status).toBe(200);
    const got = (await api('POST', `/collections/${name}/points`, { ids: [1], with_vector: true })).json.result[0].vector;
    expect(got.b).toEqual([1, 0, 255, 42]);
    expect(got.h).toEqual([0.099975586, 65504]);
    expect(got.h.map(Math.fround)).toEqual([Math.f16round(0.1), 65504]);
  });

  it('allows points without some named vectors and selects vectors by name', async () => {
    const name = await collection('partial', {
      vectors: { a: { size: 2, distance: 'Dot' }, b: { size: 3, distance: 'Dot' } },
      sparse_vectors: { s: {} },
    });
    const res = await upsert(name, {
      points: [
        { id: 1, vector: { a: [1, 2] } },
        { id: 2, vector: { a: [3, 4], b: [1, 2, 3], s: { indices: [1], values: [1] } } },
        { id: 3, vector: {} },
      ],
    });
    expect(res.status, res.text).toBe(200);
    const all = (await api('POST', `/collections/${name}/points`, { ids: [1, 2, 3], with_vector: true })).json.result;
    expect(all[0].vector).toEqual({ a: [1, 2] });
    expect(all[1].vector).toEqual({ a: [3, 4], b: [1, 2, 3], s: { indices: [1], values: [1] } });
    expect(all[2].vector).toEqual({});
    const some = (await api('POST', `/collections/${name}/points`, { ids: [2], with_vector: ['b'], with_payload: false })).json.result[0];
    expect(some).toEqual({ id: 2, vector: { b: [1, 2, 3] } });
  });

  it('accepts the columnar batch form and keeps big payload integers exact', async () => {
    const name = await collection('batch', { vectors: { size: 2, distance: 'Dot' } });
    const body = '{"batch":{"ids":[1,"6ba7b810-9dad-11d1-80b4-00c04fd430c8"],"vectors":[[1,2],[3,4]],' +
      '"payloads":[{"n":12345678901234567891,"tags":["x"],"nested":{"f":1.5}},null]}}';
    expect((await upsert(name, body)).status).toBe(200);
    const res = await api('POST', `/collections/${name}/points`, { ids: [1, '6BA7B810-9DAD-11D1-80B4-00C04FD430C8'], with_vector: true });
    expect(res.json.result).toEqual([
      { id: 1, payload: { n: 12345678901234567891n, tags: ['x'], nested: { f: 1.5 } }, vector: [1, 2] },
      { id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', payload: {}, vector: [3, 4] },
    ]);
    expect(res.text).toContain('"n":12345678901234567891');
  });

  it('counts, retrieves in request order and deletes by id', async () => {
    const name = await collection('crud', { vectors: { size: 2, distance: 'Dot' } });
    await upsert(name, { points: [1, 2, 3, 4, 5].map((id) => ({ id, vector: [id, 0], payload: { id } })) });
    expect((await api('POST', `/collections/${name}/points/count`, { exact: true })).json.result).toEqual({ count: 5 });
    const got = (await api('POST', `/collections/${name}/points`, { ids: [4, 99, 2], with_payload: ['id'] })).json.result;
    expect(got).toEqual([{ id: 4, payload: { id: 4 } }, { id: 2, payload: { id: 2 } }]);
    const del = await api('POST', `/collections/${name}/points/delete?wait=true`, { points: [2, 4, 99] });
    expect(del.status).toBe(200);
    expect(del.json.result.status).toBe('completed');
    expect((await api('POST', `/collections/${name}/points/count`, { exact: true })).json.result.count).toBe(3);
    const ids = (await api('POST', `/collections/${name}/points/scroll`, { limit: 10 })).json.result.points.map((p: { id: number }) => p.id);
    expect(ids).toEqual([1, 3, 5]);
    // A deleted id can come back and takes its place in the order again.
    await upsert(name, { points: [{ id: 2, vector: [0, 0] }] });
    const again = (await api('POST', `/collections/${name}/points/scroll`, { limit: 10 })).json.result.points.map((p: { id: number }) => p.id);
    expect(again).toEqual([1, 2, 3, 5]);
  });

  it('answers 404 for point operations on a missing collection', async () => {
    const missing = uniqueName('gone');
    const res = await api('POST', `/collections/${missing}/points/scroll`, {});
    expect(res.status).toBe(404);
    expect(res.json.status.error).toBe(`Not found: Collection \`${missing}\` doesn't exist!`);
  });

  it('refuses a body over 32 MiB with 400', async () => {
    const name = await collection('big', { vectors: { size: 2, distance: 'Dot' } });
    const filler = 'x'.repeat(33 * 1024 * 1024);
    const res = await upsert(name, `{"points":[{"id":1,"vector":[1,2],"payload":{"f":"${filler}"}}]}`);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/larger than allowed|exceeded limit/);
  });
});

describe('payload indexes', () => {
  it('reports payload_schema with data_type, params and points', async () => {
    const name = await collection('idx', { vectors: { size: 2, distance: 'Dot' } });
    await upsert(name, {
      points: [
        { id: 1, vector: [1, 0], payload: { tenant: 'a', n: 1, body: 'hello world' } },
        { id: 2, vector: [1, 0], payload: { tenant: 'b' } },
        { id: 3, vector: [1, 0], payload: {} },
      ],
    });
    const put = async (field_name: string, field_schema: unknown) => {
      const res = await api('PUT', `/collections/${name}/index?wait=true`, { field_name, field_schema });
      expect(res.status, res.text).toBe(200);
      expect(res.json.result.status).toBe('completed');
    };
    await put('tenant', { type: 'keyword', is_tenant: true });
    await put('n', { type: 'integer', lookup: true, range: false });
    await put('body', { type: 'text', tokenizer: 'word', lowercase: true });
    await put('plain', 'keyword');
    const schema = (await api('GET', `/collections/${name}`)).json.result.payload_schema;
    expect(schema.tenant).toMatchObject({ data_type: 'keyword', params: { type: 'keyword', is_tenant: true }, points: 2 });
    expect(schema.n).toMatchObject({ data_type: 'integer', params: { type: 'integer', lookup: true, range: false }, points: 1 });
    expect(schema.body).toMatchObject({ data_type: 'text', params: { type: 'text', tokenizer: 'word', lowercase: true }, points: 1 });
    expect(schema.plain).toEqual({ data_type: 'keyword', points: 0 });

    const drop = await api('DELETE', `/collections/${name}/index/n?wait=true`);
    expect(drop.status).toBe(200);
    const after = (await api('GET', `/collections/${name}`)).json.result.payload_schema;
    expect(Object.keys(after).sort()).toEqual(['body', 'plain', 'tenant']);
  });
});

describe('aliases', () => {
  it('resolves aliases for reads and writes and lists them', async () => {
    const a = await collection('alias_a', { vectors: { size: 2, distance: 'Dot' } });
    const alias = uniqueName('al');
    aliases.push(alias);
    const res = await api('POST', '/collections/aliases', { actions: [{ create_alias: { collection_name: a, alias_name: alias } }] });
    expect(res.status, res.text).toBe(200);
    expect(res.json.result).toBe(true);
    expect((await upsert(alias, { points: [{ id: 1, vector: [1, 2] }] })).status).toBe(200);
    expect((await api('POST', `/collections/${a}/points/count`, { exact: true })).json.result.count).toBe(1);
    expect((await api('POST', `/collections/${alias}/points/scroll`, {})).json.result.points[0].id).toBe(1);
    expect((await api('GET', `/collections/${alias}`)).json.result.points_count).toBe(1);
    expect((await api('GET', `/collections/${a}/aliases`)).json.result.aliases).toEqual([{ alias_name: alias, collection_name: a }]);
    expect((await api('GET', '/aliases')).json.result.aliases).toContainEqual({ alias_name: alias, collection_name: a });
  });

  it('switches an alias in one request and renames it', async () => {
    const a = await collection('sw_a', { vectors: { size: 2, distance: 'Dot' } });
    const b = await collection('sw_b', { vectors: { size: 2, distance: 'Dot' } });
    const alias = uniqueName('sw');
    const renamed = uniqueName('sw_renamed');
    aliases.push(alias, renamed);
    await api('POST', '/collections/aliases', { actions: [{ create_alias: { collection_name: a, alias_name: alias } }] });
    const swap = await api('POST', '/collections/aliases', {
      actions: [{ delete_alias: { alias_name: alias } }, { create_alias: { collection_name: b, alias_name: alias } }],
    });
    expect(swap.status, swap.text).toBe(200);
    expect((await api('GET', `/collections/${b}/aliases`)).json.result.aliases).toEqual([{ alias_name: alias, collection_name: b }]);
    expect((await api('GET', `/collections/${a}/aliases`)).json.result.aliases).toEqual([]);
    const rename = await api('POST', '/collections/aliases', { actions: [{ rename_alias: { old_alias_name: alias, new_alias_name: renamed } }] });
    expect(rename.status, rename.text).toBe(200);
    expect((await api('GET', `/collections/${b}/aliases`)).json.result.aliases).toEqual([{ alias_name: renamed, collection_name: b }]);
  });

  it('fails a batch whose action names a missing collection, without applying any of it', async () => {
    const a = await collection('atomic', { vectors: { size: 2, distance: 'Dot' } });
    const alias = uniqueName('atom');
    aliases.push(alias);
    const missing = uniqueName('missing');
    const res = await api('POST', '/collections/aliases', {
      actions: [{ create_alias: { collection_name: a, alias_name: alias } }, { create_alias: { collection_name: missing, alias_name: uniqueName('x') } }],
    });
    expect(res.status).toBe(404);
    expect(res.json.status.error).toBe(`Not found: Collection \`${missing}\` doesn't exist!`);
    // Real servers before the all-or-nothing change may keep the first action (DIFFERENCES.md).
    if (!target.real) expect((await api('GET', `/collections/${a}/aliases`)).json.result.aliases).toEqual([]);
    const clash = await api('POST', '/collections/aliases', { actions: [{ create_alias: { collection_name: a, alias_name: a } }] });
    expect(clash.status).toBe(409);
  });
});

describe('official client', () => {
  it('accepts the responses of getCollection, upsert, scroll, createPayloadIndex and updateCollectionAliases', async () => {
    const client = new QdrantClient({ url: target.url, apiKey: target.apiKey, checkCompatibility: false });
    const name = uniqueName('client');
    created.push(name);
    expect(await client.createCollection(name, { vectors: { dense: { size: 3, distance: 'Cosine' } }, sparse_vectors: { sp: {} } })).toBe(true);
    const up = await client.upsert(name, {
      wait: true,
      points: [
        { id: 2, vector: { dense: [1, 2, 2] }, payload: { k: 'b' } },
        { id: 'c0ffee00-0000-4000-8000-000000000001', vector: { dense: [0, 0, 5], sp: { indices: [3, 1], values: [0.3, 0.1] } } },
        { id: 1, vector: { dense: [3, 0, 4] }, payload: { k: 'a' } },
      ],
    });
    expect(up.status).toBe('completed');
    const idx = await client.createPayloadIndex(name, { field_name: 'k', field_schema: { type: 'keyword', is_tenant: true }, wait: true });
    expect(idx.status).toBe('completed');
    const info = await client.getCollection(name);
    expect(info.points_count).toBe(3);
    expect(info.config.params.sparse_vectors).toEqual({ sp: {} });
    expect(info.payload_schema.k?.data_type).toBe('keyword');
    const page = await client.scroll(name, { limit: 2, with_vector: true });
    expect(page.points.map((p) => p.id)).toEqual([1, 2]);
    expectVector((page.points[0]?.vector as { dense: number[] }).dense, cosine([3, 0, 4]));
    expect(page.next_page_offset).toBe('c0ffee00-0000-4000-8000-000000000001');
    const alias = uniqueName('client_alias');
    aliases.push(alias);
    expect(await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: name, alias_name: alias } }] })).toBe(true);
    expect((await client.getCollectionAliases(name)).aliases).toEqual([{ alias_name: alias, collection_name: name }]);
    await expect(client.getCollection(uniqueName('absent'))).rejects.toMatchObject({ status: 404 });
  });
});

describe('api key', () => {
  const realWithoutKey = Boolean(process.env.QDRANT_URL) && !process.env.QDRANT_API_KEY;

  it.skipIf(realWithoutKey)('rejects a missing or wrong key and accepts api-key and Bearer forms (skipped: QDRANT_URL without QDRANT_API_KEY)', async () => {
    const own = target.real ? undefined : await startQdrantEmulator({ apiKey: 'sekret-key' });
    try {
      const url = own?.url ?? target.url;
      const key = own ? 'sekret-key' : (target.apiKey as string);
      const noKey = restClient(url);
      const missing = await noKey('GET', '/collections');
      expect([401, 403]).toContain(missing.status);
      const wrong = await noKey('GET', '/collections', undefined, { 'api-key': `${key}-wrong` });
      expect([401, 403]).toContain(wrong.status);
      expect(wrong.text).not.toContain(key);
      if (own) {
        expect(missing.text).toBe('Must provide an API key or an Authorization bearer token');
        expect(wrong.text).toBe('Invalid API key or JWT');
      }
      expect((await noKey('GET', '/collections', undefined, { 'api-key': key })).status).toBe(200);
      expect((await noKey('GET', '/collections', undefined, { authorization: `Bearer ${key}` })).status).toBe(200);
      expect((await noKey('GET', '/')).status).toBe(200); // version info needs no key
    } finally {
      await own?.close();
    }
  });
});

describe("benchmarks' float format (the emulator alone)", () => {
  it('prints each float32 as the shortest double of the widened value, -0 as -0.0 and non-finite as null', () => {
    const v = new Float32Array([0.6, -0.25, 0, 1e-45, 3.4028234663852886e38]);
    expect(encodeJson(v, 'double')).toBe('[0.6000000238418579,-0.25,0,1.401298464324817e-45,3.4028234663852886e+38]');
    expect(encodeJson(new Float32Array([1, -0, Number.NaN, Number.POSITIVE_INFINITY]), 'double')).toBe('[1,-0.0,null,null]');
    // The same numbers as the float32 form once rounded to float32, which is how memarc reads them.
    const random = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 40) - 20));
    const asDoubles = (JSON.parse(encodeJson(random, 'double')) as number[]).map(Math.fround);
    const asF32 = (JSON.parse(encodeJson(random, 'float32')) as number[]).map(Math.fround);
    expect(asDoubles).toEqual([...random]);
    expect(asF32).toEqual([...random]);
  });
});

describe("the emulator's float32 printing (the emulator alone)", () => {
  it('prints what the search finds (shortest digits, the closest of them, Rust layout) for every value the fast path decides, one at a time and as arrays, and decides most', () => {
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    const patterns: number[] = [];
    // A sweep over all patterns, every power of two and its neighbours, the subnormals' first ones, the extremes.
    for (let b = 0; b < 2 ** 32; b += 65_537) patterns.push(b);
    for (let e = 0; e < 255; e++) for (const d of [-1, 0, 1]) patterns.push(((e << 23) + d) >>> 0, ((e << 23) + d + 0x80000000) >>> 0);
    for (let m = 1; m < 300; m++) patterns.push(m, 0x80000000 + m);
    patterns.push(0x7f7fffff, 0xff7fffff, 0x3f800000, 0x3f19999a, 0x3dcccccd);
    const wrong: string[] = [];
    const wants: string[] = [];
    for (const p of patterns) {
      bits[0] = p;
      const x = f[0]!;
      const want = searchedF32(x);
      wants.push(want);
      if (formatF32(x) !== want) wrong.push(`${p.toString(16)}: ${formatF32(x)} instead of ${want}`);
    }
    expect(wrong).toEqual([]);
    // The array writer (bytes, no string per value) gives the same text, NaN and infinities as null.
    const all = new Float32Array(Uint32Array.from(patterns).buffer);
    expect(encodeJson(all, 'float32')).toBe(`[${wants.join(',')}]`);
    // Random components of unit vectors, the values a verified import prints: nearly all decided fast.
    const unit = Float32Array.from({ length: 20_000 }, (_, i) => Math.sin(i * 12.9898 + 1) / 27);
    const text = encodeJson(unit, 'float32');
    expect(text).toBe(`[${Array.from(unit, searchedF32).join(',')}]`);
    const unitBits = new Uint32Array(unit.buffer);
    const decided = unit.filter((x, i) => fastF32(Math.abs(x), unitBits[i]! & 0x7fffffff) !== null).length;
    expect(decided / unit.length).toBeGreaterThan(0.99);
    expect(formatF32(0.6)).toBe('0.6');
    expect(formatF32(1)).toBe('1.0');
    expect(formatF32(-1e-45)).toBe('-1e-45');
    expect(formatF32(0.099975586)).toBe('0.099975586');
    expect(formatF32(16777216)).toBe('16777216.0');
    expect(formatF32(3.4028234663852886e38)).toBe('3.4028235e38');
  });
});
