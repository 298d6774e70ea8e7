/**
 * Faults between memarc and Qdrant, injected by the fault proxy: 503, 429 with Retry-After,
 * dropped connections and responses cut in half, during scroll, upsert and read-back. The run
 * either recovers with an equal result or stops with a clear error and nothing half-done.
 */
import { Checkpoints, stateDir } from '../../src/core/checkpoint.ts';
import { commitOne } from '../../src/core/restore.ts';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importArchive } from '../../src/core/import.ts';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { startFaultProxy, type FaultProxy, type Match } from '../helpers/fault-proxy.ts';
import { checkpointOf, dropCheckpoint, dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { collectionNames, exportAll, loadInto, rest, totalsOf, type Exported } from './drive.ts';
import { seedCollections, type Seeded } from './fixtures.ts';
import { failure } from '../helpers/failure.ts';
import { exportToBuffer } from '../helpers/archive.ts';

let q: QdrantTarget;
let proxy: FaultProxy;
let seeded: Seeded;
let baseline: Exported;
const created = new Set<string>();
/** Loads stopped part-way on purpose: their checkpoints are dropped at the end whatever happened. */
const stopped: Array<[runId: string, target: string]> = [];
const fast = { attempts: 5, baseMs: 5, maxMs: 40 };

const scroll: Match = (m, p) => m === 'POST' && p.endsWith('/points/scroll');
const upsert: Match = (m, p) => m === 'PUT' && /\/collections\/[^/]+\/points$/.test(p) && !p.includes('memarc_checkpoints');
const readBack: Match = (m, p) => m === 'POST' && /\/collections\/[^/]+\/points$/.test(p) && !p.includes('memarc_checkpoints');

beforeAll(async () => {
  q = await qdrantTarget();
  proxy = await startFaultProxy(q.url);
  const names = { dense: uniqueName('ft_dense'), named: uniqueName('ft_named'), sparse: uniqueName('ft_sparse') };
  for (const n of Object.values(names)) created.add(n);
  seeded = await seedCollections(q.url, q.apiKey, names);
  baseline = (await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.named] })))[0]!;
});

afterAll(async () => {
  if (!q) return;
  for (const [runId, target] of stopped) await dropCheckpoint(q.url, q.apiKey, runId, target);
  await proxy?.close();
  await dropCollections(q.url, q.apiKey, [...created]);
  await q.close();
});

beforeEach(() => proxy.reset());


const exportVia = (url: string, batchPoints = 8) => exportAll(qdrantSource({ url, apiKey: q.apiKey, collections: [seeded.named], batchPoints, retry: fast }));

describe('export under faults', () => {
  it('recovers from 503s, a dropped connection and a response cut in half mid-scroll', async () => {
    proxy.failNth(2, 503, { match: scroll });
    proxy.failNth(3, 503, { match: scroll });
    proxy.dropConnection(5, { match: scroll });
    proxy.dropMidResponse(7, { match: scroll });
    const [e] = await exportVia(proxy.url);
    expect(e!.records).toEqual(baseline.records);
    expect(proxy.requests.filter((r) => scroll(r.method, r.path)).length).toBeGreaterThan(e!.batches.length + 3);
  });

  it('stops with STORE_ERROR after a bounded number of attempts when the server stays unavailable', async () => {
    proxy.failNext(1000, 503, { match: scroll });
    const err = await failure(exportVia(proxy.url));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(new RegExp(`scroll collection "${seeded.named}".*answered 503.*gave up after 5 attempts`));
    expect(proxy.requests.filter((r) => scroll(r.method, r.path))).toHaveLength(5);
  });
});

describe('import under faults', () => {
  it('recovers from 503, dropped connections and cut responses during upsert and read-back', async () => {
    const to = uniqueName('ft_up');
    created.add(to);
    proxy.failNth(2, 503, { match: upsert });
    proxy.dropConnection(4, { match: upsert });
    proxy.dropMidResponse(6, { match: upsert });
    proxy.dropConnection(3, { match: readBack });
    proxy.failNth(5, 500, { match: readBack });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.named]: to }, batchPoints: 5, retry: fast });
    const res = await loadInto(sink, baseline.descriptor, baseline.records, { shardSize: 20 });
    expect(res.report!.digest).toBe(totalsOf(baseline.records).digest);
    const [again] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [to] }));
    expect(totalsOf(again!.records)).toEqual(totalsOf(baseline.records));
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const to = uniqueName('ft_429');
    created.add(to);
    proxy.failNth(1, 429, { match: upsert, retryAfter: 1 });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.named]: to }, retry: { attempts: 3, baseMs: 5, maxMs: 5000 } });
    const t0 = performance.now();
    const res = await loadInto(sink, baseline.descriptor, baseline.records.slice(0, 10));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(res.report!.records.point).toBe(10);
  });

  it('stops with a clear error when upserts keep failing, and rolls the new collection back', async () => {
    const to = uniqueName('ft_down');
    created.add(to);
    proxy.failNext(1000, 503, { match: upsert });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename: { [seeded.named]: to }, retry: fast });
    const err = await failure(loadInto(sink, baseline.descriptor, baseline.records));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(new RegExp(`upsert \\d+ points into collection "${to}".*answered 503`));
    expect(await collectionNames(q.url, q.apiKey)).not.toContain(to);
  });

  it('reports CONNECTION_FAILED when the server goes away', async () => {
    const gone = await startFaultProxy(q.url);
    const url = gone.url;
    await gone.close();
    const err = await failure(exportAll(qdrantSource({ url, collections: [seeded.named], retry: fast })));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toMatch(/cannot reach Qdrant at http:\/\/127\.0\.0\.1:\d+\/? \(read the server version\): ECONNREFUSED after 5 attempts/);
    const err2 = await failure(loadInto(qdrantSink({ url, retry: fast }), baseline.descriptor, baseline.records));
    expect(err2.code).toBe('CONNECTION_FAILED');
  });
});

