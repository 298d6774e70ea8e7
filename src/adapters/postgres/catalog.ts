/**
 * A table's native configuration, read from pg_catalog inside the export's snapshot: columns with
 * their types (format_type and the type's identity for the codec), defaults, NOT NULL and
 * identity; constraints (primary key, unique, check, foreign key, exclusion) as
 * pg_get_constraintdef prints them plus their columns; indexes that no constraint owns, as
 * pg_get_indexdef prints them plus method, columns, operator classes and storage parameters
 * (pgvector's HNSW `m`/`ef_construction`, IVFFlat `lists`); the sequences the table's columns own
 * (serial and identity) with their current value; the labels of enum types its columns use.
 *
 * This is what a restore into Postgres builds the table from (ddl.ts); neutral.ts derives the
 * store-neutral schema from it.
 */
import type { JsonObject } from '../../format/records.ts';
import type { PgType } from './codec.ts';
import type { Query } from './connect.ts';

export interface ColumnConfig {
  name: string;
  /** format_type: `integer`, `numeric(12,2)`, `vector(768)`, `public.mood[]`. */
  type: string;
  /** For the codec: the type's name, oid, typtype and element type. */
  pgType: PgType;
  /** The type's schema when it is not pg_catalog (enums, extension types). */
  typeSchema?: string;
  typmod: number;
  notNull: boolean;
  default?: string;
  /** `a` GENERATED ALWAYS, `d` BY DEFAULT AS IDENTITY. */
  identity?: 'a' | 'd';
  /** A generated column's expression (not copied: the server computes it). */
  generated?: string;
  /** `s` stored, `v` virtual (PostgreSQL 18). */
  generatedKind?: 's' | 'v';
}

export interface ConstraintConfig {
  name: string;
  /** p primary, u unique, c check, f foreign key, x exclusion. */
  type: 'p' | 'u' | 'c' | 'f' | 'x';
  definition: string;
  columns: string[];
  references?: { schema: string; table: string; columns: string[]; onDelete: string; onUpdate: string; match: string };
  deferrable?: boolean;
  deferred?: boolean;
}

export interface IndexConfig {
  name: string;
  method: string;
  unique: boolean;
  definition: string;
  columns: string[];
  opclasses: string[];
  options: string[];
  predicate?: string;
}

export interface SequenceConfig {
  name: string;
  column: string;
  /** The value the next nextval() starts from: `lastValue` and whether it was used, as strings. */
  lastValue: string | null;
  isCalled: boolean;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  dataType: string;
  /** `a` owned by a serial column, `i` an identity column's own sequence. */
  owner: 'a' | 'i';
}

export interface EnumConfig {
  schema: string;
  name: string;
  labels: string[];
}

export interface TableConfig {
  schema: string;
  table: string;
  columns: ColumnConfig[];
  constraints: ConstraintConfig[];
  indexes: IndexConfig[];
  sequences: SequenceConfig[];
  enums: EnumConfig[];
  /** Extensions whose types the columns use (`vector`). */
  extensions: string[];
}

export interface TableRef {
  oid: number;
  schema: string;
  table: string;
  relkind: string;
}

/** Tables (ordinary and partitioned roots) of the schemas, excluding system schemas, memarc's own and extension members. */
export async function listTables(q: Query): Promise<TableRef[]> {
  const r = await q<{ oid: number; schema: string; table: string; relkind: string }>(`
    SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS table, c.relkind::text AS relkind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_' AND n.nspname !~ '^memarc_(stage|prev)_'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`);
  return r.rows.map((x) => ({ ...x, oid: Number(x.oid) }));
}

