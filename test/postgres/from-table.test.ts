/**
 * A `table` dataset of another store (as a SQLite adapter writes one: native store `sqlite`, the
 * neutral schema of spec 4.5) restored into Postgres through the neutral schema (spec 15.7
 * "table → Postgres"), only when `--tables` names it, and read back exactly: with the archive's
 * digest where Postgres prints every value as the archive spells it, and with the digest of the
 * archive's values as Postgres prints them where it does not (a fraction `.000010` is `.00001`),
 * which the report says.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOf, postgresSink } from '../../src/adapters/postgres/index.ts';
import { REGISTRY } from '../../src/adapters/registry.ts';
import type { Source } from '../../src/core/adapter.ts';
import { importArchive } from '../../src/core/import.ts';
import { restoreSink } from '../../src/core/stores.ts';
import { encodeF32, type JsonObject, type RecordByKind, type RecordKind, type RowRecord } from '../../src/format/records.ts';
import { failure } from '../helpers/failure.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { exportDb, rows } from './helpers.ts';
import { exportToBuffer } from '../helpers/archive.ts';

const SCHEMA = {
  columns: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'name', type: 'text', nullable: false, length: 40 },
    { name: 'score', type: 'float64', nullable: true },
    { name: 'price', type: 'decimal', nullable: true, precision: 10, scale: 2 },
    { name: 'ok', type: 'bool', nullable: true },
    { name: 'blob', type: 'bytes', nullable: true },
    { name: 'doc', type: 'json', nullable: true },
    { name: 'at', type: 'timestamptz', nullable: true },
    { name: 'emb', type: 'vector', nullable: true, dimension: 3 },
    { name: 'nums', type: 'array', nullable: true, items: { type: 'int32' } },
    { name: 'owner', type: 'int64', nullable: true, default: { expression: "strftime('%s')" } },
  ],
  primaryKey: ['id'],
  unique: [['name']],
  checks: [{ expression: 'length(name) > 0' }],
  indexes: [{ name: 'notes_at', columns: ['at'], method: 'btree' }, { name: 'notes_fts', columns: ['name'], method: 'fts5' }],
};

function row(i: number): RowRecord {
  return {
    cells: {
      id: i, name: `note ${i}`, score: i % 3 ? { double: i / 3 } : { double: '-0' }, price: { decimal: `${i}.50` }, ok: i % 2 === 0,
      blob: i % 4 ? { bytes: Buffer.from([i, 0, 255]).toString('base64') } : null, doc: { json: { i, tags: ['a'], f: 0.5 } },
      at: { timestamptz: `2026-03-0${1 + (i % 9)}T12:00:00.${String(i).padStart(6, '0')}Z` }, emb: { vecf32: encodeF32([i, -i / 7, 1e-40]) }, nums: [i, null, -i], owner: null,
    },
  };
}

function sqliteSource(n: number): Source {
  return {
    async open() {
      return [{
        descriptor: { name: 'notes', kind: 'sqlite.table', family: 'table', store: 'sqlite', schema: SCHEMA as unknown as JsonObject, fingerprint: { sql: 'CREATE TABLE notes (…)' }, source: { type: 'sqlite' } },
        batches<K extends RecordKind>(kind: K): AsyncIterable<RecordByKind[K][]> {
          return (async function* () {
            if (kind === 'row') yield Array.from({ length: n }, (_, i) => row(i + 1)) as RecordByKind[K][];
          })();
        },
      }];
    },
    async close() {},
  };
}

describe('a table dataset of another store into Postgres', () => {
  let server: PostgresServer;
  let archive: Buffer;
  let digest: string;
  // digest: the trailer's, as the other store spelled the values
  beforeAll(async () => {
    server = await startPostgres();
    const { trailer, bytes } = await exportToBuffer({ sources: [sqliteSource(40)] });
    archive = bytes;
    digest = trailer.datasets[0]!.digest;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused unless --tables names it, and then built from the neutral schema and read back exactly', async () => {
    const dst = await server.database('conv');
    const sinks = new Map([['postgres', postgresSink({ endpoint: endpointOf(dst, {}) })]]);
    // A build without the SQLite adapter refuses the dataset, naming the converter that could take it.
    const noSqlite = REGISTRY.filter((s) => s.name !== 'sqlite');
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: restoreSink(noSqlite, sinks), stateDir: false }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/needs the sqlite adapter, which is not in this build; postgres \(--postgres with --tables notes\) can restore it as a conversion/);

    // With the SQLite adapter in the build, a dataset of a store that is not named is left out, as
    // any other store's dataset is: Postgres does not take it unasked.
    const skipped = await importArchive({ input: Readable.from([archive]), sink: restoreSink(REGISTRY, new Map([['postgres', postgresSink({ endpoint: endpointOf(dst, {}) })]])), stateDir: false });
    expect(skipped.datasets).toEqual([]);
    expect(await rows(dst, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'notes'`)).toEqual([{ n: 0 }]);

    const named = new Map([['postgres', postgresSink({ endpoint: endpointOf(dst, {}), tables: ['notes'] })]]);
    const res = await importArchive({ input: Readable.from([archive]), sink: restoreSink(REGISTRY, named), stateDir: false });
    const actions = res.datasets[0]!.actions.join('\n');
    // Rows 10, 20, … have microsecond fractions ending in 0: the same instant, printed shorter.
    expect(actions).toMatch(/4 cell\(s\) are spelled otherwise by Postgres, with the same value \(column "at": \{"timestamptz":"2026-03-02T12:00:00.000010Z"\} → \{"timestamptz":"2026-03-02T12:00:00.00001Z"\}/);
    expect(res.datasets[0]!.digest).not.toBe(digest);
    expect(actions).toMatch(/not restored: the default of column "owner"/);
    expect(actions).toMatch(/not restored: check length\(name\) > 0/);
    expect(actions).toMatch(/not restored: index "notes_fts" \(fts5 on name\)/);
    // Exported again from Postgres: the same rows, the same digest.
    const again = await exportDb(dst);
    expect(again.trailer.datasets[0]!.digest).toBe(res.datasets[0]!.digest);
    // Spelled as Postgres prints them, the archive's rows have exactly the digest of the table.
    const fractions = (await rows(dst, `SELECT count(*)::int AS n FROM notes WHERE extract(microseconds FROM at)::int % 1000000 = id`))[0];
    expect(fractions).toEqual({ n: 40 });
    const cols = await rows(dst, `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'notes' ORDER BY ordinal_position`);
    expect(cols.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`)).toEqual([
      'id bigint NO', 'name character varying NO', 'score double precision YES', 'price numeric YES', 'ok boolean YES', 'blob bytea YES',
      'doc jsonb YES', 'at timestamp with time zone YES', 'emb USER-DEFINED YES', 'nums ARRAY YES', 'owner bigint YES',
    ]);
    expect(await rows(dst, `SELECT indexname FROM pg_indexes WHERE tablename = 'notes' ORDER BY 1`)).toEqual([{ indexname: 'notes_at' }, { indexname: 'notes_pkey' }, { indexname: 'notes_unique_1' }]);
  });
});
