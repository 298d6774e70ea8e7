/**
 * pgvector ↔ Qdrant through `migrate` (spec/FORMAT.md 15.4, 15.7): a pgvector table read as a
 * vectors dataset (`?table=` on the URL) into a Qdrant collection built from the neutral schema,
 * and the collection back into a pgvector table; every vector bit-exact both ways.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { REGISTRY } from '../../src/adapters/registry.ts';
import type { Source } from '../../src/core/adapter.ts';
import { migrate } from '../../src/core/migrate.ts';
import { migrateEnds, restoreSink } from '../../src/core/stores.ts';
import { importArchive } from '../../src/core/import.ts';
import { Readable } from 'node:stream';
import type { PointRecord } from '../../src/format/records.ts';
import { dropCollections, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { endpointOf, postgresSource } from '../../src/adapters/postgres/index.ts';
import { exportToBuffer } from '../helpers/archive.ts';

const DIM = 8;

async function points(source: Source): Promise<Map<string, PointRecord>> {
  const out = new Map<string, PointRecord>();
  try {
    for (const ds of await source.open()) for await (const batch of ds.batches('point')) for (const p of batch) out.set(String(p.id), p);
  } finally {
    await source.close();
  }
  return out;
}

describe('pgvector ↔ Qdrant through migrate', () => {
  let server: PostgresServer;
  let q: QdrantTarget;
  let src: string;
  const collection = uniqueName('pgvec');
  const logs: string[] = [];
  const run = async (from: string, to: string, flags: Record<string, unknown> = {}, dryRun = false) => {
    const ends = await migrateEnds(REGISTRY, { from, to, flags, env: {}, log: (m) => logs.push(m), ifExists: 'fail' });
    return migrate({ source: ends.source, sink: ends.sink, log: (m) => logs.push(m), dryRun });
  };

  beforeAll(async () => {
    server = await startPostgres();
    q = await qdrantTarget();
    src = await server.database('vec');
    const c = new pg.Client({ connectionString: src });
    await c.connect();
    await c.query(`CREATE TABLE memory_entries (id bigint PRIMARY KEY, content text NOT NULL, metadata jsonb, importance numeric(6,3), embedding vector(${DIM}))`);
    await c.query(`CREATE INDEX ON memory_entries USING hnsw (embedding vector_l2_ops)`);
    // Values that a decimal round trip would blur: subnormals, the largest float32, odd bits, and −0
    // (which JSON.stringify writes as 0: the Qdrant sink sends it as the text -0.0).
    await c.query(`INSERT INTO memory_entries SELECT i, 'memory ' || i, jsonb_build_object('turn', i, 'tags', jsonb_build_array('a', 'b')), i * 0.125,
      ARRAY[sin(i)::real, (i * 1e-40)::real, (CASE WHEN i % 2 = 0 THEN '-0'::real ELSE (-1e-45)::real END), 3.4028235e38::real, (1.0 / (i + 3))::real, cos(i * 7)::real, (-i - 0.5)::real, 1.17549435e-38::real]::vector
      FROM generate_series(0, 149) i`);
    await c.end();
  });
  afterAll(async () => {
    if (q) await dropCollections(q.url, q.apiKey, [collection]).catch(() => {});
    await q?.close();
    await server?.stop();
  });

  it('a dry run prints the mapping and writes nothing', async () => {
    const res = await run(`${src}?table=memory_entries`, q.url, {}, true);
    expect(res.datasets[0]!.records.point).toBe(150);
    expect(logs.join('\n')).toMatch(/as vectors: id id; vectors embedding → "" \(dense 8, euclid, float32\); payload content, metadata, importance/);
    expect(logs.join('\n')).toMatch(/collection with \{"vectors":\{"size":8,"distance":"Euclid"\}\}/);
  });

  it('an archive of the table as vectors imports into Qdrant when --collections names it, and only then', async () => {
    const { trailer, bytes: archive } = await exportToBuffer({ sources: [postgresSource({ endpoint: endpointOf(`${src}?table=memory_entries`, {}) })] });
    // Unasked, it is skipped like any dataset whose own store (Postgres, in this build) is not a target.
    const unasked = await importArchive({ input: Readable.from([archive]), sink: restoreSink(REGISTRY, new Map([['qdrant', qdrantSink({ url: q.url })]])), stateDir: false });
    expect(unasked).toMatchObject({ datasets: [], skipped: ['memory_entries'] });
    const name = collection;
    const res = await importArchive({ input: Readable.from([archive]), sink: restoreSink(REGISTRY, new Map([['qdrant', qdrantSink({ url: q.url, collections: ['memory_entries'], rename: { memory_entries: name } })]])), stateDir: false });
    expect(res.datasets[0]!.digest).toBe(trailer.datasets[0]!.digest);
    const back = await points(qdrantSource({ url: q.url, collections: [name] }));
    const original = await points(postgresSource({ endpoint: endpointOf(`${src}?table=memory_entries`, {}) }));
    for (const [id, p] of original) expect(back.get(id)?.vectors).toEqual(p.vectors);
  });

  it('moves every vector bit-exactly to Qdrant and back', async () => {
    const there = await run(`${src}?table=memory_entries`, q.url);
    expect(there.datasets[0]!.records.point).toBe(150);
    // The sink's name for it is the dataset's: memory_entries; rename it to this run's collection.
    const original = await points(postgresSource({ endpoint: endpointOf(`${src}?table=memory_entries`, {}) }));
    const inQdrant = await points(qdrantSource({ url: q.url, collections: ['memory_entries'] }));
    expect(inQdrant.size).toBe(150);
    for (const [id, p] of original) expect(inQdrant.get(id)?.vectors).toEqual(p.vectors);
    expect(inQdrant.get('3')?.payload).toMatchObject({ content: 'memory 3', metadata: { turn: 3, tags: ['a', 'b'] } });

    const dst = await server.database('back');
    const back = await run(q.url, `${dst}?table=memories_back`, { collections: ['memory_entries'] });
    expect(back.datasets[0]!.digest).toBe(there.datasets[0]!.digest);
    const returned = await points(postgresSource({ endpoint: endpointOf(`${dst}?table=memories_back&payload=payload`, {}) }));
    expect(returned.size).toBe(150);
    for (const [id, p] of original) expect(returned.get(id)?.vectors).toEqual(p.vectors);
    const c = new pg.Client({ connectionString: dst });
    await c.connect();
    const idx = await c.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'memories_back' ORDER BY 1`);
    await c.end();
    expect(idx.rows.map((r) => r.indexdef).join('\n')).toMatch(/USING hnsw \(embedding vector_l2_ops\)/);
    await dropCollections(q.url, q.apiKey, ['memory_entries']);
  });
});

describe('?table= on a Postgres target', () => {
  it('names the table of one dataset, and refuses a source of several', async () => {
    const { postgresSink } = await import('../../src/adapters/postgres/index.ts');
    const sink = postgresSink({ endpoint: endpointOf('postgres://u@127.0.0.1:1/db', {}), rename: { '*': 'only' }, convert: true });
    const d = (name: string) => ({ name, kind: 'qdrant.collection', family: 'vectors' as const, store: 'qdrant', schema: { vectors: [] }, fingerprint: {}, source: { type: 'qdrant' } });
    expect(await sink.dataset(d('a'))).not.toBeNull();
    await expect(sink.dataset(d('b'))).rejects.toMatchObject({ code: 'USAGE', message: /\?table=only on the target URL names the table of one dataset/ });
    await sink.close();
  });
});
