/**
 * Values keep their storage class and bits through an export and a restore into SQLite, whatever
 * the column's declared type says (spec/FORMAT.md 15.5): 64-bit integers, REAL bits (-0.0 where
 * SQLite keeps it, ±Infinity, subnormals), blobs, text, and cells of another storage class.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sqliteSink, sqliteSource } from '../../src/adapters/sqlite/index.ts';
import { bindOf, cellOf, ruleOf, storageCell, type SqliteValue } from '../../src/adapters/sqlite/types.ts';
import { importArchive } from '../../src/core/import.ts';
import type { RowRecord } from '../../src/format/records.ts';
import { archiveOf, digestsOf, recordsOf, scratch, withDb } from './helpers.ts';
import { writeTables } from './tables.ts';

const dir = scratch();

/** Every value of a table as [typeof, value] pairs, in rowid order. */
function dump(path: string, table: string): unknown[] {
  return withDb(path, (db) => {
    const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name);
    const q = db.prepare(`SELECT ${cols.map((c) => `typeof("${c}"), "${c}"`).join(', ')} FROM "${table}" ORDER BY 2`);
    q.setReadBigInts(true);
    q.setReturnArrays(true);
    // Object.is keeps -0 apart from 0; JSON would not.
    return (q.all() as unknown as unknown[][]).map((r) => r.map((v) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  });
}

describe('SQLite values', () => {
  it('a table round-trips into a new file value for value, storage class for storage class', async () => {
    const d = await dir();
    const src = join(d, 'src.db');
    writeTables(src, ['t'], 500, 3);
    const archive = await archiveOf([sqliteSource({ path: src })], { shardMaxRecords: 120 });
    const dst = join(d, 'dst.db');
    const res = await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path: dst }), stateDir: false });
    expect(res.datasets[0]!.actions.join('\n')).toMatch(/count and content digest equal the archive's/);
    expect(dump(dst, 't')).toEqual(dump(src, 't'));
    // Exported again: the same digest.
    expect(await digestsOf(await archiveOf([sqliteSource({ path: dst })]))).toEqual(await digestsOf(archive));
    // Nothing but the new file (the temporary file was renamed).
    expect((await readdir(d)).sort()).toEqual(['dst.db', 'src.db']);
  });

  it('keeps columns named like what every JavaScript object has (__proto__, constructor, toString)', async () => {
    const d = await dir();
    const path = join(d, 'proto.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY, "__proto__" TEXT, "constructor" INTEGER, "toString" REAL, "hasOwnProperty" BLOB)');
    db.prepare('INSERT INTO p VALUES (?, ?, ?, ?, ?)').run(1n, 'kept', 7n, 2.5, new Uint8Array([1]));
    db.prepare('INSERT INTO p VALUES (?, ?, ?, ?, ?)').run(2n, '{"x":1}', null, null, null);
    db.close();
    const archive = await archiveOf([sqliteSource({ path })]);
    const rows = (await recordsOf(archive)).get('p') as RowRecord[];
    expect(Object.keys(rows[0]!.cells).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'id', 'toString']);
    const dst = join(d, 'proto-dst.db');
    await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path: dst }), stateDir: false });
    expect(dump(dst, 'p')).toEqual(dump(path, 'p'));
    expect(dump(dst, 'p')[0]).toEqual(['integer', 1n, 'text', 'kept', 'integer', 7n, 'real', 2.5, 'blob', '01']);
  });

  it('keeps what is easy to lose: 64-bit integers, -0.0, ±Infinity, subnormals, empty blobs, text in an INTEGER column', async () => {
    const d = await dir();
    const path = join(d, 'edge.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE e (id INTEGER PRIMARY KEY, i INTEGER, r REAL, any_ , b BLOB, flag BOOLEAN)');
    const ins = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)');
    ins.run(1n, 9223372036854775807n, -0, -0, new Uint8Array(0), 1n);
    ins.run(2n, -9223372036854775808n, 5e-324, Infinity, new Uint8Array([0, 255]), 2n);
    ins.run(3n, 'not a number', -Infinity, 'text', null, 'yes');
    db.close();
    const archive = await archiveOf([sqliteSource({ path })]);
    const rows = (await recordsOf(archive)).get('e') as RowRecord[];
    expect(rows.map((r) => r.cells)).toEqual([
      // REAL affinity stores an integral REAL as an integer on disk: -0.0 in column r reads back as 0.0.
      { id: 1, i: 9223372036854775807n, r: { double: 0 }, any_: { double: '-0' }, b: { bytes: '' }, flag: true },
      { id: 2, i: -9223372036854775808n, r: { double: 5e-324 }, any_: { double: 'Infinity' }, b: { bytes: 'AP8=' }, flag: 2 },
      { id: 3, i: 'not a number', r: { double: '-Infinity' }, any_: 'text', b: null, flag: 'yes' },
    ]);
    const dst = join(d, 'edge2.db');
    await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path: dst }), stateDir: false });
    expect(dump(dst, 'e')).toEqual(dump(path, 'e'));
    expect(dump(dst, 'e')[0]).toContain('-0');
  });

  it('STRICT and WITHOUT ROWID tables, generated columns and AUTOINCREMENT counters come back as they were', async () => {
    const d = await dir();
    const path = join(d, 'strict.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE s (k TEXT PRIMARY KEY, n INTEGER, a ANY, twice INTEGER GENERATED ALWAYS AS (n * 2) VIRTUAL) STRICT, WITHOUT ROWID');
    db.exec('CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
    db.prepare('INSERT INTO s (k, n, a) VALUES (?, ?, ?)').run('x', 1n, 1.5);
    db.prepare('INSERT INTO s (k, n, a) VALUES (?, ?, ?)').run('y', 2n, new Uint8Array([9]));
    db.exec("INSERT INTO c (v) VALUES ('a'), ('b'), ('c'); DELETE FROM c WHERE id = 3");
    db.close();
    const archive = await archiveOf([sqliteSource({ path })]);
    const dst = join(d, 'strict2.db');
    await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path: dst }), stateDir: false });
    expect(dump(dst, 's')).toEqual(dump(path, 's'));
    const back = new DatabaseSync(dst);
    expect(back.prepare("SELECT sql FROM sqlite_schema WHERE name = 's'").get()).toEqual({ sql: 'CREATE TABLE s (k TEXT PRIMARY KEY, n INTEGER, a ANY, twice INTEGER GENERATED ALWAYS AS (n * 2) VIRTUAL) STRICT, WITHOUT ROWID' });
    expect(back.prepare("SELECT twice FROM s WHERE k = 'y'").get()).toEqual({ twice: 4 });
    // The counter is 3, not 2: the next row gets 4, as it would have in the source.
    back.exec("INSERT INTO c (v) VALUES ('d')");
    expect(back.prepare("SELECT id FROM c WHERE v = 'd'").get()).toEqual({ id: 4 });
    back.close();
  });

  it('the export warns about cells of another storage class, naming table, column and row', async () => {
    const d = await dir();
    const path = join(d, 'warn.db');
    writeTables(path, ['w'], 40);
    const logs: string[] = [];
    await archiveOf([sqliteSource({ path, log: (m) => logs.push(m) })]);
    // The generator puts 2 into the BOOLEAN column `flag` of every 17th row, and an ISO text with a T into `created` of every 19th.
    expect(logs.join('\n')).toMatch(/table "w", column "flag" \(declared "BOOLEAN", neutral type bool\): 3 value\(s\) of another storage class, e\.g\. row id=0, row id=17, row id=34/);
    expect(logs.join('\n')).toMatch(/column "created".*row id=0, row id=19, row id=38/);
  });

  it('text whose bytes are not UTF-8 is named at export (SQLite\'s API reads them as U+FFFD); a real U+FFFD is not', async () => {
    const d = await dir();
    const path = join(d, 'utf8.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE u (id INTEGER PRIMARY KEY, t TEXT)');
    db.exec("INSERT INTO u VALUES (1, CAST(X'61FF62' AS TEXT)), (2, 'a\uFFFDb'), (3, 'plain')");
    db.close();
    const logs: string[] = [];
    const archive = await archiveOf([sqliteSource({ path, log: (m) => logs.push(m) })]);
    expect(logs.join('\n')).toMatch(/table "u", column "t": 1 text value\(s\) whose bytes are not UTF-8, e\.g\. row id=1\./);
    const rows = (await recordsOf(archive)).get('u') as RowRecord[];
    expect(rows.map((r) => r.cells.t)).toEqual(['a\uFFFDb', 'a\uFFFDb', 'plain']);
  });

  it('each conversion gives the value back exactly, or leaves the value in its storage-class form', () => {
    const samples: SqliteValue[] = [null, 0n, 1n, 2n, -5n, 9007199254740993n, 0.5, -0, 1, 'x', '2026-03-01', '2026-02-30', '2026-03-01 12:00:00.123', '2026-03-01T12:00:00', '2026-03-01T12:00:00.5Z', '12:30:00', '{"a":1}', '{"a": 1}', '[1,2]', '00000000-0000-4000-8000-000000000000', 'ABCDEF00-0000-4000-8000-000000000000', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), new Uint8Array([1])];
    const types = ['INTEGER', 'REAL', 'TEXT', 'BLOB', '', 'BOOLEAN', 'DATE', 'DATETIME', 'TIMESTAMPTZ', 'TIME', 'JSON', 'UUID', 'NUMERIC(12,2)', 'F32_BLOB(2)'];
    for (const t of types) {
      for (const v of samples) {
        const { cell, mismatch } = cellOf(v, ruleOf(t));
        const back = bindOf(cell, () => 'test');
        // The value to bind is the value read (integers as bigint; -0 kept).
        const norm = (x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : typeof x === 'number' && Object.is(x, -0) ? '-0' : x);
        expect([t, norm(back)]).toEqual([t, norm(v)]);
        if (mismatch) expect(cell).toEqual(storageCell(v));
      }
    }
  });
});