export async function tableConfig(q: Query, ref: TableRef): Promise<TableConfig> {
  const cols = await q<{
    name: string; type: string; typmod: number; notnull: boolean; def: string | null; identity: string; generated: string;
    typoid: number; typname: string; typtype: string; typschema: string; elem_oid: number | null; elem_name: string | null; elem_typtype: string | null; elem_schema: string | null;
  }>(`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypmod AS typmod, a.attnotnull AS notnull,
      pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity, a.attgenerated::text AS generated,
      t.oid::int8::float8 AS typoid, t.typname, t.typtype::text AS typtype, tn.nspname AS typschema,
      et.oid::int8::float8 AS elem_oid, et.typname AS elem_name, et.typtype::text AS elem_typtype, etn.nspname AS elem_schema
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
    LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`, [ref.oid]);
  const columns: ColumnConfig[] = cols.rows.map((r) => {
    const pgType: PgType = { name: r.typname, oid: Number(r.typoid), typtype: r.typtype };
    if (r.elem_oid !== null && r.elem_name !== null) pgType.elem = { name: r.elem_name, oid: Number(r.elem_oid), typtype: r.elem_typtype ?? 'b' };
    const typeSchema = r.elem_schema ?? r.typschema;
    return {
      name: r.name,
      type: r.type,
      pgType,
      ...(typeSchema !== 'pg_catalog' ? { typeSchema } : {}),
      typmod: r.typmod,
      notNull: r.notnull,
      ...(r.def !== null && !r.generated ? { default: r.def } : {}),
      ...(r.identity === 'a' || r.identity === 'd' ? { identity: r.identity } : {}),
      ...(r.generated ? { generated: r.def ?? '', generatedKind: r.generated === 'v' ? ('v' as const) : ('s' as const) } : {}),
    };
  });

  const cons = await q<{
    name: string; type: ConstraintConfig['type']; definition: string; columns: string[] | null;
    ref_schema: string | null; ref_table: string | null; ref_columns: string[] | null; on_delete: string; on_update: string; match: string; deferrable: boolean; deferred: boolean;
  }>(`
    SELECT co.conname AS name, co.contype::text AS type, pg_get_constraintdef(co.oid) AS definition,
      ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
      rn.nspname AS ref_schema, rc.relname AS ref_table,
      ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_columns,
      co.confdeltype::text AS on_delete, co.confupdtype::text AS on_update, co.confmatchtype::text AS match,
      co.condeferrable AS deferrable, co.condeferred AS deferred
    FROM pg_constraint co
    LEFT JOIN pg_class rc ON rc.oid = co.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE co.conrelid = $1 AND co.contype IN ('p', 'u', 'c', 'f', 'x')
    ORDER BY co.contype, co.conname COLLATE "C"`, [ref.oid]);
  const ACTION: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };
  const constraints: ConstraintConfig[] = cons.rows.map((r) => ({
    name: r.name,
    type: r.type,
    definition: r.definition,
    columns: r.columns ?? [],
    ...(r.type === 'f' && r.ref_schema && r.ref_table
      ? { references: { schema: r.ref_schema, table: r.ref_table, columns: r.ref_columns ?? [], onDelete: ACTION[r.on_delete] ?? 'no action', onUpdate: ACTION[r.on_update] ?? 'no action', match: r.match === 'f' ? 'full' : 'simple' } }
      : {}),
    ...(r.deferrable ? { deferrable: true, deferred: r.deferred } : {}),
  }));

  const idx = await q<{ name: string; method: string; unique: boolean; definition: string; columns: string[]; opclasses: string[]; options: string[] | null; predicate: string | null }>(`
    SELECT ic.relname AS name, am.amname AS method, i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition,
      ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k) AS columns,
      ARRAY(SELECT oc.opcname::text FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(o, n) JOIN pg_opclass oc ON oc.oid = k.o ORDER BY k.n) AS opclasses,
      ic.reloptions AS options, pg_get_expr(i.indpred, i.indrelid) AS predicate
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
    WHERE i.indrelid = $1
      AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
    ORDER BY ic.relname COLLATE "C"`, [ref.oid]);
  const indexes: IndexConfig[] = idx.rows.map((r) => ({
    name: r.name,
    method: r.method,
    unique: r.unique,
    definition: r.definition,
    columns: r.columns,
    opclasses: r.opclasses,
    options: r.options ?? [],
    ...(r.predicate ? { predicate: r.predicate } : {}),
  }));

  // The sequences the table's columns own: serial (deptype a) and identity (deptype i).
  const seqs = await q<{ name: string; column: string; owner: 'a' | 'i'; start: string; increment: string; min: string; max: string; cache: string; cycle: boolean; data_type: string; last_value: string | null }>(`
    SELECT s.relname AS name, a.attname AS column, d.deptype::text AS owner,
      sq.seqstart::text AS start, sq.seqincrement::text AS increment, sq.seqmin::text AS min, sq.seqmax::text AS max,
      sq.seqcache::text AS cache, sq.seqcycle AS cycle, format_type(sq.seqtypid, NULL) AS data_type,
      pg_sequence_last_value(s.oid)::text AS last_value
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_sequence sq ON sq.seqrelid = s.oid
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = $1 AND d.deptype IN ('a', 'i')
    ORDER BY s.relname COLLATE "C"`, [ref.oid]);
  const sequences: SequenceConfig[] = seqs.rows.map((r) => ({
    name: r.name,
    column: r.column,
    lastValue: r.last_value,
    isCalled: r.last_value !== null,
    start: r.start,
    increment: r.increment,
    min: r.min,
    max: r.max,
    cache: r.cache,
    cycle: r.cycle,
    dataType: r.data_type,
    owner: r.owner,
  }));

  const enumOids = [...new Set(columns.flatMap((col) => [col.pgType, col.pgType.elem].filter((t): t is PgType => !!t && t.typtype === 'e').map((t) => t.oid)))];
  const enums: EnumConfig[] = [];
  if (enumOids.length > 0) {
    const e = await q<{ schema: string; name: string; labels: string[] }>(`
      SELECT n.nspname AS schema, t.typname AS name, ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) AS labels
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = ANY($1::oid[]) ORDER BY 1, 2`, [enumOids]);
    enums.push(...e.rows);
  }
  const ext = await q<{ extname: string }>(`
    SELECT DISTINCT x.extname FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
    JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = COALESCE(et.oid, t.oid) AND d.deptype = 'e'
    JOIN pg_extension x ON x.oid = d.refobjid
    WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1`, [ref.oid]);
  return { schema: ref.schema, table: ref.table, columns, constraints, indexes, sequences, enums, extensions: ext.rows.map((r) => r.extname) };
}

/** The configuration as the archive's native block holds it (plain JSON). */
export function configJson(t: TableConfig): JsonObject {
  // Type oids differ between databases (enums, extension types): the codec reads them from the target.
  return JSON.parse(JSON.stringify(t, (k, v: unknown) => (k === 'oid' ? undefined : v))) as JsonObject;
}
