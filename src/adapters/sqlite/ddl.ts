/**
 * The CREATE statements a restore runs: the archive's own (native, spec/FORMAT.md 15.5) with the
 * table or object renamed where the target's name differs, or ones built from the neutral schema
 * (a conversion). An archive is hostile: its statements are run one at a time with prepare(),
 * which compiles only the first statement of a text, and each must create exactly the object it
 * claims (checkCreated).
 */
import type { DatabaseSync } from 'node:sqlite';
import { MemarcError } from '../../errors.ts';
import type { JsonObject } from '../../format/records.ts';
import { quoteId, type NativeColumn, type NativeTable } from './schema.ts';
import { bindOf, declaredFor } from './types.ts';

/** One SQL identifier, as SQLite's tokenizer takes it (quoted four ways, or bare). */
const IDENT = String.raw`(?:"(?:[^"]|"")*"|\x60(?:[^\x60]|\x60\x60)*\x60|\[[^\]]*\]|'(?:[^']|'')*'|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)`;
const QUALIFIED = String.raw`(?:${IDENT}\s*\.\s*)?${IDENT}`;

function bad(what: string): MemarcError {
  return new MemarcError('MALFORMED_ARCHIVE', `the archive's SQLite configuration is not usable: ${what}`, { hint: 'the native block of this table was not written by memarc\'s SQLite adapter, or was altered; restore it as a conversion from its neutral schema is not possible either. Check the archive\'s origin' });
}

/** `CREATE TABLE <name> …` with another name. */
export function renameCreateTable(sql: string, name: string): string {
  const m = new RegExp(String.raw`^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`, 'i').exec(sql);
  if (!m) throw bad(`a table's statement does not start with CREATE TABLE: ${sql.slice(0, 60)}`);
  return `CREATE TABLE ${quoteId(name)}${sql.slice(m[0].length)}`;
}