describe('resume', () => {
  it('keeps the loaded collection and its checkpoint when the server stays unavailable, and --resume finishes it', async () => {
    const to = uniqueName('ft_unavail');
    created.add(to);
    const archive = (await exportToBuffer({ sources: [qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [seeded.named] })], shardMaxRecords: 10 })).bytes;
    // The first upserts land; then the server answers 503 until the retries give up.
    const late: Match = (m, p) => upsert(m, p) && proxy.requests.filter((r) => upsert(r.method, r.path)).length > 3;
    proxy.failNext(1000, 503, { match: late });
    const rename = { [seeded.named]: to };
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename, retry: fast, batchPoints: 5 }) }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.hint).toMatch(/kept .*--resume .*--rollback/);
    expect(await collectionNames(q.url, q.apiKey)).toContain(to);
    proxy.reset();
    const logs: string[] = [];
    // The same command again (the same server URL: a checkpoint belongs to one target), with --resume.
    const res = await importArchive({ input: Readable.from([archive]), sink: qdrantSink({ url: proxy.url, apiKey: q.apiKey, rename, retry: fast, batchPoints: 5 }), resume: true, log: (m) => logs.push(m) });
    expect(logs.some((m) => /resume loading/.test(m))).toBe(true);
    expect(res.datasets[0]!.digest).toBe(totalsOf(baseline.records).digest);
  });

  it('finishes an import killed part-way, from the checkpoint, with an equal digest', async () => {
    const to = uniqueName('ft_resume');
    created.add(to);
    const runId = 'a'.repeat(64);
    stopped.push([runId, to]);
    const opts = { url: q.url, apiKey: q.apiKey, rename: { [seeded.named]: to } };
    const first = await loadInto(qdrantSink(opts), baseline.descriptor, baseline.records, { runId, shardSize: 15, killAfterShards: 2 });
    expect(first.written).toHaveLength(2);
    // Without --resume the half-loaded target is reported, with a hint.
    const exists = await failure(loadInto(qdrantSink(opts), baseline.descriptor, baseline.records, { runId, shardSize: 15 }));
    expect(exists.code).toBe('TARGET_EXISTS');
    expect(exists.hint).toMatch(/--resume/);
    const logs: string[] = [];
    const second = await loadInto(qdrantSink(opts), baseline.descriptor, baseline.records, { runId, shardSize: 15, resume: true, log: (m) => logs.push(m) });
    expect(second.done).toEqual(first.written);
    expect(second.written).toHaveLength(2);
    expect(second.report!.digest).toBe(totalsOf(baseline.records).digest);
    expect(logs.some((m) => /30 points already verified/.test(m))).toBe(true);
    const count = await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${to}/points/count`, { exact: true });
    expect(count.count).toBe(baseline.records.length);
    const info = await rest<{ config: { optimizer_config: { indexing_threshold: number } } }>(q.url, q.apiKey, 'GET', `/collections/${to}`);
    expect(info.config.optimizer_config.indexing_threshold).toBe((baseline.descriptor.fingerprint.optimizer_config as { indexing_threshold: number }).indexing_threshold);
    // Its checkpoint is gone (other runs on a shared server may keep theirs in the same collection).
    expect(await checkpointOf(q.url, q.apiKey, runId, to)).toBeNull();
  });

  it('starts over when asked to resume a run it has no checkpoint for', async () => {
    const to = uniqueName('ft_nocp');
    created.add(to);
    const res = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [seeded.named]: to } }), baseline.descriptor, baseline.records, { resume: true });
    expect(res.done).toEqual([]);
    expect(res.report!.records.point).toBe(baseline.records.length);
  });
});

describe('replace', () => {
  /** The collection `name` and the versioned collections of its replaces: only names this test made. */
  const namesOf = async (name: string): Promise<string[]> => (await collectionNames(q.url, q.apiKey)).filter((n) => n === name || n.startsWith(`${name}-memarc-`));
  const countOf = async (name: string): Promise<number> => (await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${name}/points/count`, { exact: true })).count;

  async function original(): Promise<string> {
    const name = uniqueName('ft_orig');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Dot' } });
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1, vector: [1, 2], payload: { old: true } }] });
    return name;
  }

  it('leaves the original collection untouched and serving when the load fails part-way', async () => {
    const name = await original();
    const before = await namesOf(name);
    expect(before).toEqual([name]);
    proxy.failNth(3, 503, { match: upsert });
    proxy.failNth(4, 503, { match: upsert });
    proxy.failNth(5, 503, { match: upsert });
    const sink = qdrantSink({ url: proxy.url, apiKey: q.apiKey, ifExists: 'replace', rename: { [seeded.named]: name }, batchPoints: 5, concurrency: 1, retry: { attempts: 2, baseMs: 5, maxMs: 10 } });
    const err = await failure(loadInto(sink, baseline.descriptor, baseline.records, { shardSize: 10 }));
    expect(err.code).toBe('STORE_ERROR');
    expect(await countOf(name)).toBe(1);
    const p = await rest<Array<{ payload: unknown }>>(q.url, q.apiKey, 'POST', `/collections/${name}/points`, { ids: [1], with_payload: true });
    expect(p[0]!.payload).toEqual({ old: true });
    expect(await namesOf(name)).toEqual(before);
  });

  it('leaves the original untouched when verification at commit fails', async () => {
    const name = await original();
    const before = await namesOf(name);
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'replace', rename: { [seeded.named]: name } });
    const ds = (await sink.dataset(baseline.descriptor))!;
    await ds.open(baseline.descriptor, { runId: 'verify-fail', resume: false, dryRun: false, checkpoints: new Checkpoints(stateDir(), 'verify-fail') });
    await ds.write('point', baseline.records.slice(0, 10));
    await ds.shardDone({ entry: 'x/point-000000.ndjson.gz', kind: 'point', seq: 0, records: 10 });
    const err = await failure(commitOne(baseline.descriptor.name, ds, totalsOf(baseline.records.slice(0, 11))));
    expect(err.code).toBe('VERIFY_FAILED');
    expect(err.message).toMatch(/10 points were written and verified, the archive's trailer says 11/);
    expect(await countOf(name)).toBe(1);
    expect(await namesOf(name)).toEqual(before);
    expect(await checkpointOf(q.url, q.apiKey, 'verify-fail', name)).toBeNull();
  });

  it('keeps the original serving while a killed replace waits, then finishes it with --resume', async () => {
    const name = await original();
    const opts = { url: q.url, apiKey: q.apiKey, ifExists: 'replace' as const, rename: { [seeded.named]: name } };
    const runId = 'b'.repeat(64);
    stopped.push([runId, name]);
    await loadInto(qdrantSink(opts), baseline.descriptor, baseline.records, { runId, shardSize: 20, killAfterShards: 1 });
    expect(await countOf(name)).toBe(1);
    const staging = `${name}-memarc-bbbbbbbbbbbb`;
    created.add(staging);
    expect(await collectionNames(q.url, q.apiKey)).toContain(staging);
    const res = await loadInto(qdrantSink(opts), baseline.descriptor, baseline.records, { runId, shardSize: 20, resume: true });
    expect(res.done).toHaveLength(1);
    expect(await checkpointOf(q.url, q.apiKey, runId, name)).toBeNull();
    expect(res.report!.digest).toBe(totalsOf(baseline.records).digest);
    expect(await countOf(name)).toBe(baseline.records.length);
    const aliases = await rest<{ aliases: Array<{ alias_name: string; collection_name: string }> }>(q.url, q.apiKey, 'GET', '/aliases');
    expect(aliases.aliases.find((a) => a.alias_name === name)?.collection_name).toBe(staging);
  });

  it('turns a collection into an alias of a verified versioned collection, then switches that alias atomically', async () => {
    const name = await original();
    const sink = qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'replace', rename: { [seeded.named]: name } });
    const first = await loadInto(sink, baseline.descriptor, baseline.records, { runId: 'r1' });
    const aliases = await rest<{ aliases: Array<{ alias_name: string; collection_name: string }> }>(q.url, q.apiKey, 'GET', '/aliases');
    const v1 = aliases.aliases.find((a) => a.alias_name === name)!.collection_name;
    created.add(v1);
    expect(v1).toBe(`${name}-memarc-r1`);
    expect(first.report!.actions.join('\n')).toMatch(/made ".*" an alias of/);
    expect(await countOf(name)).toBe(baseline.records.length);
    const second = await loadInto(sink, baseline.descriptor, baseline.records.slice(0, 7), { runId: 'r2' });
    const v2 = `${name}-memarc-r2`;
    created.add(v2);
    expect(second.report!.actions.join('\n')).toMatch(new RegExp(`switched alias "${name}" to "${v2}"`));
    expect(await countOf(name)).toBe(7);
    const names = await collectionNames(q.url, q.apiKey);
    expect(names).toContain(v2);
    expect(names).not.toContain(v1);
  });
});
