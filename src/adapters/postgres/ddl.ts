/**
 * The statements that build a table in a staging schema: from its own native configuration
 * (catalog.ts) for a Postgres dataset, or from the neutral schema for another store's table
 * dataset, or from a vectors schema (spec/FORMAT.md 15.7). The table is created bare (columns,
 * NOT NULL, defaults, identity, owned sequences); constraints, indexes and foreign keys come after
 * the load (`afterLoad`), and sequence values last.
 */
import { MemarcError } from '../../errors.ts';
import type { JsonObject } from '../../format/records.ts';
import type { ColumnConfig, ConstraintConfig, EnumConfig, IndexConfig, SequenceConfig, TableConfig } from './catalog.ts';
import { ident, literal, qname } from './connect.ts';
import { pgTypeOf, tableOfName } from './neutral.ts';
import { opclassOf } from './vectors.ts';

/** What the staging table is built from: type texts are final (enums already point at their schema). */
export interface TableDef {
  columns: Array<{ name: string; type: string; notNull: boolean; default?: string; identity?: 'a' | 'd'; generated?: string; generatedKind?: 's' | 'v' }>;
  constraints: ConstraintConfig[];
  indexes: Array<Pick<IndexConfig, 'name' | 'definition'> & { method: string; columns: string[]; unique: boolean; opclasses?: string[]; options?: string[] }>;
  sequences: SequenceConfig[];
  enums: EnumConfig[];
  extensions: string[];
  /** What a conversion could not carry over, for the report. */
  notRestored: string[];
}

/** The definition of a Postgres dataset, from its native configuration. */
export function defFromConfig(t: TableConfig): TableDef {
  return {
    columns: t.columns.map((c: ColumnConfig) => ({
      name: c.name,
      type: c.type,
      notNull: c.notNull,
      ...(c.default !== undefined ? { default: c.default } : {}),
      ...(c.identity ? { identity: c.identity } : {}),
      ...(c.generated !== undefined ? { generated: c.generated, generatedKind: c.generatedKind ?? 's' } : {}),
    })),
    constraints: t.constraints,
    indexes: t.indexes,
    sequences: t.sequences,
    enums: t.enums,
    extensions: t.extensions,
    notRestored: [],
  };
}

/** The definition of another store's table dataset, from the neutral schema alone. */
export function defFromNeutral(name: string, schema: JsonObject): TableDef {
  const cols = (schema.columns ?? []) as JsonObject[];
  const notRestored: string[] = [];
  const columns = cols.map((c) => {
    const type = pgTypeOf(c);
    if (!type) throw new MemarcError('USAGE', `dataset "${name}", column "${String(c.name)}": the neutral type ${JSON.stringify(c.type)} has no Postgres type`, { context: { dataset: name } });
    const def = c.default;
    if (def && typeof def === 'object' && !Array.isArray(def) && 'expression' in def) notRestored.push(`the default of column "${String(c.name)}" (${String(def.expression)}): another store's expression`);
    return { name: String(c.name), type, notNull: c.nullable === false };
  });
  const constraints: ConstraintConfig[] = [];
  const pk = (schema.primaryKey ?? []) as string[];
  if (pk.length > 0) constraints.push({ name: `${name}_pkey`.slice(0, 63), type: 'p', definition: `PRIMARY KEY (${pk.map(ident).join(', ')})`, columns: pk });
  ((schema.unique ?? []) as string[][]).forEach((u, i) => constraints.push({ name: `${name}_unique_${i + 1}`.slice(0, 63), type: 'u', definition: `UNIQUE (${u.map(ident).join(', ')})`, columns: u }));
  ((schema.foreignKeys ?? []) as JsonObject[]).forEach((f, i) => {
    const ref = f.references as JsonObject;
    const { schema: rs, table: rt } = tableOfName(String(ref.table));
    constraints.push({
      name: typeof f.name === 'string' ? f.name : `${name}_fkey_${i + 1}`.slice(0, 63),
      type: 'f',
      definition: '',
      columns: f.columns as string[],
      references: { schema: rs, table: rt, columns: ref.columns as string[], onDelete: String(f.onDelete ?? 'no action'), onUpdate: String(f.onUpdate ?? 'no action'), match: 'simple' },
    });
  });
  for (const c of (schema.checks ?? []) as JsonObject[]) notRestored.push(`check ${c.name ? `"${String(c.name)}" ` : ''}${String(c.expression)}: another store's SQL`);
  const indexes: TableDef['indexes'] = [];
  for (const ix of (schema.indexes ?? []) as JsonObject[]) {
    const method = typeof ix.method === 'string' ? ix.method.toLowerCase() : 'btree';
    const columns = ix.columns as string[];
    if (!['btree', 'hash', 'gin'].includes(method) || !columns.every((c) => cols.some((x) => x.name === c))) {
      notRestored.push(`index ${ix.name ? `"${String(ix.name)}" ` : ''}(${method} on ${columns.join(', ')})`);
      continue;
    }
    indexes.push({ name: typeof ix.name === 'string' ? ix.name : '', definition: '', method, columns, unique: ix.unique === true });
  }
  return { columns, constraints, indexes, sequences: [], enums: [], extensions: columns.some((c) => /^(vector|halfvec|sparsevec)\b/.test(c.type)) ? ['vector'] : [], notRestored };
}