/** `CREATE [UNIQUE] INDEX <index> ON <table>…` with other names. */
export function renameCreateIndex(sql: string, index: string, table: string): string {
  const m = new RegExp(String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}\s+ON\s+${IDENT}`, 'i').exec(sql);
  if (!m) throw bad(`an index statement does not read CREATE INDEX … ON …: ${sql.slice(0, 60)}`);
  return `CREATE ${m[1] ? 'UNIQUE ' : ''}INDEX ${quoteId(index)} ON ${quoteId(table)}${sql.slice(m[0].length)}`;
}

/** `CREATE TRIGGER <trigger> … ON <table> …` with other names (the body is kept as it is). */
export function renameCreateTrigger(sql: string, trigger: string, table: string): string {
  const head = new RegExp(String.raw`^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`, 'i').exec(sql);
  if (!head) throw bad(`a trigger statement does not start with CREATE TRIGGER: ${sql.slice(0, 60)}`);
  const rest = sql.slice(head[0].length);
  const on = new RegExp(String.raw`^([\s\S]*?\bON\s+)${QUALIFIED}`, 'i').exec(rest);
  if (!on) throw bad(`a trigger statement names no table: ${sql.slice(0, 60)}`);
  return `CREATE TRIGGER ${quoteId(trigger)}${on[1]}${quoteId(table)}${rest.slice(on[0].length)}`;
}

const STARTS: Record<'table' | 'index' | 'trigger' | 'view', RegExp> = {
  table: /^\s*CREATE\s+TABLE\s/i,
  index: /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s/i,
  trigger: /^\s*CREATE\s+TRIGGER\s/i,
  view: /^\s*CREATE\s+VIEW\s/i,
};

/**
 * Runs one CREATE statement and checks that it made exactly `type` `name` (on `table`): it must
 * read `CREATE <type>` before it runs, and sqlite_schema must hold that object after.
 */
export function runCreate(db: DatabaseSync, sql: string, type: 'table' | 'index' | 'trigger' | 'view', name: string, table?: string): void {
  if (!STARTS[type].test(sql)) throw bad(`the statement for ${type} "${name}" is not a CREATE ${type.toUpperCase()}: ${sql.slice(0, 60)}`);
  db.prepare(sql).run();
  const row = db.prepare('SELECT type, tbl_name FROM sqlite_schema WHERE name = ?').get(name) as { type: string; tbl_name: string } | undefined;
  if (!row || row.type !== type || (table !== undefined && row.tbl_name !== table)) {
    throw bad(`the statement for ${type} "${name}" created something else: ${sql.slice(0, 80)}`);
  }
}

/** The native configuration of an archive dataset, checked before anything is run from it. */
export function nativeOf(config: JsonObject, dataset: string): NativeTable {
  const t = config as unknown as NativeTable;
  const strings = (xs: unknown) => Array.isArray(xs) && xs.every((x) => x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' && typeof (x as { sql?: unknown }).sql === 'string');
  if (typeof t.sql !== 'string' || !Array.isArray(t.columns) || !t.columns.every((c: NativeColumn) => c && typeof c.name === 'string' && typeof c.declared === 'string') || !strings(t.indexes) || !strings(t.triggers) || !strings(t.views ?? [])) {
    throw bad(`dataset "${dataset}" has no table statement, columns, indexes and triggers`);
  }
  return { ...t, views: t.views ?? [], strict: t.strict === true, withoutRowid: t.withoutRowid === true };
}

export interface Converted {
  /** The CREATE TABLE statement. */
  sql: string;
  /** The table's native form as a re-export would see it (declared types), to read it back. */
  columns: NativeColumn[];
  indexes: Array<{ name: string; sql: string }>;
  /** Each column: what it maps to, for the dry run and the report. */
  mapping: string[];
  /** What is not restored (checks, expression defaults, …). */
  dropped: string[];
}

/** A literal default in SQL from a neutral default cell, or null when it is an expression or has no SQLite literal. */
function defaultSql(d: unknown): string | null {
  if (d === null || d === undefined || (typeof d === 'object' && d !== null && 'expression' in d)) return null;
  // A decimal is a numeric literal as it stands (SQL text is -?digits[.digits]).
  if (typeof d === 'object' && 'decimal' in d && typeof d.decimal === 'string' && /^-?\d+(\.\d+)?$/.test(d.decimal)) return d.decimal;
  try {
    const v = bindOf(d as never, () => 'default');
    if (v === null) return 'NULL';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? `${v}.0` : String(v)) : null;
    if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
    return `X'${Buffer.from(v).toString('hex')}'`;
  } catch {
    return null;
  }
}

/**
 * The table a conversion builds from a neutral schema (spec/FORMAT.md 4.5, 15.5). Refuses (USAGE)
 * a column type SQLite has no form for, naming table and column.
 */
export function convertSchema(schema: JsonObject, table: string): Converted {
  const cols = (schema.columns as JsonObject[] | undefined) ?? [];
  const pk = (schema.primaryKey as string[] | undefined) ?? [];
  const defs: string[] = [];
  const columns: NativeColumn[] = [];
  const mapping: string[] = [];
  const dropped: string[] = [];
  for (const c of cols) {
    const name = String(c.name);
    const d = declaredFor(c);
    if ('refused' in d) {
      throw new MemarcError('USAGE', `table "${table}", column "${name}": ${d.refused}; SQLite cannot restore this column`, { hint: 'restore this table into a store of its own kind, or leave it out with --tables' });
    }
    const typeText = `${String(c.type)}${c.precision !== undefined ? `(${String(c.precision)},${String(c.scale ?? 0)})` : ''}${c.dimension !== undefined ? `(${String(c.dimension)})` : ''}`;
    mapping.push(`${table}.${name}: ${typeText} → ${d.declared}${d.note ? ` (approximate: ${d.note})` : ''}`);
    let def = `${quoteId(name)} ${d.declared}`;
    if (c.nullable === false) def += ' NOT NULL';
    if (c.default !== undefined) {
      const lit = defaultSql(c.default);
      if (lit !== null) def += ` DEFAULT ${lit}`;
      else dropped.push(`${table}.${name}: the default ${JSON.stringify(c.default)} has no SQLite literal; not restored`);
    }
    defs.push(def);
    columns.push({ name, declared: d.declared, notNull: c.nullable === false, default: null, pk: pk.indexOf(name) + 1 });
  }
  if (pk.length > 0) defs.push(`PRIMARY KEY (${pk.map(quoteId).join(', ')})`);
  for (const u of (schema.unique as string[][] | undefined) ?? []) if (Array.isArray(u) && u.length > 0) defs.push(`UNIQUE (${u.map((x) => quoteId(String(x))).join(', ')})`);
  for (const f of (schema.foreignKeys as JsonObject[] | undefined) ?? []) {
    const ref = f.references as JsonObject | undefined;
    if (!ref || !Array.isArray(f.columns) || !Array.isArray(ref.columns)) continue;
    let def = `FOREIGN KEY (${(f.columns as string[]).map(quoteId).join(', ')}) REFERENCES ${quoteId(String(ref.table))} (${(ref.columns as string[]).map(quoteId).join(', ')})`;
    for (const [k, word] of [['onDelete', 'ON DELETE'], ['onUpdate', 'ON UPDATE']] as const) {
      const a = typeof f[k] === 'string' ? (f[k] as string).toUpperCase() : null;
      if (a && ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'].includes(a)) def += ` ${word} ${a}`;
    }
    defs.push(def);
  }
  for (const ch of (schema.checks as JsonObject[] | undefined) ?? []) dropped.push(`${table}: the check ${JSON.stringify(ch.expression)} is SQL of another store; not restored`);
  const indexes: Array<{ name: string; sql: string }> = [];
  for (const [i, ix] of ((schema.indexes as JsonObject[] | undefined) ?? []).entries()) {
    if (!Array.isArray(ix.columns) || ix.columns.length === 0) continue;
    const name = typeof ix.name === 'string' ? ix.name : `${table}_idx${i + 1}`;
    if (ix.method !== undefined && ix.method !== 'btree') mapping.push(`${table}: index "${name}" (${String(ix.method)}) → a b-tree index`);
    indexes.push({ name, sql: `CREATE ${ix.unique === true ? 'UNIQUE ' : ''}INDEX ${quoteId(name)} ON ${quoteId(table)} (${(ix.columns as string[]).map(quoteId).join(', ')})` });
  }
  return { sql: `CREATE TABLE ${quoteId(table)} (${defs.join(', ')})`, columns, indexes, mapping, dropped };
}
