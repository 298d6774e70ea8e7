/**
 * Indexes and constraints of a Neo4j database: read with SHOW INDEXES / SHOW CONSTRAINTS into the
 * native configuration (spec/FORMAT.md 15.6), and created again from it after a load.
 *
 * The DDL is rebuilt from the structured members, with every name escaped, never taken from
 * the archived `createStatement` text: an archive is hostile input, and running its Cypher
 * would let it do anything on the target.
 */
import neo4j from 'neo4j-driver';
import { MemarcError } from '../../errors.ts';
import { canonicalJson } from '../../format/canonical.ts';
import type { Json, JsonObject } from '../../format/records.ts';
import type { Neo4jClient } from './client.ts';

export type IndexType = 'RANGE' | 'TEXT' | 'POINT' | 'FULLTEXT' | 'VECTOR';
export type ConstraintType = 'UNIQUENESS' | 'RELATIONSHIP_UNIQUENESS' | 'NODE_KEY' | 'RELATIONSHIP_KEY' | 'NODE_PROPERTY_EXISTENCE' | 'RELATIONSHIP_PROPERTY_EXISTENCE' | 'NODE_PROPERTY_TYPE' | 'RELATIONSHIP_PROPERTY_TYPE';

export interface Neo4jIndex {
  name: string;
  type: IndexType;
  entity: 'node' | 'relationship';
  labels: string[];
  properties: string[];
  /** indexConfig, as SHOW INDEXES gives it (numbers as numbers). */
  config: JsonObject;
}

export interface Neo4jConstraint {
  name: string;
  type: ConstraintType;
  entity: 'node' | 'relationship';
  labels: string[];
  properties: string[];
  /** Property type constraints (Enterprise): the type, as SHOW CONSTRAINTS prints it. */
  propertyType?: string;
}

export interface Neo4jSchema {
  indexes: Neo4jIndex[];
  constraints: Neo4jConstraint[];
}

const INDEX_TYPES = new Set<string>(['RANGE', 'TEXT', 'POINT', 'FULLTEXT', 'VECTOR']);

function plain(v: unknown): Json {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v as Json;
}

function sorted<T>(xs: T[]): T[] {
  return xs.map((x) => [canonicalJson(x as unknown as Json), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
}

/**
 * The indexes and constraints that name only labels and types `keep` accepts. Built-in LOOKUP
 * indexes and the indexes constraints own are left out (the constraint recreates them).
 */
export async function readSchema(client: Neo4jClient, keep: (label: string) => boolean = () => true): Promise<Neo4jSchema> {
  const idx = await client.run('READ', 'SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, options, owningConstraint RETURN *', {}, 'SHOW INDEXES');
  const indexes: Neo4jIndex[] = [];
  for (const r of idx) {
    if (!INDEX_TYPES.has(String(r.type)) || r.owningConstraint !== null) continue;
    const labels = (r.labelsOrTypes as string[] | null) ?? [];
    if (!labels.every(keep)) continue;
    const options = (r.options ?? {}) as { indexConfig?: Record<string, unknown> };
    indexes.push({
      name: String(r.name),
      type: r.type as IndexType,
      entity: r.entityType === 'RELATIONSHIP' ? 'relationship' : 'node',
      labels,
      properties: (r.properties as string[] | null) ?? [],
      config: plain(options.indexConfig ?? {}) as JsonObject,
    });
  }
  const con = await client.run('READ', 'SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties, propertyType RETURN *', {}, 'SHOW CONSTRAINTS');
  const constraints: Neo4jConstraint[] = [];
  for (const r of con) {
    const labels = (r.labelsOrTypes as string[] | null) ?? [];
    if (!labels.every(keep)) continue;
    constraints.push({
      name: String(r.name),
      type: r.type as ConstraintType,
      entity: r.entityType === 'RELATIONSHIP' ? 'relationship' : 'node',
      labels,
      properties: (r.properties as string[] | null) ?? [],
      ...(r.propertyType ? { propertyType: String(r.propertyType) } : {}),
    });
  }
  return { indexes: sorted(indexes), constraints: sorted(constraints) };
}

/** The native configuration of an archive, checked before anything is created from it. */
export function schemaFromConfig(config: JsonObject, dataset: string): Neo4jSchema {
  const bad = (what: string): never => {
    throw new MemarcError('MALFORMED_ARCHIVE', `dataset "${dataset}": the Neo4j configuration ${what}`, { context: { dataset } });
  };
  const strings = (v: unknown, what: string): string[] => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? (v as string[]) : bad(`has ${what} that are not a list of names`));
  const indexes = (config.indexes ?? []) as unknown[];
  const constraints = (config.constraints ?? []) as unknown[];
  if (!Array.isArray(indexes) || !Array.isArray(constraints)) bad('is not {indexes, constraints}');
  return {
    indexes: indexes.map((i) => {
      const x = i as Record<string, unknown>;
      if (!INDEX_TYPES.has(String(x.type))) bad(`has an index of unknown type ${JSON.stringify(x.type)}`);
      if (typeof x.name !== 'string') bad('has an index without a name');
      const cfg = x.config ?? {};
      if (typeof cfg !== 'object' || Array.isArray(cfg)) bad('has an index config that is not an object');
      return { name: x.name as string, type: x.type as IndexType, entity: x.entity === 'relationship' ? 'relationship' : 'node', labels: strings(x.labels, 'labels'), properties: strings(x.properties, 'properties'), config: cfg as JsonObject };
    }),
    constraints: constraints.map((c) => {
      const x = c as Record<string, unknown>;
      if (typeof x.name !== 'string' || typeof x.type !== 'string') bad('has a constraint without a name or type');
      return { name: x.name as string, type: x.type as ConstraintType, entity: x.entity === 'relationship' ? 'relationship' : 'node', labels: strings(x.labels, 'labels'), properties: strings(x.properties, 'properties'), ...(typeof x.propertyType === 'string' ? { propertyType: x.propertyType } : {}) };
    }),
  };
}

/** A name in backticks (a backtick inside is doubled, Cypher's escape). */
export function ident(name: string): string {
  if (name.includes('\0')) throw new MemarcError('STORE_ERROR', `the name ${JSON.stringify(name)} holds a NUL character, which Neo4j refuses`);
  return '`' + name.replaceAll('`', '``') + '`';
}

function pattern(entity: 'node' | 'relationship', labels: string[]): string {
  const l = labels.map(ident).join('|');
  return entity === 'node' ? `(e:${l})` : `()-[e:${l}]-()`;
}

function props(ps: string[]): string {
  return ps.map((p) => `e.${ident(p)}`).join(', ');
}

/** indexConfig as Neo4j takes it: whole numbers as integers (it refuses floats there). */
function configParam(c: JsonObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)) ? neo4j.int(v) : v]));
}

