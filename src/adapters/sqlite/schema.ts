/**
 * A table's schema, read from `sqlite_schema` and the table pragmas inside the export's read
 * transaction, in two forms (spec/FORMAT.md 4.3, 4.5, 15.5):
 *
 * - the native configuration: the CREATE statements themselves (table, indexes, triggers, the
 *   views that name the table), which recreate the table exactly in SQLite;
 * - the neutral schema: columns with neutral types from their declared types (types.ts), the
 *   primary key, unique constraints, foreign keys and indexes, which another table store builds
 *   its table from.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { JsonObject } from '../../format/records.ts';
import { ruleOf, type ColumnRule } from './types.ts';

export interface NativeColumn {
  name: string;
  /** The declared type as written ('' for none). */
  declared: string;
  notNull: boolean;
  /** The default as SQL text, or null. */
  default: string | null;
  /** 1-based position in the primary key, 0 when not in it. */
  pk: number;
}

export interface NativeTable {
  table: string;
  sql: string;
  strict: boolean;
  withoutRowid: boolean;
  /** Stored columns, in table order (generated columns are recreated by `sql`, not archived). */
  columns: NativeColumn[];
  indexes: Array<{ name: string; sql: string }>;
  triggers: Array<{ name: string; sql: string }>;
  views: Array<{ name: string; sql: string }>;
  /** The AUTOINCREMENT counter (sqlite_sequence), when the table has one. */
  sequence?: number | string;
}

/** SQL text of an identifier: always double-quoted, quotes doubled. */
export function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

type Row = Record<string, unknown>;

/** Tables a restore never exports: SQLite's own and memarc's staging and kept copies. */
export function isInternal(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('memarc_stage_') || name.startsWith('memarc_prev_');
}

/** The ordinary tables of the database (virtual tables and their shadow tables are left out, with `skipped`; memarc's own, with `staging`). */
export function listTables(db: DatabaseSync): { tables: string[]; skipped: string[]; staging: string[] } {
  const rows = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as Row[];
  const tables: string[] = [];
  const skipped: string[] = [];
  const staging: string[] = [];
  const virtual = rows.filter((r) => /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(String(r.sql ?? ''))).map((r) => String(r.name));
  for (const r of rows) {
    const name = String(r.name);
    if (isInternal(name)) {
      if (!name.startsWith('sqlite_')) staging.push(name);
      continue;
    }
    // A virtual table (FTS, R-tree) and its shadow tables `<vt>_…`.
    if (virtual.includes(name) || virtual.some((v) => name.startsWith(`${v}_`))) skipped.push(name);
    else tables.push(name);
  }
  return { tables, skipped, staging };
}

/** Whether `sql` names the identifier `name` as a word (views are attached to the tables they name). */
function mentions(sql: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])["\`[]?${esc}["\`\\]]?($|[^A-Za-z0-9_$])`, 'i').test(sql);
}

export function readNative(db: DatabaseSync, table: string): NativeTable {
  const master = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL").all() as Row[];
  const own = master.find((r) => r.type === 'table' && r.name === table);
  if (!own) throw new Error(`table ${table} is not in sqlite_schema`);
  const sql = String(own.sql);
  const list = db.prepare('SELECT name, strict, wr FROM pragma_table_list WHERE schema = \'main\' AND name = ?').get(table) as Row | undefined;
  const cols = db.prepare('SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid').all(table) as Row[];
  const out: NativeTable = {
    table,
    sql,
    strict: Number(list?.strict ?? 0) === 1,
    withoutRowid: Number(list?.wr ?? 0) === 1,
    columns: cols
      .filter((c) => Number(c.hidden) === 0)
      .map((c) => ({ name: String(c.name), declared: String(c.type ?? ''), notNull: Number(c.nn) === 1, default: c.dflt === null || c.dflt === undefined ? null : String(c.dflt), pk: Number(c.pk) })),
    indexes: master.filter((r) => r.type === 'index' && r.tbl_name === table).map((r) => ({ name: String(r.name), sql: String(r.sql) })).sort(byName),
    triggers: master.filter((r) => r.type === 'trigger' && r.tbl_name === table).map((r) => ({ name: String(r.name), sql: String(r.sql) })).sort(byName),
    views: master.filter((r) => r.type === 'view' && mentions(String(r.sql), table)).map((r) => ({ name: String(r.name), sql: String(r.sql) })).sort(byName),
  };
  const hasSeq = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get();
  if (hasSeq) {
    const s = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as Row | undefined;
    if (s && s.seq !== null && s.seq !== undefined) out.sequence = typeof s.seq === 'bigint' ? (Number.isSafeInteger(Number(s.seq)) ? Number(s.seq) : String(s.seq)) : Number(s.seq);
  }
  return out;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The rules of the stored columns, by name (types.ts). */
export function rulesOf(t: Pick<NativeTable, 'columns' | 'strict'>): Map<string, ColumnRule> {
  return new Map(t.columns.map((c) => [c.name, ruleOf(c.declared, t.strict)]));
}

const ACTIONS: Record<string, string> = { 'NO ACTION': 'no action', RESTRICT: 'restrict', CASCADE: 'cascade', 'SET NULL': 'set null', 'SET DEFAULT': 'set default' };

/** A column default as a neutral default: a literal as a cell, anything else as an expression. */
function neutralDefault(text: string, rule: ColumnRule): JsonObject['x'] | undefined {
  if (/^NULL$/i.test(text)) return undefined;
  if (/^-?\d+$/.test(text) && (rule.type === 'int64' || rule.type === 'decimal')) {
    const n = BigInt(text);
    return rule.type === 'decimal' ? { decimal: text.replace(/^-0+$/, '0') } : Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
  if (rule.type === 'bool' && (text === '0' || text === '1')) return text === '1';
  const q = /^'((?:[^']|'')*)'$/.exec(text);
  if (q && (rule.type === 'text' || rule.type === 'uuid')) return q[1]!.replace(/''/g, "'");
  return { expression: text };
}

