/**
 * Table datasets between the two table stores, through the CLI and the neutral schema alone
 * (spec/FORMAT.md 4.6, 15.5, 15.7): a SQLite table restored into Postgres, exported from Postgres
 * again and restored into a new SQLite file, every value equal where the types allow; and what a
 * conversion does with SQLite's dynamic typing: JSON text in a JSON column becomes a jsonb
 * document (said in the report), and a cell of another storage class than its column (text in an
 * INTEGER column) is refused by name, leaving Postgres as it was.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenMemoryDb } from '../../src/adapters/synthetic/index.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { rows } from '../postgres/helpers.ts';
import { scratch, withDb } from '../sqlite/helpers.ts';

const dir = scratch();
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const NOTES = `CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL UNIQUE,
  score REAL,
  big INTEGER,
  ok BOOLEAN,
  blob BLOB,
  created DATETIME
)`;

type Note = { id: bigint; title: string; score: number | null; big: bigint | null; ok: bigint | null; blob: Uint8Array | null; created: string | null };

function notes(n: number): Note[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return {
      id: BigInt(i),
      title: `note ${i} ✓ "quoted" \\ tab\t`,
      score: i % 5 === 0 ? null : i / 7,
      big: i % 4 === 0 ? null : 9007199254740993n * BigInt(i % 3 === 0 ? -1 : 1),
      ok: i % 3 === 0 ? null : BigInt(i % 2),
      blob: i % 6 === 0 ? null : Uint8Array.from([i & 255, 0, 255, 10]),
      created: i % 8 === 0 ? null : `2026-03-0${1 + (i % 9)} 12:34:56`,
    };
  });
}

function readNotes(path: string): Note[] {
  return withDb(path, (db) => {
    const stmt = db.prepare('SELECT id, title, score, big, ok, blob, created FROM notes ORDER BY id');
    stmt.setReadBigInts(true);
    return (stmt.all() as Note[]).map((r) => ({ ...r, score: r.score === null ? null : Number(r.score) }));
  });
}

describe('tables between SQLite and Postgres', () => {
  it('a SQLite table goes into Postgres and back into a new SQLite file with every value equal', async () => {
    const d = await dir();
    const src = join(d, 'notes.db');
    const db = new DatabaseSync(src);
    db.exec(NOTES);
    const ins = db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?)');
    const data = notes(60);
    for (const r of data) ins.run(r.id, r.title, r.score, r.big, r.ok, r.blob, r.created);
    db.close();

    const a = join(d, 'sqlite.memarc');
    const ex = await runCli(['export', '--sqlite', src, '-o', a]);
    expect(ex.code, ex.stderr).toBe(0);

    // Unasked, Postgres does not take another store's table; named with --tables, it converts it.
    const pg = await server.database('conv');
    const dry = await runCli(['import', a, '--postgres', pg, '--tables', 'notes', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.toString() + dry.stderr.toString()).toMatch(/notes/);
    expect(await rows(pg, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'notes'`)).toEqual([{ n: 0 }]);
    const im = await runCli(['import', a, '--postgres', pg, '--tables', 'notes']);
    expect(im.code, im.stderr).toBe(0);

    const inPg = await rows(pg, 'SELECT id::text AS id, title, score, big::text AS big, ok, encode(blob, \'hex\') AS blob, created::text AS created FROM notes ORDER BY notes.id');
    expect(inPg).toHaveLength(60);
    for (const [k, r] of data.entries()) {
      const got = inPg[k]!;
      expect(got.id).toBe(String(r.id));
      expect(got.title).toBe(r.title);
      expect(got.score).toBe(r.score);
      expect(got.big).toBe(r.big === null ? null : String(r.big));
      expect(got.ok).toBe(r.ok === null ? null : r.ok === 1n);
      expect(got.blob).toBe(r.blob === null ? null : Buffer.from(r.blob).toString('hex'));
      expect(got.created === null ? null : String(got.created).slice(0, 19)).toBe(r.created);
    }

    // And back: Postgres's table into a new SQLite file.
    const b = join(d, 'pg.memarc');
    const ex2 = await runCli(['export', '--postgres', pg, '--tables', 'notes', '-o', b]);
    expect(ex2.code, ex2.stderr).toBe(0);
    const back = join(d, 'back.db');
    const im2 = await runCli(['import', b, '--sqlite', back]);
    expect(im2.code, im2.stderr).toBe(0);
    const again = readNotes(back);
    expect(again.map((r) => [r.id, r.title, r.score, r.big, r.blob === null ? null : Buffer.from(r.blob).toString('hex')]))
      .toEqual(data.map((r) => [r.id, r.title, r.score, r.big, r.blob === null ? null : Buffer.from(r.blob).toString('hex')]));
    // Booleans and timestamps come back as SQLite spells the neutral types: equal values.
    expect(again.map((r) => (r.ok === null ? null : Number(r.ok)))).toEqual(data.map((r) => (r.ok === null ? null : Number(r.ok))));
    expect(again.map((r) => (r.created === null ? null : String(r.created).replace('T', ' ').slice(0, 19)))).toEqual(data.map((r) => r.created));
  });

  it('OpenMemory\'s tables: JSON text converts into jsonb documents, and a cell of another storage class than its column is refused by name', async () => {
    const d = await dir();
    const src = join(d, 'openmemory.db');
    createOpenMemoryDb(src, { memories: 40 });
    const a = join(d, 'om.memarc');
    const ex = await runCli(['export', '--sqlite', src, '-o', a]);
    expect(ex.code, ex.stderr).toBe(0);

    // Users' metadata is JSON text with spaces: parsed into jsonb, said, and read back as parsed.
    const pg = await server.database('om');
    const ok = await runCli(['import', a, '--postgres', pg, '--tables', 'users,apps']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.toString() + ok.stderr.toString()).toMatch(/\d+ cell\(s\) of JSON text in json columns were parsed into documents/);
    const logs = withDb(src, (db) => db.prepare('SELECT id, metadata FROM users ORDER BY id').all() as Array<{ id: string; metadata: string | null }>);
    const inPg = await rows(pg, 'SELECT id::text AS id, metadata FROM users ORDER BY users.id::text');
    expect(inPg.map((r) => [r.id, r.metadata])).toEqual([...logs].sort((x, y) => (String(x.id) < String(y.id) ? -1 : 1)).map((r) => [String(r.id), r.metadata === null ? null : JSON.parse(r.metadata)]));

    // memories holds text in an INTEGER column: refused, naming dataset, record and column; the
    // run publishes none of its tables.
    const pg2 = await server.database('om2');
    const im = await runCli(['import', a, '--postgres', pg2, '--tables', 'users,apps,memories']);
    expect(im.code, im.stderr).toBe(17);
    expect(im.stderr.toString()).toMatch(/dataset "memories", record \d+, column "access_count": int64 expects an integer, got "n\/a"/);
    expect(await rows(pg2, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)).toEqual([{ n: 0 }]);
  });
});
