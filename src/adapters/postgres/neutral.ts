/**
 * The neutral `table` schema of a Postgres table (spec/FORMAT.md 4.5, 15.7), made from its native
 * configuration (catalog.ts), and the other way: the Postgres type of a neutral column, for a
 * table built from another store's dataset (ddl.ts).
 *
 * A type without a neutral type (money, inet, geometric types, ranges, composite types, domains,
 * xml, bit strings, …) has no entry here: the export refuses the table, naming table, column and
 * type, rather than writing its text and restoring something else.
 */
import type { JsonObject } from '../../format/records.ts';
import type { ColumnConfig, TableConfig } from './catalog.ts';
import type { PgType } from './codec.ts';

/** The dataset name of a table: the bare name in schema `public`, else `schema.table`. */
export function datasetName(schema: string, table: string): string {
  return schema === 'public' ? table : `${schema}.${table}`;
}

/** The schema and table a dataset (or target) name stands for: `schema.table`, else public. */
export function tableOfName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  return dot > 0 && dot < name.length - 1 ? { schema: name.slice(0, dot), table: name.slice(dot + 1) } : { schema: 'public', table: name };
}

const SIMPLE: Record<string, string> = {
  bool: 'bool', int2: 'int16', int4: 'int32', int8: 'int64', float4: 'float32', float8: 'float64',
  text: 'text', bytea: 'bytes', uuid: 'uuid', json: 'json', jsonb: 'json', date: 'date', time: 'timeofday',
  timestamp: 'timestamp', timestamptz: 'timestamptz', interval: 'interval',
};

/** The neutral type of a column type with its typmod, or null when there is none. */
export function neutralType(t: PgType, typmod: number): JsonObject | null {
  if (t.elem) {
    const items = neutralType(t.elem, typmod);
    return items ? { type: 'array', items } : null;
  }
  if (t.typtype === 'e') return { type: 'text' };
  if (SIMPLE[t.name]) return { type: SIMPLE[t.name]! };
  switch (t.name) {
    case 'numeric': {
      if (typmod < 4) return { type: 'decimal' };
      // The scale is an 11-bit signed field: numeric(5,-2) has a negative scale, which the neutral type has not.
      const scale = (((typmod - 4) & 0x7ff) ^ 0x400) - 0x400;
      return scale < 0 ? null : { type: 'decimal', precision: ((typmod - 4) >> 16) & 0xffff, scale };
    }
    case 'varchar':
    case 'bpchar':
      return typmod >= 4 ? { type: 'text', length: typmod - 4 } : { type: 'text' };
    case 'vector':
      return typmod > 0 ? { type: 'vector', dimension: typmod } : { type: 'vector' };
    case 'halfvec':
      return { type: 'vector', ...(typmod > 0 ? { dimension: typmod } : {}), datatype: 'float16' };
    case 'sparsevec':
      return { type: 'sparsevector', ...(typmod > 0 ? { dimension: typmod } : {}) };
  }
  return null;
}

/** The columns COPY carries: every column but generated ones, which the server computes. */
export function copiedColumns(t: TableConfig): ColumnConfig[] {
  return t.columns.filter((c) => c.generated === undefined);
}

export function tableSchema(t: TableConfig): JsonObject {
  const columns: JsonObject[] = copiedColumns(t).map((c) => ({
    name: c.name,
    ...neutralType(c.pgType, c.typmod)!,
    nullable: !c.notNull,
    ...(c.default !== undefined ? { default: { expression: c.default } } : {}),
  }));
  const pk = t.constraints.find((c) => c.type === 'p');
  const schema: JsonObject = { columns, primaryKey: pk ? pk.columns : [] };
  const unique = t.constraints.filter((c) => c.type === 'u').map((c) => c.columns);
  if (unique.length > 0) schema.unique = unique;
  const fks = t.constraints.filter((c) => c.type === 'f' && c.references).map((c) => ({
    name: c.name,
    columns: c.columns,
    references: { table: datasetName(c.references!.schema, c.references!.table), columns: c.references!.columns },
    onDelete: c.references!.onDelete,
    onUpdate: c.references!.onUpdate,
  }));
  if (fks.length > 0) schema.foreignKeys = fks;
  const checks = t.constraints.filter((c) => c.type === 'c').map((c) => ({ name: c.name, expression: c.definition.replace(/^CHECK\s*/, '') }));
  if (checks.length > 0) schema.checks = checks;
  if (t.indexes.length > 0) schema.indexes = t.indexes.map((i) => ({ name: i.name, columns: i.columns, unique: i.unique, method: i.method }));
  return schema;
}

/**
 * The Postgres type of a neutral column (a conversion from another store, spec 15.7): the usual
 * type of each neutral type; `text` with a length becomes varchar(n).
 */
export function pgTypeOf(col: JsonObject): string | null {
  switch (col.type) {
    case 'bool': return 'boolean';
    case 'int16': return 'smallint';
    case 'int32': return 'integer';
    case 'int64': return 'bigint';
    case 'float32': return 'real';
    case 'float64': return 'double precision';
    case 'decimal': return typeof col.precision === 'number' ? `numeric(${col.precision},${typeof col.scale === 'number' ? col.scale : 0})` : 'numeric';
    case 'text': return typeof col.length === 'number' ? `varchar(${col.length})` : 'text';
    case 'bytes': return 'bytea';
    case 'uuid': return 'uuid';
    case 'json': return 'jsonb';
    case 'date': return 'date';
    case 'timeofday': return 'time';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    case 'interval': return 'interval';
    case 'vector': {
      const base = col.datatype === 'float16' ? 'halfvec' : 'vector';
      return typeof col.dimension === 'number' ? `${base}(${col.dimension})` : base;
    }
    case 'sparsevector': return typeof col.dimension === 'number' ? `sparsevec(${col.dimension})` : 'sparsevec';
    case 'array': {
      const inner = col.items && typeof col.items === 'object' && !Array.isArray(col.items) ? pgTypeOf(col.items as JsonObject) : null;
      return inner ? `${inner}[]` : null;
    }
  }
  return null;
}
