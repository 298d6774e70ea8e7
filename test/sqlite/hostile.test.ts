/**
 * An archive's SQLite statements are not trusted: a native configuration without a table
 * statement, or whose trigger or view statement creates something else than it claims, is refused
 * (MALFORMED_ARCHIVE), and the target is left as it was.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sqliteSink } from '../../src/adapters/sqlite/index.ts';
import type { DatasetSource, Source } from '../../src/core/adapter.ts';
import { importArchive } from '../../src/core/import.ts';
import type { JsonObject, RecordByKind, RecordKind, RowRecord } from '../../src/format/records.ts';
import { failure } from '../helpers/failure.ts';
import { archiveOf, scratch } from './helpers.ts';

const dir = scratch();

const schema: JsonObject = { columns: [{ name: 'id', type: 'int64', nullable: false }], primaryKey: ['id'] };
const base = { table: 't', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY)', strict: false, withoutRowid: false, columns: [{ name: 'id', declared: 'INTEGER', notNull: false, default: null, pk: 1 }], indexes: [], triggers: [], views: [] };

function claiming(config: JsonObject): Source {
  const rows: RowRecord[] = [{ cells: { id: 1 } }];
  const ds: DatasetSource = {
    descriptor: { name: 't', kind: 'sqlite.table', family: 'table', store: 'sqlite', schema, fingerprint: config, source: { type: 'sqlite' } },
    batches<K extends RecordKind>(): AsyncIterable<RecordByKind[K][]> {
      return (async function* () {
        yield rows;
      })() as unknown as AsyncIterable<RecordByKind[K][]>;
    },
  };
  return { open: async () => [ds], close: async () => {} };
}

describe('SQLite: hostile native configurations', () => {
  it.each([
    ['no table statement', { ...base, sql: 42 }],
    ['a table statement that is not CREATE TABLE', { ...base, sql: 'DROP TABLE users' }],
    ['a trigger on another table', { ...base, triggers: [{ name: 'tr', sql: 'CREATE TRIGGER tr AFTER INSERT ON users BEGIN DELETE FROM users; END' }] }],
    ['a view that is a table', { ...base, views: [{ name: 'v', sql: 'CREATE TABLE v (x)' }] }],
  ])('%s: refused, and nothing is created', async (what, config) => {
    const d = await dir();
    const path = join(d, 'new.db');
    const archive = await archiveOf([claiming(config as unknown as JsonObject)]);
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path }), stateDir: false }));
    // A trigger on a table the new file does not have fails as SQLite refuses it; the others are caught before they run.
    expect(err.code).toBe(what === 'a trigger on another table' ? 'STORE_ERROR' : 'MALFORMED_ARCHIVE');
    expect(await readdir(d)).toEqual([]);
  });

  it('into an existing database, a trigger that is not the table\'s is refused inside the publishing transaction', async () => {
    const d = await dir();
    const path = join(d, 'live.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO users VALUES (1)');
    db.close();
    const archive = await archiveOf([claiming({ ...base, triggers: [{ name: 'tr', sql: 'CREATE TRIGGER tr AFTER INSERT ON users BEGIN DELETE FROM users; END' }] } as unknown as JsonObject)]);
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path }), stateDir: false }));
    expect(err.code).toBe('MALFORMED_ARCHIVE');
    const after = new DatabaseSync(path, { readOnly: true });
    expect(after.prepare('SELECT type, name FROM sqlite_schema ORDER BY name').all()).toEqual([{ type: 'table', name: 'users' }]);
    after.close();
  });
});
