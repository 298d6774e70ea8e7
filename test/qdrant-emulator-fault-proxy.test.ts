/** Tests of the fault-injecting proxy, in front of the emulator or a real server (QDRANT_URL). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QdrantClient } from '@qdrant/js-client-rest';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from './helpers/qdrant.ts';
import { restClient } from './qdrant-emulator/test-client.ts';

let target: QdrantTarget;
let proxy: FaultProxy;
let api: ReturnType<typeof restClient>;
const name = uniqueName('proxy');

beforeAll(async () => {
  target = await qdrantTarget();
  proxy = await startFaultProxy(target.url);
  api = restClient(proxy.url, target.apiKey);
  const res = await api('PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Dot' } });
  expect(res.status).toBe(200);
  await api('PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1, vector: [1, 2], payload: { a: 1 } }] });
});

beforeEach(() => proxy.reset());

afterAll(async () => {
  await proxy?.close();
  if (!target) return;
  await dropCollections(target.url, target.apiKey, [name]);
  await target.close();
});

describe('fault proxy', () => {
  it('forwards requests and records method, path and response bytes', async () => {
    const res = await api('POST', `/collections/${name}/points/scroll?timeout=5`, { limit: 1 });
    expect(res.status).toBe(200);
    expect(res.json.result.points[0].id).toBe(1);
    expect(proxy.requests).toEqual([{ method: 'POST', path: `/collections/${name}/points/scroll`, responseBytes: Buffer.byteLength(res.text) }]);
  });

  it('fails only the nth request, with Qdrant\'s error envelope', async () => {
    proxy.failNth(2, 503);
    expect((await api('GET', `/collections/${name}`)).status).toBe(200);
    const failed = await api('GET', `/collections/${name}`);
    expect(failed.status).toBe(503);
    expect(typeof failed.json.status.error).toBe('string');
    expect(typeof failed.json.time).toBe('number');
    expect((await api('GET', `/collections/${name}`)).status).toBe(200);
    expect(proxy.requests).toHaveLength(3);
  });

  it('fails the next n matching requests with 429 and Retry-After, which the client surfaces', async () => {
    proxy.failNext(2, 429, { retryAfter: 3, match: (method, path) => method === 'POST' && path.endsWith('/points/scroll') });
    expect((await api('GET', `/collections/${name}`)).status).toBe(200); // not matched
    const first = await api('POST', `/collections/${name}/points/scroll`, {});
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.json.status.error).toMatch(/^Rate limiting exceeded/);
    const client = new QdrantClient({ url: proxy.url, apiKey: target.apiKey, checkCompatibility: false });
    await expect(client.scroll(name, {})).rejects.toMatchObject({ name: 'QdrantClientResourceExhaustedError', retry_after: 3 });
    expect((await client.scroll(name, {})).points).toHaveLength(1);
  });

  it('delays matching requests', async () => {
    proxy.delay(250, { match: (_m, path) => path.endsWith('/exists') });
    const t0 = performance.now();
    expect((await api('GET', `/collections/${name}/exists`)).json.result.exists).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    const t1 = performance.now();
    await api('GET', `/collections/${name}`);
    expect(performance.now() - t1).toBeLessThan(240);
  });

  it('drops the connection of the nth request without a response', async () => {
    proxy.dropConnection(1);
    await expect(api('GET', `/collections/${name}`)).rejects.toThrow();
    expect((await api('GET', `/collections/${name}`)).status).toBe(200);
  });

  it('cuts a response in the middle of its body', async () => {
    proxy.dropMidResponse(1, { match: (_m, path) => path.endsWith('/points/scroll') });
    const res = await fetch(`${proxy.url}/collections/${name}/points/scroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(target.apiKey ? { 'api-key': target.apiKey } : {}) },
      body: JSON.stringify({ limit: 10, with_vector: true }),
    });
    expect(res.status).toBe(200); // the headers arrived
    await expect(res.text()).rejects.toThrow();
    expect((await api('POST', `/collections/${name}/points/scroll`, {})).status).toBe(200);
  });

  it('reset() removes rules and clears the request log', async () => {
    proxy.failNext(5, 500);
    expect((await api('GET', '/collections')).status).toBe(500);
    proxy.reset();
    expect(proxy.requests).toEqual([]);
    expect((await api('GET', '/collections')).status).toBe(200);
  });
});
