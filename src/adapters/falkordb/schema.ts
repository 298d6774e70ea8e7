/**
 * Indexes and constraints: read into the dataset fingerprint in a canonical (sorted) form, and
 * recreated on restore. The fingerprint of a graph is
 * `{indexes: IndexSpec[], constraints: ConstraintSpec[]}`, each list sorted by its canonical JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MemarcError } from '../../errors.ts';
import { canonicalJson } from '../../format/canonical.ts';
import type { Json, JsonObject } from '../../format/records.ts';
import type { FalkorClient } from './client.ts';
import { decode, type Decoded } from './compact.ts';
import { CypherDouble, literal, quoteIdent, type ParamValue } from './params.ts';

export type Entity = 'node' | 'relationship';

export interface IndexSpec {
  type: 'range' | 'fulltext' | 'vector';
  entity: Entity;
  label: string;
  property: string;
  /** vector: dimension, similarityFunction, M, efConstruction, efRuntime; fulltext: language, stopwords, weight. */
  options?: { [k: string]: Json };
}

export interface ConstraintSpec {
  type: 'unique' | 'mandatory';
  entity: Entity;
  label: string;
  properties: string[];
}

export interface GraphSchema {
  indexes: IndexSpec[];
  constraints: ConstraintSpec[];
}

function plain(d: Decoded): Json {
  if (d instanceof Map) {
    const o: { [k: string]: Json } = {};
    for (const [k, v] of d) o[k] = plain(v);
    return o;
  }
  if (Array.isArray(d)) return d.map(plain);
  if (d !== null && typeof d === 'object' && 'double' in d) return typeof d.double === 'number' ? d.double : null;
  return d as Json;
}

