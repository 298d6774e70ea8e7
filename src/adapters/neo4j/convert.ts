/**
 * A graph of another store (FalkorDB) restored into Neo4j: a conversion (spec/FORMAT.md 4.6,
 * 15.4 "graph → Neo4j"). Every value goes through the same mapping the write uses
 * (values.ts toNeo4j) and back through the export's (toArchive), so the sink knows the exact
 * archive form Neo4j will hold and verifies the read-back against that, not against the
 * archive's digest, which a conversion cannot keep where a type changes. Every approximate
 * mapping is counted by kind and reported (the dry run lists them before anything is written).
 */
import { MemarcError } from '../../errors.ts';
import type { DatasetDescriptor } from '../../core/adapter.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import type { Neo4jConstraint, Neo4jIndex, Neo4jSchema } from './schema.ts';
import { toArchive, toNeo4j, UnstorableValue, type Approximation } from './values.ts';
import { setMember } from '../../format/json.ts';

export interface Conversion {
  from: string;
  noted(a: Approximation): void;
  /** Lines for the report: what maps approximately (dry: "would"), and what of the schema is not restored. */
  report(dry: boolean): string[];
}

export function graphConversion(d: DatasetDescriptor): Conversion {
  const counts = new Map<Approximation, number>();
  const from = d.store ?? 'an unnamed store';
  const schema = d.schema as { indexes?: Array<Record<string, unknown>>; constraints?: Array<Record<string, unknown>> } | undefined;
  return {
    from,
    noted(a) {
      counts.set(a, (counts.get(a) ?? 0) + 1);
    },
    report(dry) {
      const out: string[] = [];
      if (counts.size === 0) out.push(`${dry ? 'would convert' : 'converted'} from ${from}: every value maps exactly`);
      for (const [a, n] of counts) out.push(`${dry ? 'would convert' : 'converted'} from ${from} approximately: ${a} (${n} value(s); the read-back is compared with the converted values)`);
      for (const n of neutralSchema(schema).notRestored) out.push(`${dry ? 'would not restore' : 'NOT restored'}: ${n}`);
      return out;
    },
  };
}

function convertValue(v: TypedValue, c: Conversion): TypedValue {
  return toArchive(toNeo4j(v, { approx: (a) => c.noted(a) }));
}

/** The record as Neo4j will hold it, in archive form. */
export function convertedRecord<T extends NodeRecord | EdgeRecord>(c: Conversion, r: T, where: () => string): T {
  const props: Record<string, TypedValue> = {};
  for (const k in r.props) {
    try {
      setMember(props, k, convertValue(r.props[k]!, c));
    } catch (err) {
      if (!(err instanceof UnstorableValue)) throw err;
      throw new MemarcError('STORE_ERROR', `${where()}, property "${k}": Neo4j cannot store ${err.message} (a conversion from ${c.from})`, {
        hint: 'Neo4j properties are single values or lists of one type, never nested; change the value in the source store',
      });
    }
  }
  return { ...r, props };
}

type NeutralItem = Record<string, unknown> & { entity?: string; label?: string; properties?: string[]; type?: string };

/** A name for an index or constraint made from the neutral schema (Neo4j wants one per database). */
function nameOf(x: NeutralItem, kind: string): string {
  return `${x.label}_${(x.properties ?? []).join('_')}_${kind}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 120);
}

/**
 * The Neo4j indexes and constraints a neutral graph schema asks for (spec 15.4 "graph → Neo4j"):
 * range, text, point and fulltext indexes, vector indexes that carry a dimension, and unique
 * constraints; `mandatory` needs Enterprise (existence constraints), and is tried, then reported
 * when the server refuses it. What cannot be made is listed.
 */
export function neutralSchema(schema: { indexes?: NeutralItem[]; constraints?: NeutralItem[] } | undefined): { schema: Neo4jSchema; notRestored: string[] } {
  const indexes: Neo4jIndex[] = [];
  const constraints: Neo4jConstraint[] = [];
  const notRestored: string[] = [];
  const ok = (x: NeutralItem) => typeof x.label === 'string' && x.label !== '' && Array.isArray(x.properties) && x.properties.length > 0 && x.properties.every((p) => typeof p === 'string' && p !== '');
  const entity = (x: NeutralItem) => (x.entity === 'relationship' ? 'relationship' : 'node') as 'node' | 'relationship';
  for (const x of schema?.indexes ?? []) {
    const what = `${String(x.type)} index on ${String(x.label)}(${(x.properties ?? []).join(', ')})`;
    if (!ok(x)) {
      notRestored.push(`${what}: incomplete in the archive`);
      continue;
    }
    const base = { name: nameOf(x, String(x.type)), entity: entity(x), labels: [x.label!], properties: [...x.properties!] };
    switch (x.type) {
      case 'range':
      case 'text':
      case 'point':
        indexes.push({ ...base, type: x.type.toUpperCase() as 'RANGE', config: {} });
        break;
      case 'fulltext':
        indexes.push({ ...base, type: 'FULLTEXT', config: {} });
        break;
      case 'vector': {
        const dim = x.dimension;
        if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
          notRestored.push(`${what}: the archive gives no dimension`);
          break;
        }
        const sim = x.similarity === 'euclid' ? 'euclidean' : x.similarity === 'cosine' ? 'cosine' : null;
        if (!sim) {
          notRestored.push(`${what}: similarity ${JSON.stringify(x.similarity)} has no Neo4j equivalent`);
          break;
        }
        indexes.push({ ...base, type: 'VECTOR', config: { 'vector.dimensions': dim, 'vector.similarity_function': sim } });
        break;
      }
      default:
        notRestored.push(`${what}: Neo4j has no such index`);
    }
  }
  for (const x of schema?.constraints ?? []) {
    const what = `${String(x.type)} constraint on ${String(x.label)}(${(x.properties ?? []).join(', ')})`;
    if (!ok(x)) {
      notRestored.push(`${what}: incomplete in the archive`);
      continue;
    }
    const base = { name: nameOf(x, String(x.type)), entity: entity(x), labels: [x.label!], properties: [...x.properties!] };
    if (x.type === 'unique') constraints.push({ ...base, type: base.entity === 'node' ? 'UNIQUENESS' : 'RELATIONSHIP_UNIQUENESS' });
    else if (x.type === 'mandatory') constraints.push({ ...base, type: base.entity === 'node' ? 'NODE_PROPERTY_EXISTENCE' : 'RELATIONSHIP_PROPERTY_EXISTENCE' });
    else notRestored.push(`${what}: Neo4j has no such constraint`);
  }
  return { schema: { indexes, constraints }, notRestored };
}
