/**
 * What the Postgres export refuses, selects and waits for: a type or value the archive cannot
 * hold exactly is refused naming table and column; --schemas and --tables pick datasets named
 * `table` (public) or `schema.table`; a frozen server fails the export within its deadline; a
 * replace that would orphan another table's foreign key is refused before anything is written.
 */
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOf, postgresSink, postgresSource } from '../../src/adapters/postgres/index.ts';
import { importArchive } from '../../src/core/import.ts';
import type { Source } from '../../src/core/adapter.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { failure } from '../helpers/failure.ts';
import { exportDb, rows } from './helpers.ts';
import { exportToBuffer } from '../helpers/archive.ts';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function db(sql: string): Promise<string> {
  const url = await server.database('exp');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(sql);
  await c.end();
  return url;
}

describe('postgres export', () => {
  it.each([
    ['a type without a neutral form', `CREATE TABLE t (id int PRIMARY KEY, addr inet); INSERT INTO t VALUES (1, '10.0.0.1')`, /table "public\.t", column "addr": type inet has no exact form/],
    ['a numeric NaN', `CREATE TABLE t (id int PRIMARY KEY, n numeric); INSERT INTO t VALUES (1, 'NaN')`, /table "public\.t", column "n", row 1 .*numeric NaN/],
    ['an infinite timestamp', `CREATE TABLE t (id int PRIMARY KEY, at timestamptz); INSERT INTO t VALUES (1, 'infinity')`, /column "at", row 1 .*infinity/],
    ['a jsonb number a double cannot hold', `CREATE TABLE t (id int PRIMARY KEY, j jsonb); INSERT INTO t VALUES (1, '{"x": 0.1000000000000000000001}')`, /column "j", row 1 .*0\.1000000000000000000001 has no exact double/],
    ['an array whose lower bound is not 1', `CREATE TABLE t (id int PRIMARY KEY, a int[]); INSERT INTO t VALUES (1, '[0:1]={1,2}')`, /column "a", row 1 .*lower bound/],
  ])('refuses %s, naming table and column', async (_what, sql, message) => {
    const url = await db(sql);
    const err = await failure(exportDb(url));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(message);
  });

  it('--schemas and --tables select datasets; a table outside public is named schema.table and restores there', async () => {
    const url = await db(`CREATE SCHEMA app; CREATE TABLE app.notes (id int PRIMARY KEY, body text); INSERT INTO app.notes VALUES (1, 'x'), (2, NULL);
      CREATE TABLE public.other (id int PRIMARY KEY); CREATE TABLE app.other (id int PRIMARY KEY)`);
    const all = await exportDb(url);
    expect(all.header.datasets.map((d) => d.name)).toEqual(['app.notes', 'app.other', 'other']);
    const some = await exportDb(url, { schemas: ['app'] });
    expect(some.header.datasets.map((d) => d.name)).toEqual(['app.notes', 'app.other']);
    const one = await exportDb(url, { tables: ['app.notes'] });
    expect(one.header.datasets.map((d) => d.name)).toEqual(['app.notes']);
    // A bare name that two schemas hold means public's.
    expect((await exportDb(url, { tables: ['other'] })).header.datasets.map((d) => d.name)).toEqual(['other']);
    expect((await failure(exportDb(url, { tables: ['nope'] }))).code).toBe('NOT_FOUND');
    const dst = await server.database('dst');
    await importArchive({ input: Readable.from([one.bytes]), sink: postgresSink({ endpoint: endpointOf(dst, {}) }), stateDir: false });
    expect(await rows(dst, 'SELECT id, body FROM app.notes ORDER BY id')).toEqual([{ id: 1, body: 'x' }, { id: 2, body: null }]);
  });

  // Freezing a backend takes a signal to its process: only on the server the harness started here.
  it.skipIf(!!process.env.DATABASE_URL)('a frozen server fails the export within its deadline, with CONNECTION_FAILED', async () => {
    const url = await db(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)`);
    const source = postgresSource({ endpoint: endpointOf(url, {}, { timeoutMs: 1500 }) });
    const [ds] = await source.open();
    const pid = Number((await rows(url, `SELECT pid FROM pg_stat_activity WHERE application_name = 'memarc export'`))[0]!.pid);
    process.kill(pid, 'SIGSTOP');
    const started = Date.now();
    try {
      const err = await failure((async () => {
        for await (const _ of ds!.batches('row')) { /* drain */ }
      })());
      expect(err.code).toBe('CONNECTION_FAILED');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      process.kill(pid, 'SIGCONT');
      await source.close();
    }
  });

  it('refuses a replace that would leave a foreign key of another table pointing at the old table', async () => {
    const url = await db(`CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE posts (id int PRIMARY KEY, u int REFERENCES users (id)); INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1)`);
    const a = await exportDb(url, { tables: ['users'] });
    const err = await failure(importArchive({ input: Readable.from([a.bytes]), sink: postgresSink({ endpoint: endpointOf(url, {}), ifExists: 'replace' }), stateDir: false }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/posts references it \(posts_u_fkey\)/);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
    // With the referencing table in the same run, the replace goes through and keeps the key.
    const both = await exportDb(url, { tables: ['users', 'posts'] });
    await importArchive({ input: Readable.from([both.bytes]), sink: postgresSink({ endpoint: endpointOf(url, {}), ifExists: 'replace' }), stateDir: false });
    expect(await rows(url, `SELECT conname FROM pg_constraint WHERE contype = 'f'`)).toEqual([{ conname: 'posts_u_fkey' }]);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
  });
});

describe('postgres restore of a hostile archive', () => {
  it('never runs a second statement smuggled into a definition of the native configuration', async () => {
    const url = await db(`CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0)); INSERT INTO t VALUES (1, 1); CREATE TABLE victim (id int)`);
    // A forger writes a valid archive (hashes and all) whose check definition hides a second statement.
    const real = postgresSource({ endpoint: endpointOf(url, {}), tables: ['t'] });
    const forgedSource: Source = {
      async open(signal) {
        const ds = await real.open(signal);
        const cfg = ds[0]!.descriptor.fingerprint as unknown as { constraints: Array<{ type: string; definition: string }> };
        cfg.constraints.find((c) => c.type === 'c')!.definition = 'CHECK (n > 0); DROP TABLE victim';
        return ds;
      },
      close: () => real.close(),
    };
    const forged = (await exportToBuffer({ sources: [forgedSource] })).bytes;
    const dst = await server.database('hostile');
    await rows(dst, 'CREATE TABLE victim (id int)');
    const err = await failure(importArchive({ input: Readable.from([forged]), sink: postgresSink({ endpoint: endpointOf(dst, {}) }), stateDir: false }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(/cannot insert multiple commands into a prepared statement/);
    expect(await rows(dst, `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'victim'`)).toEqual([{ n: 1 }]);
    expect(await rows(dst, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`)).toEqual([]);
  });
});
