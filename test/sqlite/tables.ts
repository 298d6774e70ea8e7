/**
 * Generated SQLite tables for the conformance suite and the SQLite tests: `count` rows per table,
 * ids 0..count-1, each row a function of (seed, id) only, so the rows of a small table are the
 * first rows of a big one with the same seed, and another seed gives the same ids with other
 * values (what append and merge need). Every storage class and the converted declared types are
 * in it, with the values that are easy to lose: integers past 2^53, -0.0 in an untyped column,
 * ±Infinity, subnormals, empty and binary blobs, text of another storage class.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { prng } from '../../src/adapters/synthetic/index.ts';
import { sqliteSource } from '../../src/adapters/sqlite/index.ts';
import type { Source } from '../../src/core/adapter.ts';

export const TABLE_SQL = (t: string) => `CREATE TABLE "${t}" (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  score REAL,
  payload BLOB,
  anything,
  flag BOOLEAN,
  created DATETIME,
  day DATE,
  meta JSON,
  amount NUMERIC(12,2),
  big INTEGER
)`;

const EXTRAS = (t: string) => [
  `CREATE INDEX "${t}_by_name" ON "${t}" (name)`,
  `CREATE TRIGGER "${t}_touch" AFTER UPDATE OF name ON "${t}" BEGIN UPDATE "${t}" SET created = '2026-01-01 00:00:00' WHERE id = new.id; END`,
];

const SPECIAL = [-0, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 0.1 + 0.2];

/** The values of row `id` under `seed`, in column order. */
export function rowValues(id: number, seed: number): Array<null | bigint | number | string | Uint8Array> {
  const r = prng(seed * 1_000_003 + id);
  const bytes = new Uint8Array(id % 7).map(() => Math.floor(r() * 256));
  const anything = [BigInt(id), SPECIAL[id % SPECIAL.length]!, `text ${id}`, bytes, null][id % 5]!;
  return [
    BigInt(id),
    `${seed}-${id}-${Math.floor(r() * 1e6)} é 🥜`,
    id % 11 === 0 ? null : r() * 1000 - 500,
    id % 13 === 0 ? new Uint8Array(0) : bytes,
    anything,
    id % 17 === 0 ? 2n : BigInt(id % 2),
    id % 19 === 0 ? '2026-02-30T25:00:00' : `2026-0${1 + (id % 9)}-1${id % 10} 0${id % 10}:1${id % 6}:2${id % 10}.${String(id).padStart(6, '0')}`,
    `20${10 + (id % 20)}-0${1 + (id % 9)}-2${id % 9}`,
    id % 3 === 0 ? `{"k":${id},"s":"x"}` : id % 3 === 1 ? `{"k": ${id}}` : null,
    id % 4 === 0 ? 12.5 : BigInt(id * 100),
    id % 5 === 0 ? 9007199254740993n + BigInt(id) + BigInt(seed) : -BigInt(id) * 1_000_000_007n,
  ];
}

/** A database at `path` with one generated table per name. */
export function writeTables(path: string, names: string[], count: number, seed = 1, journal: 'wal' | 'delete' = 'delete'): void {
  const db = new DatabaseSync(path);
  try {
    if (journal === 'wal') db.exec('PRAGMA journal_mode = WAL');
    for (const t of names) {
      db.exec(TABLE_SQL(t));
      for (const x of EXTRAS(t)) db.exec(x);
      db.exec('BEGIN');
      const ins = db.prepare(`INSERT INTO "${t}" VALUES (${Array(11).fill('?').join(', ')})`);
      for (let i = 0; i < count; i++) ins.run(...rowValues(i, seed));
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}

/** A source over freshly generated tables (the conformance suite's archives). */
export async function generatedTables(count: number, names: string[], seed = 1): Promise<Source[]> {
  const dir = await mkdtemp(join(tmpdir(), 'memarc-sqlite-gen-'));
  const path = join(dir, 'gen.db');
  writeTables(path, names, count, seed);
  return [sqliteSource({ path, tables: names, batchSize: 50 })];
}
