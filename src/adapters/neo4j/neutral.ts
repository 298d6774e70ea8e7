/**
 * The neutral `graph` schema of a Neo4j graph (spec/FORMAT.md 4.5, 15.4, 15.6), from its native
 * configuration: one neutral index per (index, label), since a neutral index names one label;
 * composite indexes keep their property list. Neo4j's text and point indexes have neutral types
 * `text` and `point` (a store without them ignores them); a vector index adds `dimension` and
 * `similarity`. Node keys become a `unique` and a `mandatory` constraint, existence constraints
 * `mandatory`; property type constraints become `properties` entries.
 */
import { canonicalJson } from '../../format/canonical.ts';
import type { Json, JsonObject } from '../../format/records.ts';
import type { Neo4jSchema } from './schema.ts';

const NEUTRAL_TYPE: Record<string, string> = { RANGE: 'range', TEXT: 'text', POINT: 'point', FULLTEXT: 'fulltext', VECTOR: 'vector' };

/** Neo4j's property type names as the typed-value types of spec 6.5. */
const PROPERTY_TYPES: Record<string, string> = {
  BOOLEAN: 'boolean', STRING: 'string', INTEGER: 'integer', FLOAT: 'double', DATE: 'date', 'LOCAL TIME': 'timeofday', 'ZONED TIME': 'zonedtime',
  'LOCAL DATETIME': 'timestamp', 'ZONED DATETIME': 'zoneddatetime', DURATION: 'isoduration', POINT: 'point',
};

export function graphSchema(schema: Neo4jSchema, names?: { labels: string[]; edgeTypes: string[] }): JsonObject {
  const labels = new Set<string>(names?.labels ?? []);
  const edgeTypes = new Set<string>(names?.edgeTypes ?? []);
  const indexes: JsonObject[] = [];
  const constraints: JsonObject[] = [];
  const properties: JsonObject[] = [];
  const note = (entity: string, l: string) => (entity === 'node' ? labels : edgeTypes).add(l);
  for (const i of schema.indexes) {
    for (const label of i.labels) {
      note(i.entity, label);
      const sim = String(i.config['vector.similarity_function'] ?? '').toLowerCase();
      indexes.push({
        entity: i.entity,
        label,
        properties: [...i.properties],
        type: NEUTRAL_TYPE[i.type]!,
        ...(i.type === 'VECTOR' ? { dimension: (i.config['vector.dimensions'] as Json) ?? null, similarity: sim === 'euclidean' ? 'euclid' : sim || null } : {}),
      });
    }
  }
  for (const c of schema.constraints) {
    for (const label of c.labels) {
      note(c.entity, label);
      const unique = /UNIQUENESS|_KEY$/.test(c.type);
      const mandatory = /_KEY$|EXISTENCE/.test(c.type);
      if (unique) constraints.push({ entity: c.entity, label, properties: [...c.properties], type: 'unique' });
      if (mandatory) constraints.push({ entity: c.entity, label, properties: [...c.properties], type: 'mandatory' });
      if (c.type.endsWith('PROPERTY_TYPE') && c.propertyType) {
        for (const p of c.properties) properties.push({ entity: c.entity, label, name: p, type: PROPERTY_TYPES[c.propertyType] ?? c.propertyType.toLowerCase() });
      }
    }
  }
  return {
    labels: [...labels].sort(),
    edgeTypes: [...edgeTypes].sort(),
    labelsComplete: names !== undefined,
    ...(properties.length ? { properties: sorted(properties) } : {}),
    indexes: sorted(indexes),
    constraints: sorted(constraints),
  };
}

function sorted(xs: JsonObject[]): JsonObject[] {
  return xs.map((x) => [canonicalJson(x), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
}