function sortCanon<T>(xs: T[]): T[] {
  return xs.map((x) => [canonicalJson(x as unknown as Json), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
}

async function rows(client: FalkorClient, graph: string, cypher: string): Promise<Array<Record<string, Json>>> {
  const res = await client.query(graph, cypher, {}, true);
  return res.rows.map((r) => Object.fromEntries(res.header.map((h, i) => [h, plain(decode(r[i]!))])));
}

export async function readSchema(client: FalkorClient, graph: string): Promise<GraphSchema> {
  const indexes: IndexSpec[] = [];
  for (const row of await rows(client, graph, 'CALL db.indexes()')) {
    const entity: Entity = row.entitytype === 'RELATIONSHIP' ? 'relationship' : 'node';
    const label = String(row.label);
    const types = (row.types ?? {}) as { [p: string]: string[] };
    const options = (row.options ?? {}) as { [p: string]: JsonObject };
    const info = (row.info ?? {}) as { fields?: Array<{ path?: string; textWeight?: number }> };
    for (const property of (row.properties ?? []) as string[]) {
      for (const t of types[property] ?? []) {
        const type = t.toLowerCase() as IndexSpec['type'];
        const spec: IndexSpec = { type, entity, label, property };
        if (type === 'vector') spec.options = { ...(options[property] ?? {}) };
        if (type === 'fulltext') {
          const field = info.fields?.find((f) => f.path === property);
          spec.options = {
            language: (row.language ?? 'english') as Json,
            stopwords: [...((row.stopwords ?? []) as string[])].sort(),
            weight: field?.textWeight ?? 1,
          };
        }
        indexes.push(spec);
      }
    }
  }
  const constraints: ConstraintSpec[] = [];
  for (const row of await rows(client, graph, 'CALL db.constraints()')) {
    constraints.push({
      type: String(row.type).toLowerCase() as ConstraintSpec['type'],
      entity: row.entitytype === 'RELATIONSHIP' ? 'relationship' : 'node',
      label: String(row.label),
      properties: [...((row.properties ?? []) as string[])],
    });
  }
  return { indexes: sortCanon(indexes), constraints: sortCanon(constraints) };
}

export function schemaFromFingerprint(fp: JsonObject, graph: string): GraphSchema {
  const indexes = fp.indexes;
  const constraints = fp.constraints;
  if (!Array.isArray(indexes) || !Array.isArray(constraints)) {
    throw new MemarcError('SCHEMA_MISMATCH', `graph "${graph}": the archive's fingerprint has no index and constraint lists`);
  }
  return { indexes: indexes as unknown as IndexSpec[], constraints: constraints as unknown as ConstraintSpec[] };
}

function pattern(entity: Entity, label: string, v: string): string {
  return entity === 'node' ? `(${v}:${quoteIdent(label, 'label')})` : `()-[${v}:${quoteIdent(label, 'relationship type')}]-()`;
}

/** The query that creates one index (option values go through the literal serialiser). */
export function indexQuery(ix: IndexSpec): string {
  const prop = quoteIdent(ix.property, 'property');
  const o = ix.options ?? {};
  switch (ix.type) {
    case 'range':
      return `CREATE INDEX FOR ${pattern(ix.entity, ix.label, 'e')} ON (e.${prop})`;
    case 'vector': {
      const opts: { [k: string]: ParamValue } = {};
      for (const [k, v] of Object.entries(o)) opts[k] = v as ParamValue;
      return `CREATE VECTOR INDEX FOR ${pattern(ix.entity, ix.label, 'e')} ON (e.${prop}) OPTIONS ${literal(opts)}`;
    }
    case 'fulltext':
      if (ix.entity === 'node') {
        const cfg: { [k: string]: ParamValue } = { label: ix.label };
        if (typeof o.language === 'string') cfg.language = o.language;
        if (Array.isArray(o.stopwords) && o.stopwords.length > 0) cfg.stopwords = o.stopwords as string[];
        const field: { [k: string]: ParamValue } = { field: ix.property };
        if (typeof o.weight === 'number' && o.weight !== 1) field.weight = new CypherDouble(o.weight);
        return `CALL db.idx.fulltext.createNodeIndex(${literal(cfg)}, ${literal(field)})`;
      }
      return `CREATE FULLTEXT INDEX FOR ${pattern(ix.entity, ix.label, 'e')} ON (e.${prop})`;
  }
}

function key(x: unknown): string {
  return canonicalJson(x as Json);
}

/** Creates what `want` lists and `have` lacks; constraints after indexes, polled until operational. */
export async function applySchema(client: FalkorClient, graph: string, want: GraphSchema, log: (m: string) => void): Promise<string[]> {
  const have = await readSchema(client, graph);
  const haveIx = new Set(have.indexes.map(key));
  const actions: string[] = [];
  // Range first: a unique constraint needs its range index.
  const order = { range: 0, fulltext: 1, vector: 2 } as const;
  for (const ix of [...want.indexes].sort((a, b) => order[a.type] - order[b.type])) {
    if (haveIx.has(key(ix))) continue;
    await client.query(graph, indexQuery(ix));
    actions.push(`created ${ix.type} index on ${ix.entity} ${ix.label}.${ix.property}`);
  }
  const haveC = new Set(have.constraints.map(key));
  const pending: ConstraintSpec[] = [];
  for (const c of want.constraints) {
    if (haveC.has(key(c))) continue;
    await client.call(`graph "${graph}"`, 'GRAPH.CONSTRAINT', 'CREATE', graph, c.type.toUpperCase(), c.entity === 'node' ? 'NODE' : 'RELATIONSHIP', c.label, 'PROPERTIES', c.properties.length, ...c.properties);
    pending.push(c);
    actions.push(`created ${c.type} constraint on ${c.entity} ${c.label}(${c.properties.join(', ')})`);
  }
  for (let i = 0; pending.length > 0; i++) {
    const status = await rows(client, graph, 'CALL db.constraints()');
    for (let j = pending.length - 1; j >= 0; j--) {
      const c = pending[j]!;
      const row = status.find((r) => String(r.type).toLowerCase() === c.type && String(r.label) === c.label && key(r.properties) === key(c.properties) && (r.entitytype === 'RELATIONSHIP') === (c.entity === 'relationship'));
      if (row?.status === 'OPERATIONAL') pending.splice(j, 1);
      else if (row?.status === 'FAILED') {
        throw new MemarcError('STORE_ERROR', `graph "${graph}": the ${c.type} constraint on ${c.label}(${c.properties.join(', ')}) failed to build: the data violates it`, {
          hint: 'the archive holds data that breaks the constraint; restore into a graph without it or fix the data',
        });
      }
    }
    if (i > 6000) throw new MemarcError('STORE_ERROR', `graph "${graph}": constraints did not become operational within 10 minutes`);
    if (pending.length > 0) await sleep(100);
  }
  if (actions.length) log(`graph "${graph}": ${actions.join('; ')}`);
  return actions;
}