/** The Cypher that creates an index (IF NOT EXISTS), its configuration passed as a parameter. */
export function indexDdl(i: Neo4jIndex): { query: string; params: Record<string, unknown> } {
  const head = `CREATE ${i.type} INDEX ${ident(i.name)} IF NOT EXISTS FOR ${pattern(i.entity, i.labels)}`;
  if (i.type === 'FULLTEXT') return { query: `${head} ON EACH [${props(i.properties)}] OPTIONS {indexConfig: $config}`, params: { config: configParam(i.config) } };
  if (i.type === 'VECTOR') return { query: `${head} ON (${props(i.properties)}) OPTIONS {indexConfig: $config}`, params: { config: configParam(i.config) } };
  return { query: `${head} ON (${props(i.properties)})`, params: {} };
}

const CONSTRAINT_REQUIRE: Partial<Record<ConstraintType, (ps: string) => string>> = {
  UNIQUENESS: (ps) => `(${ps}) IS UNIQUE`,
  RELATIONSHIP_UNIQUENESS: (ps) => `(${ps}) IS UNIQUE`,
  NODE_KEY: (ps) => `(${ps}) IS NODE KEY`,
  RELATIONSHIP_KEY: (ps) => `(${ps}) IS RELATIONSHIP KEY`,
  NODE_PROPERTY_EXISTENCE: (ps) => `${ps} IS NOT NULL`,
  RELATIONSHIP_PROPERTY_EXISTENCE: (ps) => `${ps} IS NOT NULL`,
};

const PROPERTY_TYPE = /^[A-Z0-9 _<>|,]+$/; // e.g. INTEGER, LIST<STRING NOT NULL>, STRING | INTEGER

export function constraintDdl(c: Neo4jConstraint): string {
  const head = `CREATE CONSTRAINT ${ident(c.name)} IF NOT EXISTS FOR ${pattern(c.entity, c.labels)} REQUIRE`;
  if (c.type === 'NODE_PROPERTY_TYPE' || c.type === 'RELATIONSHIP_PROPERTY_TYPE') {
    if (!c.propertyType || !PROPERTY_TYPE.test(c.propertyType)) throw new MemarcError('MALFORMED_ARCHIVE', `constraint "${c.name}" has a property type Neo4j does not define`);
    return `${head} ${props(c.properties)} IS :: ${c.propertyType}`;
  }
  const req = CONSTRAINT_REQUIRE[c.type];
  if (!req) throw new MemarcError('MALFORMED_ARCHIVE', `constraint "${c.name}" is of unknown type ${JSON.stringify(c.type)}`);
  return `${head} ${req(props(c.properties))}`;
}

/**
 * Creates the indexes and constraints (after the data, so that the load does not maintain them
 * row by row) and waits until the indexes are online. Returns what it did, for the report.
 */
export async function applySchema(client: Neo4jClient, schema: Neo4jSchema, log: (m: string) => void): Promise<string[]> {
  const actions: string[] = [];
  for (const c of schema.constraints) {
    try {
      await client.run('WRITE', constraintDdl(c), {}, `constraint "${c.name}"`);
      actions.push(`created constraint "${c.name}" (${c.type.toLowerCase()})`);
    } catch (err) {
      const code = (err as MemarcError).context?.neo4jCode;
      // Community refuses the Enterprise constraint types: say so, restore the rest.
      if (code === 'Neo.DatabaseError.Schema.ConstraintCreationFailed' && c.type !== 'UNIQUENESS' && c.type !== 'RELATIONSHIP_UNIQUENESS') {
        const m = `constraint "${c.name}" (${c.type.toLowerCase()}) was NOT restored: this server refuses it (Enterprise only)`;
        log(m);
        actions.push(m);
        continue;
      }
      throw err;
    }
  }
  for (const i of schema.indexes) {
    const { query, params } = indexDdl(i);
    await client.run('WRITE', query, params, `index "${i.name}"`);
    actions.push(`created ${i.type.toLowerCase()} index "${i.name}"`);
  }
  if (schema.indexes.length + schema.constraints.length > 0) {
    await client.run('READ', `CALL db.awaitIndexes(${Math.max(1, Math.floor(client.timeoutMs / 1000))})`, {}, 'waiting for indexes');
  }
  return actions;
}
