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
import { setMember } from '../../format/json.ts';

export type Entity = 'node' | 'relationship';

const FT_NOSTEM = 4;
const FT_PHONETIC = 8;

export interface IndexSpec {
  type: 'range' | 'fulltext' | 'vector';
  entity: Entity;
  label: string;
  property: string;
  /** vector: dimension, similarityFunction, M, efConstruction, efRuntime; fulltext: language, stopwords, weight, nostem?, phonetic?. */
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
    for (const [k, v] of d) setMember(o, k, plain(v));
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
    const info = (row.info ?? {}) as { fields?: Array<{ path?: string; textWeight?: number; options?: number }> };
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
          // Field flags as db.indexes() shows them (RediSearch field options): 4 no stemming,
          // 8 phonetic matching (4.16 shows only that it is on, not the matcher, so 'dm:en').
          const flags = Number(field?.options ?? 0);
          if (flags & FT_NOSTEM) spec.options.nostem = true;
          if (flags & FT_PHONETIC) spec.options.phonetic = true;
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

/**
 * The query that creates one range or vector index, or the fulltext fields of one label or type
 * (option values go through the literal serialiser). A fulltext index with explicit language or
 * stopwords takes all its fields in one call: a second call with a configuration fails with
 * "Can not override index configuration". `exists`: the label already has a fulltext index
 * (appending fields to it), so no configuration is passed again.
 */
export function indexQuery(ix: IndexSpec, fields: IndexSpec[] = [ix], exists = false): string {
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
    case 'fulltext': {
      const cfg: { [k: string]: ParamValue } = {};
      if (!exists) {
        if (typeof o.language === 'string' && o.language !== 'english') cfg.language = o.language;
        if (Array.isArray(o.stopwords) && o.stopwords.length > 0) cfg.stopwords = o.stopwords as string[];
      }
      if (ix.entity === 'node') {
        const args = fields.map((f) => {
          const fo = f.options ?? {};
          const field: { [k: string]: ParamValue } = { field: f.property };
          if (typeof fo.weight === 'number' && fo.weight !== 1) field.weight = new CypherDouble(fo.weight);
          if (fo.nostem === true) field.nostem = true;
          if (fo.phonetic === true) field.phonetic = 'dm:en';
          return literal(field);
        });
        return `CALL db.idx.fulltext.createNodeIndex(${literal({ label: ix.label, ...cfg })}, ${args.join(', ')})`;
      }
      const on = fields.map((f) => `e.${quoteIdent(f.property, 'property')}`).join(', ');
      return `CREATE FULLTEXT INDEX FOR ${pattern(ix.entity, ix.label, 'e')} ON (${on})${Object.keys(cfg).length ? ` OPTIONS ${literal(cfg)}` : ''}`;
    }
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
  const fulltext = new Map<string, IndexSpec[]>();
  for (const ix of [...want.indexes].sort((a, b) => order[a.type] - order[b.type])) {
    if (haveIx.has(key(ix))) continue;
    if (ix.type === 'fulltext') {
      const k = `${ix.entity}\u0000${ix.label}`;
      if (!fulltext.has(k)) fulltext.set(k, []);
      fulltext.get(k)!.push(ix);
      continue;
    }
    await client.query(graph, indexQuery(ix));
    actions.push(`created ${ix.type} index on ${ix.entity} ${ix.label}.${ix.property}`);
  }
  for (const fields of fulltext.values()) {
    const ix = fields[0]!;
    const exists = have.indexes.some((h) => h.type === 'fulltext' && h.entity === ix.entity && h.label === ix.label);
    await client.query(graph, indexQuery(ix, fields, exists));
    actions.push(`created fulltext index on ${ix.entity} ${ix.label}(${fields.map((f) => f.property).join(', ')})`);
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
