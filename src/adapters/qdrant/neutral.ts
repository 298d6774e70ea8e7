/**
 * The neutral `vectors` schema of a collection (spec/FORMAT.md 4.5, 15.4), made from its native
 * fingerprint: each vector's name, kind, dimension, distance and datatype, and the payload indexes.
 * HNSW, quantization, sharding and optimizer settings stay in the native block only.
 */
import type { Json, JsonObject } from '../../format/records.ts';
import { vectorSpecs } from './fingerprint.ts';

const DISTANCE: Record<string, string> = { Cosine: 'cosine', Dot: 'dot', Euclid: 'euclid', Manhattan: 'manhattan' };

export function vectorsSchema(fingerprint: JsonObject): JsonObject {
  const vectors: JsonObject[] = [...vectorSpecs(fingerprint).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((v) => ({
      name: v.name,
      kind: v.kind,
      ...(v.kind === 'sparse' ? {} : { dimension: v.size }),
      distance: DISTANCE[v.distance] ?? v.distance.toLowerCase(),
      datatype: v.datatype,
    }));
  const schema = fingerprint.payload_schema;
  const payloadIndexes: JsonObject[] = [];
  if (schema && typeof schema === 'object' && !Array.isArray(schema)) {
    for (const field of Object.keys(schema).sort()) {
      const info = (schema as JsonObject)[field] as Json;
      const type = info && typeof info === 'object' && !Array.isArray(info) ? (info as JsonObject).data_type ?? (info as JsonObject).type : info;
      payloadIndexes.push({ field, type: typeof type === 'string' ? type : 'keyword' });
    }
  }
  return { vectors, payloadIndexes };
}
