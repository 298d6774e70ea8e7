/**
 * The adapter under the core's orchestration: a server-to-server migration (pseudo-shards fed
 * directly) and an archive export → import through the real codec.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFingerprints, qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { importArchive, type ImportResult } from '../../src/core/import.ts';
import type { DatasetSink, Sink } from '../../src/core/adapter.ts';
import { MemarcError } from '../../src/errors.ts';
import { migrate } from '../../src/core/migrate.ts';
import { startQdrantEmulator, type RunningEmulator } from '../qdrant-emulator/index.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { exportAll, loadInto, rest, totalsOf } from './drive.ts';
import { seedCollections, type Seeded } from './fixtures.ts';
import { exportToBuffer } from '../helpers/archive.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';

let q: QdrantTarget;
let other: RunningEmulator | null = null;
let seeded: Seeded;
const created = new Set<string>();

beforeAll(async () => {
  q = await qdrantTarget();
  const names = { dense: uniqueName('pl_dense'), named: uniqueName('pl_named'), sparse: uniqueName('pl_sparse') };
  for (const n of Object.values(names)) created.add(n);
  seeded = await seedCollections(q.url, q.apiKey, names, 60);
  // A second server when the tests run on the emulator; a real server migrates onto itself under new names.
  if (!q.real) other = await startQdrantEmulator();
});

afterAll(async () => {
  await other?.close();
  if (!q) return;
  await dropCollections(q.url, q.apiKey, [...created]);
  await q.close();
});

describe('qdrant under the core', () => {
  it('migrates collections server to server with equal fingerprints and digests', async () => {
    const to = other ? { url: other.url } : { url: q.url, apiKey: q.apiKey };
    const rename = other ? {} : { [seeded.dense]: uniqueName('pl_mig_d'), [seeded.named]: uniqueName('pl_mig_n') };
    for (const n of Object.values(rename)) created.add(n);
    const src = [seeded.dense, seeded.named];
    const res = await migrate({
      source: qdrantSource({ url: q.url, apiKey: q.apiKey, collections: src, batchPoints: 16 }),
      sink: qdrantSink({ ...to, rename }),
      shardRecords: 25,
    });
    expect(res.datasets.map((d) => d.dataset).sort()).toEqual([...src].sort());
    const before = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: src }));
    const after = await exportAll(qdrantSource({ ...to, collections: src.map((n) => rename[n] ?? n) }));
    for (const [i, b] of before.entries()) {
      const a = after[i]!;
      expect(compareFingerprints(b.descriptor.fingerprint, a.descriptor.fingerprint)).toEqual([]);
      expect(totalsOf(a.records)).toEqual(totalsOf(b.records));
      const report = res.datasets.find((d) => d.dataset === b.descriptor.name)!;
      expect(report.digest).toBe(totalsOf(b.records).digest);
    }
  });

  it('exports an archive and imports it with an equal digest', async () => {
    const { bytes } = await exportToBuffer({ sources: [qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.sparse, seeded.named] })] });
    const rename = { [seeded.sparse]: uniqueName('pl_imp_s'), [seeded.named]: uniqueName('pl_imp_n') };
    for (const n of Object.values(rename)) created.add(n);
    const res = await importArchive({ input: Readable.from([bytes]), sink: qdrantSink({ url: q.url, apiKey: q.apiKey, rename }) });
    const orig = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.sparse, seeded.named] }));
    for (const o of orig) {
      const report = res.datasets.find((d) => d.dataset === o.descriptor.name)!;
      expect(report.target).toBe(rename[o.descriptor.name]);
      expect(report.digest).toBe(totalsOf(o.records).digest);
    }
  });

  it("the sink adds the reader's record hashes to its digest: the same digest as hashing each point, and altered hashes fail the verification", async () => {
    const { bytes } = await exportToBuffer({ sources: [qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense] })] });
    const load = async (how: 'hashes' | 'no hashes' | 'altered hashes') => {
      const target = uniqueName('pl_hash');
      created.add(target);
      const inner = qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [seeded.dense]: target } });
      let given = 0;
      const sink: Sink = {
        ...inner,
        async dataset(d) {
          const ds = await inner.dataset(d);
          if (!ds) return ds;
          const wrapped = Object.create(ds) as DatasetSink;
          wrapped.write = (kind, batch, signal, hashes) => {
            if (hashes) given += hashes.length / 32;
            const h = how === 'no hashes' || !hashes ? undefined : how === 'altered hashes' ? hashes.map((b, i) => (i === 5 ? b ^ 1 : b)) : hashes;
            return ds.write.call(wrapped, kind, batch, signal, h);
          };
          return wrapped;
        },
        close: () => inner.close(),
      };
      const res = await importArchive({ input: Readable.from([bytes]), sink }).catch((err: unknown) => err);
      return { res, given };
    };
    const withHashes = await load('hashes');
    const without = await load('no hashes');
    const digestOf = (r: unknown) => (r as ImportResult).datasets[0]!.digest;
    // Every point came with its hash.
    expect(withHashes.given).toBe((withHashes.res as ImportResult).datasets[0]!.records.point);
    expect(withHashes.given).toBeGreaterThan(50);
    expect(digestOf(withHashes.res)).toBe(digestOf(without.res));
    const altered = await load('altered hashes');
    expect(altered.res).toBeInstanceOf(MemarcError);
    expect((altered.res as MemarcError).code).toBe('VERIFY_FAILED');
    expect((altered.res as MemarcError).message).toMatch(/content digest/);
  });

  it('an import (points held with their vectors decoded) refuses a read-back whose vector differs, naming the point', async () => {
    const { bytes } = await exportToBuffer({ sources: [qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense] })] });
    const proxy = await startFaultProxy(q.url);
    try {
      let changed = '';
      proxy.rewriteAnswerNth(
        2,
        (body) =>
          body.replace(/\{"id":([^,]+),(.*?)"vector":\[[^,\]]+/, (_all, id: string, mid: string) => {
            changed = id;
            return `{"id":${id},${mid}"vector":[9`;
          }),
        { match: (m, path) => m === 'POST' && /\/points$/.test(path) },
      );
      const target = uniqueName('pl_changed');
      created.add(target);
      const err = await importArchive({ input: Readable.from([bytes]), sink: qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.dense]: target }, batchPoints: 16 }) }).catch((e: unknown) => e);
      expect(changed).not.toBe('');
      expect(err).toBeInstanceOf(MemarcError);
      expect((err as MemarcError).code).toBe('VERIFY_FAILED');
      expect((err as MemarcError).message).toContain(`point ${JSON.parse(changed) as string | number} of dataset`);
      expect((err as MemarcError).message).toMatch(/differs from the archive: vector ""/);
    } finally {
      await proxy.close();
    }
  });

  it("gathers small writes into sub-batches of batchPoints and sends the rest at each shard's end, with the same digest whether the hashes come or not", async () => {
    const [e] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense] }));
    expect(e!.records).toHaveLength(61);
    const proxy = await startFaultProxy(q.url);
    const upsert = (m: string, p: string) => m === 'PUT' && /\/collections\/[^/]+\/points$/.test(p);
    try {
      // Shards of 50 and 11 points, written 5 at a time: 16 + 16 + 16 + 2, then 11 (without
      // gathering, 13 upserts). Writes that alternate between hashes given and not are sent apart.
      for (const [hashes, upserts] of [[undefined, 5], ['all', 5], ['alternate', 13]] as const) {
        proxy.reset();
        const target = uniqueName('pl_gather');
        created.add(target);
        const res = await loadInto(qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.dense]: target }, batchPoints: 16 }), e!.descriptor, e!.records, { writeSize: 5, shardSize: 50, ...(hashes ? { hashes } : {}) });
        expect(proxy.requests.filter((r) => upsert(r.method, r.path)), String(hashes)).toHaveLength(upserts);
        expect(res.report!.records.point).toBe(61);
        expect(res.report!.digest).toBe(totalsOf(e!.records).digest);
        expect((await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${target}/points/count`, { exact: true })).count).toBe(61);
      }
    } finally {
      await proxy.close();
    }
  });

  it('compares every record of a repeated id with its stored point (a format 1 archive may repeat one): the count, not the read-back, refuses it', async () => {
    const [e] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense] }));
    const records = [e!.records[0]!, ...e!.records.slice(0, 10)];
    const target = uniqueName('pl_dup');
    created.add(target);
    const err = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [seeded.dense]: target } }), e!.descriptor, records).catch((x: unknown) => x as MemarcError);
    expect((err as MemarcError).code).toBe('VERIFY_FAILED');
    expect((err as MemarcError).message).toMatch(/holds 10 points after the load, expected 11/);
  });

  it('compares each read-back point as it arrives, with the read-back rules kept: the last answer of a point counts, a bad vector or a result that is not points is STORE_ERROR', async () => {
    const { bytes } = await exportToBuffer({ sources: [qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.dense] })] });
    const readBack = { match: (m: string, path: string) => m === 'POST' && /\/points$/.test(path) };
    const load = async (rewrite: (body: string) => string) => {
      const proxy = await startFaultProxy(q.url);
      try {
        proxy.rewriteAnswerNth(1, rewrite, readBack);
        const target = uniqueName('pl_each');
        created.add(target);
        return await importArchive({ input: Readable.from([bytes]), sink: qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.dense]: target }, batchPoints: 16, retry: { attempts: 1, baseMs: 1, maxMs: 1 } }) }).catch((e: unknown) => e as MemarcError);
      } finally {
        await proxy.close();
      }
    };
    // Text surgery only: a parse and print of the answer would change its payload numbers.
    const firstId = (body: string) => /"result":\[\{"id":([^,]+),/.exec(body)![1]!;
    const wrong = (body: string) => `{"id":${firstId(body)},"vector":[1],"payload":{}}`;
    // A point answered twice, a wrong copy first: its last answer counts, and the import verifies.
    const twice = await load((body) => body.replace('"result":[', `"result":[${wrong(body)},`));
    expect((twice as ImportResult).datasets?.[0]?.records.point).toBeGreaterThan(50);
    // The right copy first, a wrong one last: VERIFY_FAILED.
    const wrongLast = await load((body) => body.replace(/\],"status"/, `,${wrong(body)}],"status"`));
    expect((wrongLast as MemarcError).code).toBe('VERIFY_FAILED');
    // A vector element that is not a number: the point is named, as before.
    const bad = await load((body) => body.replace('"vector":[', '"vector":["x",'));
    expect((bad as MemarcError).code).toBe('STORE_ERROR');
    expect((bad as MemarcError).message).toMatch(/^point \S+: vector "" is not an array of numbers/);
    // A result that is not an array of points.
    for (const result of [{ points: [] }, [1, 2]]) {
      const odd = await load(() => JSON.stringify({ result, status: 'ok', time: 0 }));
      expect((odd as MemarcError).code, JSON.stringify(result)).toBe('STORE_ERROR');
    }
    // Points without the envelope: none went through the comparison, so they are not taken as read.
    const bare = await load((body) => `[${wrong(body)}]`);
    expect((bare as MemarcError).code).toBe('STORE_ERROR');
    expect((bare as MemarcError).message).toMatch(/the answer's result is not an array of points/);
  });
});
