/**
 * `verify: 'count'` skips the per-batch read-back (no retrieve request reaches the server) but
 * still refuses a load whose count or digest disagrees with the archive's trailer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import type { MemarcError } from '../../src/errors.ts';
import { startFaultProxy, type FaultProxy, type Match } from '../helpers/fault-proxy.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { exportAll, loadInto, totalsOf, type Exported } from './drive.ts';
import { seedCollections } from './fixtures.ts';

let q: QdrantTarget;
let proxy: FaultProxy;
let exported: Exported;
const created = new Set<string>();
const readBack: Match = (m, p) => m === 'POST' && /\/collections\/[^/]+\/points$/.test(p) && !p.includes('memarc_checkpoints');
const upsert: Match = (m, p) => m === 'PUT' && /\/collections\/[^/]+\/points$/.test(p) && !p.includes('memarc_checkpoints');

beforeAll(async () => {
  q = await qdrantTarget();
  proxy = await startFaultProxy(q.url);
  const names = { dense: uniqueName('vm_dense'), named: uniqueName('vm_named'), sparse: uniqueName('vm_sparse') };
  for (const n of Object.values(names)) created.add(n);
  const seeded = await seedCollections(q.url, q.apiKey, names);
  exported = (await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.named] })))[0]!;
});

afterAll(async () => {
  if (!q) return;
  await proxy?.close();
  await dropCollections(q.url, q.apiKey, [...created]);
  await q.close();
});

describe('verify modes', () => {
  it('readback (the default) retrieves every upserted batch; count retrieves none and still commits', async () => {
    for (const verify of ['readback', 'count'] as const) {
      proxy.reset();
      const target = uniqueName(`vm_${verify}`);
      created.add(target);
      const res = await loadInto(qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [exported.descriptor.name]: target }, ...(verify === 'count' ? { verify } : {}) }), exported.descriptor, exported.records);
      expect(res.report?.records.point).toBe(exported.records.length);
      expect(res.report?.digest).toBe(totalsOf(exported.records).digest);
      const upserts = proxy.requests.filter((r) => upsert(r.method, r.path)).length;
      const reads = proxy.requests.filter((r) => readBack(r.method, r.path)).length;
      expect(upserts).toBeGreaterThan(0);
      if (verify === 'readback') expect(reads).toBe(upserts);
      else expect(reads).toBe(0);
    }
  });

  it('count still refuses a load that disagrees with the trailer', async () => {
    const target = uniqueName('vm_bad');
    created.add(target);
    const wrong = { records: { point: exported.records.length + 1 }, digest: totalsOf(exported.records).digest };
    const err = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, verify: 'count', rename: { [exported.descriptor.name]: target } }), exported.descriptor, exported.records, { expected: wrong }).then(
      () => null,
      (e: unknown) => e as MemarcError,
    );
    expect(err?.code).toBe('VERIFY_FAILED');
  });
});
