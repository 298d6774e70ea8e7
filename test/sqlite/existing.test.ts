/**
 * Restoring into an existing database: a dry run of an append finds the keys the table holds
 * without writing; an append or merge fires none of the table's triggers (they are dropped and
 * recreated around it in the publishing transaction) and keeps them; other tables are untouched.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sqliteSink, sqliteSource } from '../../src/adapters/sqlite/index.ts';
import { importArchive } from '../../src/core/import.ts';
import { failure } from '../helpers/failure.ts';
import { archiveOf, scratch, withDb } from './helpers.ts';

const dir = scratch();

function live(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
    CREATE TABLE audit (what TEXT);
    CREATE TRIGGER notes_ins AFTER INSERT ON notes BEGIN INSERT INTO audit VALUES ('insert ' || new.id); END;
    CREATE TRIGGER notes_upd AFTER UPDATE ON notes BEGIN INSERT INTO audit VALUES ('update ' || new.id); END;
    INSERT INTO notes VALUES (1, 'one'), (2, 'two');
    DELETE FROM audit;`);
  db.close();
}

function archiveDb(path: string, rows: Array<[number, string]>): void {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
  for (const [id, body] of rows) db.prepare('INSERT INTO notes VALUES (?, ?)').run(id, body);
  db.close();
}

const all = (path: string, sql: string) => withDb(path, (db) => db.prepare(sql).all().map((r) => ({ ...r })));

describe('SQLite: restore into an existing database', () => {
  it('a dry run of an append refuses the keys the table holds, writing nothing', async () => {
    const d = await dir();
    const path = join(d, 'live.db');
    live(path);
    archiveDb(join(d, 'a.db'), [[2, 'TWO'], [3, 'three']]);
    const archive = await archiveOf([sqliteSource({ path: join(d, 'a.db') })]);
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path, ifExists: 'append' }), dryRun: true }));
    expect(err.code).toBe('TARGET_EXISTS');
    expect(err.message).toMatch(/table "notes" already holds 1 row key\(s\) of the archive: \(2\)/);
    expect(all(path, "SELECT name FROM sqlite_schema WHERE name LIKE 'memarc%'")).toEqual([]);
  });

  it.each(['append', 'merge'] as const)('%s fires none of the table\'s triggers and keeps them', async (mode) => {
    const d = await dir();
    const path = join(d, 'live.db');
    live(path);
    archiveDb(join(d, 'a.db'), mode === 'append' ? [[3, 'three'], [4, 'four']] : [[2, 'TWO'], [3, 'three']]);
    const archive = await archiveOf([sqliteSource({ path: join(d, 'a.db') })]);
    await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path, ifExists: mode }), stateDir: false });
    expect(all(path, 'SELECT id, body FROM notes ORDER BY id')).toEqual(mode === 'append'
      ? [{ id: 1, body: 'one' }, { id: 2, body: 'two' }, { id: 3, body: 'three' }, { id: 4, body: 'four' }]
      : [{ id: 1, body: 'one' }, { id: 2, body: 'TWO' }, { id: 3, body: 'three' }]);
    expect(all(path, 'SELECT what FROM audit')).toEqual([]);
    expect(all(path, "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")).toEqual([{ name: 'notes_ins' }, { name: 'notes_upd' }]);
    expect(all(path, "SELECT name FROM sqlite_schema WHERE name LIKE 'memarc%'")).toEqual([]);
    // The triggers work again afterwards.
    const db = new DatabaseSync(path);
    db.exec("INSERT INTO notes VALUES (10, 'ten')");
    db.close();
    expect(all(path, 'SELECT what FROM audit')).toEqual([{ what: 'insert 10' }]);
  });

  it('--resume after a run that published but did not finish says so, and --rollback puts the table back', async () => {
    const d = await dir();
    const path = join(d, 'live.db');
    const state = join(d, 'state');
    live(path);
    archiveDb(join(d, 'a.db'), [[7, 'seven']]);
    const archive = await archiveOf([sqliteSource({ path: join(d, 'a.db') })]);
    const real = sqliteSink({ path, ifExists: 'replace' });
    // The process dies after the switch, before the previous table is dropped.
    const sink = { close: () => real.close(), dataset: async (x: Parameters<typeof real.dataset>[0]) => {
      const ds = await real.dataset(x);
      return ds && { ...ds, finish: async () => { throw new Error('killed before finishing (injected by the test)'); } };
    } };
    await importArchive({ input: Readable.from([archive]), sink, stateDir: state });
    expect(all(path, 'SELECT id FROM notes')).toEqual([{ id: 7 }]);
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path, ifExists: 'replace' }), stateDir: state, resume: true }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/already published by the interrupted run/);
    expect(err.hint).toMatch(/--rollback/);
    const back = await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path, ifExists: 'replace' }), stateDir: state, rollback: true });
    expect(back.rolledBack!.join('\n')).toMatch(/put the previous table "notes" back/);
    expect(all(path, 'SELECT id, body FROM notes ORDER BY id')).toEqual([{ id: 1, body: 'one' }, { id: 2, body: 'two' }]);
    expect(all(path, "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name")).toEqual([{ name: 'notes_ins' }, { name: 'notes_upd' }]);
    expect(all(path, "SELECT name FROM sqlite_schema WHERE name LIKE 'memarc%'")).toEqual([]);
  });

  it('replace keeps the other tables and the views that name the table', async () => {
    const d = await dir();
    const path = join(d, 'live.db');
    live(path);
    const db = new DatabaseSync(path);
    db.exec("CREATE VIEW long_notes AS SELECT id FROM notes WHERE length(body) > 3; INSERT INTO audit VALUES ('kept')");
    db.close();
    archiveDb(join(d, 'a.db'), [[7, 'seven']]);
    const archive = await archiveOf([sqliteSource({ path: join(d, 'a.db') })]);
    await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path, ifExists: 'replace' }), stateDir: false });
    expect(all(path, 'SELECT id FROM long_notes')).toEqual([{ id: 7 }]);
    expect(all(path, 'SELECT what FROM audit')).toEqual([{ what: 'kept' }]);
    expect(all(path, "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite%' ORDER BY name")).toEqual([
      { type: 'table', name: 'audit' },
      { type: 'view', name: 'long_notes' },
      { type: 'table', name: 'notes' },
    ]);
  });
});
