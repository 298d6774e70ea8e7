/**
 * The neutral `graph` schema of a FalkorDB graph (spec/FORMAT.md 4.5, 15.4), made from its native
 * fingerprint: the labels and relationship types its indexes and constraints name, the indexes and
 * the constraints. FalkorDB declares no property types, so `properties` is not written; the labels
 * and edge types are those the schema mentions (`labelsComplete: false`), the data may hold more.
 */
import { canonicalJson } from '../../format/canonical.ts';
import type { JsonObject } from '../../format/records.ts';
import type { GraphSchema } from './schema.ts';

export function graphSchema(fingerprint: JsonObject): JsonObject {
  const fp = fingerprint as unknown as Partial<GraphSchema>;
  const labels = new Set<string>();
  const edgeTypes = new Set<string>();
  const indexes: JsonObject[] = [];
  const constraints: JsonObject[] = [];
  for (const i of fp.indexes ?? []) {
    (i.entity === 'node' ? labels : edgeTypes).add(i.label);
    const o = i.options ?? {};
    indexes.push({
      entity: i.entity,
      label: i.label,
      properties: [i.property],
      type: i.type,
      ...(i.type === 'vector' ? { dimension: o.dimension ?? null, similarity: o.similarityFunction === 'cosine' ? 'cosine' : o.similarityFunction === 'euclidean' ? 'euclid' : (o.similarityFunction ?? null) } : {}),
    });
  }
  for (const c of fp.constraints ?? []) {
    (c.entity === 'node' ? labels : edgeTypes).add(c.label);
    constraints.push({ entity: c.entity, label: c.label, properties: [...c.properties], type: c.type });
  }
  return { labels: [...labels].sort(), edgeTypes: [...edgeTypes].sort(), labelsComplete: false, indexes: sorted(indexes), constraints: sorted(constraints) };
}

/** Sorted by canonical JSON (spec/FORMAT.md 4.5), so equal schemas hash alike. */
function sorted(xs: JsonObject[]): JsonObject[] {
  return xs.map((x) => [canonicalJson(x), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((p) => p[1]);
}
