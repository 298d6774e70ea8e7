/**
 * The novamem-shaped fixture (fixture.ts) through export and import, on a real PostgreSQL 18 with
 * pgvector (test/helpers/postgres-server.ts, or DATABASE_URL): equal digests, equal schema (the
 * whole native configuration, sequence values included), and the hard values kept exactly.
 */
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOf, postgresSink } from '../../src/adapters/postgres/index.ts';
import { importArchive } from '../../src/core/import.ts';
import { readArchive } from '../../src/format/reader.ts';
import { failure } from '../helpers/failure.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { createNovamem, FIXTURE_TABLES } from './fixture.ts';
import { exportDb, rows } from './helpers.ts';

describe('postgres: the novamem fixture round-trips', () => {
  let server: PostgresServer;
  let src: string;
  beforeAll(async () => {
    server = await startPostgres();
    src = await server.database('src');
    await createNovamem(src, { memories: 300 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('exports every table from one snapshot, and restores them with equal digests and an equal schema', async () => {
    const a = await exportDb(src);
    expect(a.header.datasets.map((d) => d.name).sort()).toEqual(FIXTURE_TABLES);
    const counts = Object.fromEntries(a.header.datasets.map((d, i) => [d.name, a.trailer.datasets[i]!.records.row]));
    expect(counts).toEqual({ audit_log: 30, memory_entries: 294, projects: 3, sessions: 20, users: 4 });
    const dst = await server.database('dst');
    const res = await importArchive({ input: Readable.from([a.bytes]), sink: postgresSink({ endpoint: endpointOf(dst, {}) }), stateDir: false });
    expect(res.datasets.map((d) => d.digest).sort()).toEqual(a.trailer.datasets.map((d) => d.digest).sort());
    const b = await exportDb(dst);
    const byName = (x: typeof a) => Object.fromEntries(x.header.datasets.map((d, i) => [d.name, { schema: d.schema, config: d.native?.config, digest: x.trailer.datasets[i]!.digest }]));
    expect(byName(b)).toEqual(byName(a));
    // Generated columns (stored and virtual) are computed again by the target.
    const gen = (url: string) => rows(url, `SELECT email, domain, handle FROM users ORDER BY id`);
    expect(await gen(dst)).toEqual(await gen(src));
    // Nothing of memarc's is left on the target.
    expect(await rows(dst, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
    // The sequences continue where the source's stood.
    const next = async (url: string) => (await rows(url, `SELECT nextval('projects_id_seq')::text AS p, nextval('memory_entries_id_seq')::text AS m`))[0];
    expect(await next(dst)).toEqual(await next(src));
  });

  it('migrates database to database with the same digests, foreign keys between the tables included', async () => {
    const { REGISTRY } = await import('../../src/adapters/registry.ts');
    const { migrateEnds } = await import('../../src/core/stores.ts');
    const { migrate } = await import('../../src/core/migrate.ts');
    const dst = await server.database('mig');
    const ends = await migrateEnds(REGISTRY, { from: src, to: dst, flags: {}, env: {}, log: () => {}, ifExists: 'fail' });
    const res = await migrate({ source: ends.source, sink: ends.sink });
    const a = await exportDb(src);
    const digests = (x: typeof a) => Object.fromEntries(x.header.datasets.map((d, i) => [d.name, x.trailer.datasets[i]!.digest]));
    expect(Object.fromEntries(res.datasets.map((d) => [d.dataset, d.digest]))).toEqual(digests(a));
    expect(digests(await exportDb(dst))).toEqual(digests(a));
    expect((await rows(dst, `SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1`)).map((r) => r.conname)).toEqual(['audit_log_actor_fkey', 'memory_entries_session_id_fkey', 'memory_entries_user_id_fkey', 'sessions_project_id_fkey', 'sessions_user_id_fkey']);
  });

  it('keeps columns and JSON members named like what every JavaScript object has (__proto__, constructor)', async () => {
    const db = await server.database('protos');
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    await c.query(`CREATE TABLE p (id int PRIMARY KEY, "__proto__" text, "constructor" int, doc jsonb);
      INSERT INTO p VALUES (1, 'kept', 7, '{"__proto__": 1, "a": {"__proto__": "x", "toString": 2}}'), (2, NULL, NULL, '{"__proto__": [1]}')`);
    await c.end();
    const a = await exportDb(db, { tables: ['p'] });
    const dst = await server.database('protos2');
    const res = await importArchive({ input: Readable.from([a.bytes]), sink: postgresSink({ endpoint: endpointOf(dst, {}) }), stateDir: false });
    expect(res.datasets[0]!.digest).toBe(a.trailer.datasets[0]!.digest);
    const q = `SELECT id, "__proto__" AS proto, "constructor" AS ctor, doc::text AS doc FROM p ORDER BY id`;
    expect(await rows(dst, q)).toEqual(await rows(db, q));
    expect((await rows(dst, q))[0]).toEqual({ id: 1, proto: 'kept', ctor: 7, doc: '{"a": {"toString": 2, "__proto__": "x"}, "__proto__": 1}' });
    expect((await exportDb(dst, { tables: ['p'] })).trailer.datasets[0]!.digest).toBe(a.trailer.datasets[0]!.digest);
  });

  it('keeps the hard values exactly', async () => {
    const a = await exportDb(src, { tables: ['users'] });
    let users: Array<Record<string, unknown>> = [];
    for await (const ev of readArchive(Readable.from([a.bytes]))) if (ev.type === 'records') users = users.concat(ev.records.map((r) => (r as { cells: Record<string, unknown> }).cells));
    const ada = users.find((u) => u.email === 'ada@example.org')!;
    expect(ada.score).toEqual({ double: 'NaN' });
    expect(ada.weight).toEqual({ double: '-0' });
    expect(ada.big).toBe(9007199254740993n);
    expect(ada.avatar).toEqual({ bytes: Buffer.from('89504e470d0a', 'hex').toString('base64') });
    expect(ada.tags).toEqual(['a', 'b,c', '"q"', null]);
    expect(ada.tz_free).toEqual({ timestamp: '2026-03-01T12:00:00.000001' });
    expect(ada.wake).toEqual({ timeofday: '06:30:00.5' });
    expect(ada.born).toEqual({ date: Math.floor(Date.UTC(1815, 11, 10) / 86_400_000) });
    expect(ada.mood).toBe('calm');
    const bob = users.find((u) => u.email === 'bob@example.org')!;
    expect(bob.big).toBe(-9223372036854775808n);
    const bc44 = new Date(0);
    bc44.setUTCFullYear(-43, 2, 15); // 44 BC is year -43 (year 0 is 1 BC)
    expect(bob.born).toEqual({ date: bc44.getTime() / 86_400_000 });
    expect(bob.tags).toEqual([]);
  });
});

describe('postgres: append and merge into a live table', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('append refuses keys the target holds; merge overwrites them; both move the sequence up to the archive\'s', async () => {
    const src = await server.database('am');
    await rows(src, `CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`);
    await rows(src, `INSERT INTO notes (body) SELECT 'n' || i FROM generate_series(1, 50) i`);
    const a = await exportDb(src);
    const dst = await server.database('am2');
    await rows(dst, `CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`);
    await rows(dst, `INSERT INTO notes (id, body) VALUES (1000, 'mine')`);
    const load = (ifExists: 'append' | 'merge') => importArchive({ input: Readable.from([a.bytes]), sink: postgresSink({ endpoint: endpointOf(dst, {}), ifExists }), stateDir: false });
    const res = await load('append');
    expect(res.datasets[0]!.actions.join('\n')).toMatch(/appended 50 rows/);
    // The live sequence had never been used: it now continues after the archive's 50.
    expect(await rows(dst, `SELECT nextval('notes_id_seq')::int AS v`)).toEqual([{ v: 51 }]);
    const again = await failure(load('append'));
    expect(again.code).toBe('TARGET_EXISTS');
    expect(again.message).toMatch(/already holds 50 row key\(s\)/);
    await rows(dst, `UPDATE notes SET body = 'changed' WHERE id <= 10`);
    const merged = await load('merge');
    expect(merged.datasets[0]!.actions.join('\n')).toMatch(/merged 50 rows/);
    expect(await rows(dst, `SELECT count(*)::int AS n, count(*) FILTER (WHERE body = 'changed')::int AS c FROM notes`)).toEqual([{ n: 51, c: 0 }]);
    expect(await rows(dst, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
  });
});

describe('postgres: a run whose last publish fails', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('puts back every table and enum type the earlier publishes created', async () => {
    const src = await server.database('pf');
    await createNovamem(src, { memories: 20, dim: 4 });
    const a = await exportDb(src);
    const dst = await server.database('pf2');
    const real = postgresSink({ endpoint: endpointOf(dst, {}) });
    const sink: typeof real = {
      close: () => real.close(),
      async dataset(d) {
        const ds = await real.dataset(d);
        if (!ds || d.name !== 'users') return ds;
        return Object.assign(Object.create(ds) as typeof ds, { publish: async () => { throw new Error('the switch was refused (injected by the test)'); } });
      },
    };
    await expect(importArchive({ input: Readable.from([a.bytes]), sink, stateDir: false })).rejects.toThrow(/publishing dataset "users" failed.*put back/);
    expect(await rows(dst, `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r'`)).toEqual([]);
    expect(await rows(dst, `SELECT typname FROM pg_type WHERE typname = 'mood'`)).toEqual([]);
    expect(await rows(dst, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
  });
});