/**
 * The definition of a table for a vectors dataset (spec 15.7): `id text` primary key (point ids
 * are unsigned integers or UUIDs, both kept exactly as text), one pgvector column per vector
 * (the unnamed vector as `embedding`), `payload jsonb`, and an HNSW index per dense vector with
 * the operator class of its distance.
 */
export function defFromVectors(name: string, schema: JsonObject): { def: TableDef; columns: Array<{ vector: string; column: string; kind: string }> } {
  const vectors = (schema.vectors ?? []) as JsonObject[];
  const columns: TableDef['columns'] = [{ name: 'id', type: 'text', notNull: true }];
  const map: Array<{ vector: string; column: string; kind: string }> = [];
  const indexes: TableDef['indexes'] = [];
  const notRestored: string[] = [];
  for (const v of vectors) {
    const column = v.name === '' ? 'embedding' : String(v.name);
    if (column === 'id' || column === 'payload') throw new MemarcError('USAGE', `dataset "${name}": a vector named "${column}" would clash with the table's own column`);
    if (v.kind === 'multi') throw new MemarcError('USAGE', `dataset "${name}", vector "${String(v.name)}": pgvector has no multivector type`, { hint: 'leave the dataset out, or convert it to another store' });
    const sparse = v.kind === 'sparse';
    const base = sparse ? 'sparsevec' : v.datatype === 'float16' ? 'halfvec' : 'vector';
    columns.push({ name: column, type: sparse ? 'sparsevec' : `${base}(${Number(v.dimension)})`, notNull: false });
    map.push({ vector: String(v.name), column, kind: String(v.kind) });
    if (v.datatype === 'uint8') notRestored.push(`vector "${String(v.name)}" is uint8 in its store; pgvector keeps it as float32`);
    if (!sparse && Number(v.dimension) <= (base === 'halfvec' ? 4000 : 2000)) {
      const opclass = opclassOf(base as 'vector' | 'halfvec', String(v.distance));
      indexes.push({ name: `${name}_${column}_hnsw`.slice(0, 63), definition: '', method: 'hnsw', columns: [column], unique: false, opclasses: [opclass] });
    } else if (!sparse) notRestored.push(`an HNSW index on "${column}": pgvector indexes at most 2,000 dimensions of vector`);
  }
  columns.push({ name: 'payload', type: 'jsonb', notNull: false });
  for (const p of (schema.payloadIndexes ?? []) as JsonObject[]) notRestored.push(`the payload index on "${String(p.field)}"`);
  const constraints: ConstraintConfig[] = [{ name: `${name}_pkey`.slice(0, 63), type: 'p', definition: 'PRIMARY KEY (id)', columns: ['id'] }];
  return { def: { columns, constraints, indexes, sequences: [], enums: [], extensions: ['vector'], notRestored }, columns: map };
}

/**
 * CREATE TYPE statements for the enums the staging schema needs, and the type text rewrite. An
 * enum another table of the same run already staged (`staged`: `schema.name` → its staging name)
 * is used from there, so two tables of one enum share it, as they did in their source.
 */
export function enumStatements(def: TableDef, stage: string, existing: Map<string, string[]>, staged: ReadonlyMap<string, string> = new Map()): { statements: string[]; created: Map<string, string>; retype: (type: string) => string } {
  const statements: string[] = [];
  const moved = new Map<string, string>();
  const created = new Map<string, string>();
  for (const e of def.enums) {
    const other = staged.get(`${e.schema}.${e.name}`);
    if (other) {
      moved.set(e.name, other);
      continue;
    }
    const have = existing.get(`${e.schema}.${e.name}`);
    if (have && have.join('\u0000') === e.labels.join('\u0000')) continue; // the target's own, equal: used as it is
    if (have) throw new MemarcError('SCHEMA_MISMATCH', `enum type "${e.schema}.${e.name}" exists on the target with other labels (${have.join(', ')}; the archive's: ${e.labels.join(', ')})`);
    statements.push(`CREATE TYPE ${qname(stage, e.name)} AS ENUM (${e.labels.map(literal).join(', ')})`);
    moved.set(e.name, qname(stage, e.name));
    created.set(`${e.schema}.${e.name}`, qname(stage, e.name));
  }
  const retype = (type: string): string => {
    for (const e of def.enums) {
      const to = moved.get(e.name);
      const names = [`${e.schema}.${e.name}`, e.name, qname(e.schema, e.name), ident(e.name)];
      for (const n of names) {
        if (type === n || type === `${n}[]`) return to ? type.replace(n, to) : type.replace(n, qname(e.schema, e.name));
      }
    }
    return type;
  };
  return { statements, created, retype };
}