/** The neutral schema of a table (spec/FORMAT.md 4.5), from its native form and the pragmas. */
export function neutralSchema(db: DatabaseSync, t: NativeTable): JsonObject {
  const rules = rulesOf(t);
  const columns = t.columns.map((c) => {
    const rule = rules.get(c.name)!;
    const col: JsonObject = { name: c.name, type: rule.type, nullable: !c.notNull && c.pk === 0 };
    if (rule.precision !== undefined) col.precision = rule.precision;
    if (rule.scale !== undefined) col.scale = rule.scale;
    if (rule.dimension !== undefined) col.dimension = rule.dimension;
    if (c.default !== null) {
      const d = neutralDefault(c.default, rule);
      if (d !== undefined) col.default = d;
    }
    return col;
  });
  // A rowid table's INTEGER PRIMARY KEY column may hold NULL on insert (it becomes the rowid), but never stores one.
  const primaryKey = t.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  const indexList = db.prepare('SELECT name, "unique" AS u, origin, partial FROM pragma_index_list(?)').all(t.table) as Row[];
  const keyColumns = (index: string): Array<string | null> =>
    (db.prepare('SELECT name, key FROM pragma_index_xinfo(?) ORDER BY seqno').all(index) as Row[]).filter((r) => Number(r.key) === 1).map((r) => (r.name === null ? null : String(r.name)));
  const unique: string[][] = [];
  const indexes: JsonObject[] = [];
  for (const ix of indexList) {
    const cols = keyColumns(String(ix.name));
    if (cols.some((c) => c === null)) continue; // an index on an expression: native only
    if (ix.origin === 'u') unique.push(cols as string[]);
    else if (ix.origin === 'c' && Number(ix.partial) === 0) indexes.push({ name: String(ix.name), columns: cols as string[], unique: Number(ix.u) === 1, method: 'btree' });
  }
  const fks = db.prepare('SELECT id, seq, "table" AS parent, "from" AS src, "to" AS dst, on_update AS upd, on_delete AS del FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(t.table) as Row[];
  const byId = new Map<number, Row[]>();
  for (const f of fks) byId.set(Number(f.id), [...(byId.get(Number(f.id)) ?? []), f]);
  const foreignKeys: JsonObject[] = [];
  for (const parts of byId.values()) {
    const parent = String(parts[0]!.parent);
    let refCols = parts.map((p) => (p.dst === null ? null : String(p.dst)));
    if (refCols.some((c) => c === null)) {
      // REFERENCES parent without columns: the parent's primary key.
      refCols = (db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(parent) as Row[]).map((r) => String(r.name));
    }
    foreignKeys.push({
      columns: parts.map((p) => String(p.src)),
      references: { table: parent, columns: refCols as string[] },
      onDelete: ACTIONS[String(parts[0]!.del)] ?? 'no action',
      onUpdate: ACTIONS[String(parts[0]!.upd)] ?? 'no action',
    });
  }
  const schema: JsonObject = { columns, primaryKey, unique, foreignKeys, indexes };
  return schema;
}
