/**
 * Publishing a staged table into an existing database, and putting it back: each one transaction
 * (sink.ts says when they run). What publishing replaced or overwrote stays in the database until
 * the run completes (`memarc_prev_…`), and what it dropped is kept as statements, so putting back
 * is exact:
 *
 * - create: the staging table takes the target's name; then its indexes, triggers and views;
 * - replace: the old table is renamed aside, its indexes and triggers (statements kept) dropped,
 *   the staging table takes its name;
 * - append: the staged rows are inserted (refused when the table now holds one of their keys);
 *   putting back deletes them by key, or by rowid above the previous largest;
 * - merge: the rows about to be overwritten are copied aside, then an upsert by primary key;
 *   putting back deletes the staged keys and inserts the copied rows.
 *
 * The table's triggers are dropped and recreated around an append or merge, so restoring rows
 * fires nothing.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { IfExists } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import { renameCreateTable, runCreate } from './ddl.ts';
import { quoteId, readNative, type NativeColumn } from './schema.ts';

export type Applied = 'create' | 'replace' | 'append' | 'merge';

export interface SavedObject {
  type: 'index' | 'trigger';
  name: string;
  sql: string;
}

/** What publishing did, kept in the checkpoint so that --rollback can put it back after a kill. */
export interface Published {
  applied?: Applied;
  saved?: SavedObject[];
  maxRowid?: string | null;
  createdViews?: string[];
}

export interface StagedTable {
  db: DatabaseSync;
  /** The target table. */
  name: string;
  stage: string;
  /** Where publishing keeps what it replaced or overwrote. */
  prev: string;
  columns: NativeColumn[];
  withoutRowid: boolean;
  /** The database file, for messages. */
  path: string;
}

export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const r = fn();
    db.exec('COMMIT');
    return r;
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // already rolled back by SQLite
    }
    throw err;
  }
}