/** An identity sequence takes its column's type: `AS` is refused there. */
function sequenceOptions(s: SequenceConfig): string {
  return `${s.owner === 'a' ? `AS ${s.dataType} ` : ''}INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}

/** The staging table's CREATE statements: owned serial sequences, then the table, then OWNED BY. */
export function createStatements(def: TableDef, stage: string, table: string, retype: (t: string) => string): string[] {
  const out: string[] = [];
  const serial = new Map(def.sequences.filter((s) => s.owner === 'a').map((s) => [s.column, s]));
  for (const s of serial.values()) out.push(`CREATE SEQUENCE ${qname(stage, s.name)} ${sequenceOptions(s)}`);
  const identity = new Map(def.sequences.filter((s) => s.owner === 'i').map((s) => [s.column, s]));
  const cols = def.columns.map((c) => {
    let sql = `${ident(c.name)} ${retype(c.type)}`;
    if (c.generated !== undefined) return `${sql} GENERATED ALWAYS AS (${c.generated}) ${c.generatedKind === 'v' ? 'VIRTUAL' : 'STORED'}${c.notNull ? ' NOT NULL' : ''}`;
    const seq = serial.get(c.name);
    if (seq) sql += ` DEFAULT nextval(${literal(qname(stage, seq.name))}::regclass)`;
    else if (c.default !== undefined) sql += ` DEFAULT ${c.default}`;
    if (c.identity) {
      const s = identity.get(c.name);
      sql += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${s ? ` (SEQUENCE NAME ${qname(stage, s.name)} ${sequenceOptions(s)})` : ''}`;
    }
    if (c.notNull) sql += ' NOT NULL';
    return sql;
  });
  out.push(`CREATE TABLE ${qname(stage, table)} (${cols.join(', ')})`);
  for (const s of serial.values()) out.push(`ALTER SEQUENCE ${qname(stage, s.name)} OWNED BY ${qname(stage, table)}.${ident(s.column)}`);
  return out;
}

const INDEX_HEAD = /^(CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) ON )(?:ONLY )?.+? USING /;

/**
 * After the load: primary key, unique, check and exclusion constraints, then indexes. Foreign keys
 * come once the referenced tables have their keys (foreignKeyStatements).
 */
export function keyStatements(def: TableDef, stage: string, table: string): string[] {
  const target = qname(stage, table);
  const out: string[] = [];
  for (const c of def.constraints.filter((x) => x.type !== 'f')) out.push(`ALTER TABLE ${target} ADD CONSTRAINT ${ident(c.name)} ${c.definition}`);
  for (const ix of def.indexes) {
    if (ix.definition && INDEX_HEAD.test(ix.definition)) {
      out.push(ix.definition.replace(INDEX_HEAD, (_all, head: string) => `${head}${target} USING `));
      continue;
    }
    const cols = ix.columns.map((c, i) => `${ident(c)}${ix.opclasses?.[i] ? ` ${ix.opclasses[i]}` : ''}`).join(', ');
    out.push(`CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${ix.name ? `${ident(ix.name)} ` : ''}ON ${target} USING ${ix.method} (${cols})`);
  }
  return out;
}

/** Foreign keys (`ref` says where each referenced table is now), then sequence values. */
export function foreignKeyStatements(def: TableDef, stage: string, table: string, ref: (schema: string, table: string) => string): string[] {
  const target = qname(stage, table);
  const out: string[] = [];
  for (const c of def.constraints.filter((x) => x.type === 'f' && x.references)) {
    const r = c.references!;
    out.push(
      `ALTER TABLE ${target} ADD CONSTRAINT ${ident(c.name)} FOREIGN KEY (${c.columns.map(ident).join(', ')}) REFERENCES ${ref(r.schema, r.table)} (${r.columns.map(ident).join(', ')})` +
        `${r.match === 'full' ? ' MATCH FULL' : ''} ON DELETE ${r.onDelete.toUpperCase()} ON UPDATE ${r.onUpdate.toUpperCase()}${c.deferrable ? ` DEFERRABLE INITIALLY ${c.deferred ? 'DEFERRED' : 'IMMEDIATE'}` : ''}`,
    );
  }
  for (const s of def.sequences) {
    const seq = literal(qname(stage, s.name));
    out.push(s.lastValue !== null ? `SELECT setval(${seq}, ${s.lastValue}, true)` : `SELECT setval(${seq}, ${s.start}, false)`);
  }
  return out;
}