export function tableExists(db: DatabaseSync, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function objectsOf(db: DatabaseSync, table: string): SavedObject[] {
  return (db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name").all(table) as unknown as SavedObject[]).map((o) => ({ type: o.type, name: o.name, sql: o.sql }));
}

function dropObjects(db: DatabaseSync, objs: SavedObject[]): void {
  for (const o of objs) db.exec(`DROP ${o.type === 'index' ? 'INDEX' : 'TRIGGER'} IF EXISTS ${quoteId(o.name)}`);
}

function restoreObjects(db: DatabaseSync, objs: SavedObject[]): void {
  for (const o of objs) db.prepare(o.sql).run();
}

function primaryKey(t: StagedTable): string[] {
  return t.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
}

/** `(k1, k2) IN (SELECT k1, k2 FROM from)`: the rows whose primary key `from` holds. */
function keyIn(t: StagedTable, from: string): string {
  const cols = primaryKey(t).map(quoteId).join(', ');
  return `(${cols}) IN (SELECT ${cols} FROM ${quoteId(from)})`;
}

/**
 * Publishes the staged table in one transaction. `createExtras` creates the archive's indexes,
 * triggers and views on the table and returns the views it made.
 */
export function publishStaged(t: StagedTable, ifExists: IfExists, rows: number, createExtras: (table: string, actions: string[]) => string[]): { published: Published; actions: string[] } {
  const { db, name, stage, prev } = t;
  const cols = t.columns.map((c) => quoteId(c.name)).join(', ');
  const pk = primaryKey(t);
  const actions: string[] = [];
  const published = inTransaction(db, (): Published => {
    const exists = tableExists(db, name);
    const applied: Applied = !exists || ifExists === 'fail' ? 'create' : ifExists;
    if (applied === 'create') {
      if (exists) throw new MemarcError('TARGET_EXISTS', `table "${name}" appeared in ${t.path} while the restore ran; it was left as it is`);
      db.exec(`ALTER TABLE ${quoteId(stage)} RENAME TO ${quoteId(name)}`);
      const createdViews = createExtras(name, actions);
      actions.push(`created table "${name}"`);
      return { applied, createdViews };
    }
    if (applied === 'replace') {
      const saved = objectsOf(db, name);
      db.exec(`ALTER TABLE ${quoteId(name)} RENAME TO ${quoteId(prev)}`);
      dropObjects(db, saved);
      db.exec(`ALTER TABLE ${quoteId(stage)} RENAME TO ${quoteId(name)}`);
      const createdViews = createExtras(name, actions);
      actions.push(`replaced table "${name}" (the previous one kept as ${prev} until the run completes)`);
      return { applied, saved, createdViews };
    }
    const saved = objectsOf(db, name).filter((o) => o.type === 'trigger');
    if (applied === 'append' && pk.length > 0) {
      const n = Number((db.prepare(`SELECT count(*) AS n FROM ${quoteId(name)} WHERE ${keyIn(t, stage)}`).get() as { n: number }).n);
      if (n > 0) throw new MemarcError('TARGET_EXISTS', `table "${name}" now holds ${n} row key(s) of the archive (written while the restore ran); an append never overwrites`);
    }
    let maxRowid: string | null = null;
    if (!t.withoutRowid) {
      const m = db.prepare(`SELECT max(rowid) AS m FROM ${quoteId(name)}`);
      m.setReadBigInts(true);
      const v = (m.get() as { m: bigint | null }).m;
      maxRowid = v === null ? null : v.toString();
    }
    dropObjects(db, saved);
    if (applied === 'merge') {
      runCreate(db, renameCreateTable(readNative(db, name).sql, prev), 'table', prev);
      db.exec(`INSERT INTO ${quoteId(prev)} (${cols}) SELECT ${cols} FROM ${quoteId(name)} WHERE ${keyIn(t, stage)}`);
      const set = t.columns.filter((c) => c.pk === 0).map((c) => `${quoteId(c.name)} = excluded.${quoteId(c.name)}`);
      const upsert = set.length > 0 ? `DO UPDATE SET ${set.join(', ')}` : 'DO NOTHING';
      db.exec(`INSERT INTO ${quoteId(name)} (${cols}) SELECT ${cols} FROM ${quoteId(stage)} WHERE true ON CONFLICT (${pk.map(quoteId).join(', ')}) ${upsert}`);
      const over = Number((db.prepare(`SELECT count(*) AS n FROM ${quoteId(prev)}`).get() as { n: number }).n);
      actions.push(`merged ${rows} rows into table "${name}" (${over} overwritten, kept in ${prev} until the run completes)`);
    } else {
      db.exec(`INSERT INTO ${quoteId(name)} (${cols}) SELECT ${cols} FROM ${quoteId(stage)}`);
      actions.push(`appended ${rows} rows to table "${name}"`);
    }
    restoreObjects(db, saved);
    return { applied, saved, maxRowid };
  });
  return { published, actions };
}

/** Puts the table back as it was before publishStaged, in one transaction (also after a kill). */
export function putBack(t: StagedTable, p: Published): string {
  const { db, name, stage, prev } = t;
  const cols = t.columns.map((c) => quoteId(c.name)).join(', ');
  return inTransaction(db, () => {
    for (const v of p.createdViews ?? []) db.exec(`DROP VIEW IF EXISTS ${quoteId(v)}`);
    switch (p.applied) {
      case 'create':
        db.exec(`DROP TABLE IF EXISTS ${quoteId(name)}`);
        return `dropped the table "${name}" it had created`;
      case 'replace':
        db.exec(`DROP TABLE ${quoteId(name)}`);
        db.exec(`ALTER TABLE ${quoteId(prev)} RENAME TO ${quoteId(name)}`);
        restoreObjects(db, p.saved ?? []);
        return `put the previous table "${name}" back`;
      case 'append': {
        dropObjects(db, p.saved ?? []);
        const r = primaryKey(t).length > 0
          ? db.prepare(`DELETE FROM ${quoteId(name)} WHERE ${keyIn(t, stage)}`).run()
          : db.prepare(`DELETE FROM ${quoteId(name)} WHERE rowid > ?`).run(p.maxRowid === null || p.maxRowid === undefined ? -9223372036854775808n : BigInt(p.maxRowid));
        restoreObjects(db, p.saved ?? []);
        return `deleted the ${Number(r.changes)} rows the append added to "${name}"`;
      }
      case 'merge': {
        dropObjects(db, p.saved ?? []);
        db.exec(`DELETE FROM ${quoteId(name)} WHERE ${keyIn(t, stage)}`);
        const r = db.prepare(`INSERT INTO ${quoteId(name)} (${cols}) SELECT ${cols} FROM ${quoteId(prev)}`).run();
        restoreObjects(db, p.saved ?? []);
        return `deleted the merged rows of "${name}" and wrote back the ${Number(r.changes)} it overwrote`;
      }
      default:
        return 'nothing was published';
    }
  });
}

/** Drops the staging table and what publishing set aside (never the target). */
export function dropSetAside(t: StagedTable, tables: string[]): string[] {
  const out: string[] = [];
  inTransaction(t.db, () => {
    for (const x of tables) {
      if (x !== t.name && tableExists(t.db, x)) {
        t.db.exec(`DROP TABLE ${quoteId(x)}`);
        out.push(`dropped ${x}`);
      }
    }
  });
  return out;
}
