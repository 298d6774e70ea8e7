/**
 * A `vectors` dataset of another store (a pgvector table, …) restored into Qdrant: a conversion
 * through the neutral schema (spec/FORMAT.md 4.6, 15.4 "vectors → Qdrant"). The collection is
 * built as that section says: one vector per schema element (`""` the unnamed one), `size` =
 * `dimension`, the distance and datatype as given, `multivector_config: {comparator: max_sim}`
 * for `multi`, sparse vectors without modifier, a payload index per `payloadIndexes` element of a
 * type Qdrant knows, and Qdrant's defaults for everything else.
 *
 * It works by giving the ordinary collection sink a descriptor whose native configuration is the
 * one a Qdrant export of such a collection would carry, so the load, the read-back and the whole
 * restore policy are the same code as for Qdrant's own datasets.
 */
import type { DatasetDescriptor, DatasetSink, SinkContext } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { Json, JsonObject } from '../../format/records.ts';
import { setMember } from '../../format/json.ts';

const DISTANCE: Record<string, string> = { cosine: 'Cosine', dot: 'Dot', euclid: 'Euclid', manhattan: 'Manhattan' };
const INDEX_TYPES = new Set(['keyword', 'integer', 'float', 'bool', 'geo', 'datetime', 'text', 'uuid']);

/** The Qdrant native configuration a neutral vectors schema asks for. */
export function fingerprintFromNeutral(name: string, schema: JsonObject): JsonObject {
  const elements = Array.isArray(schema.vectors) ? (schema.vectors as JsonObject[]) : [];
  if (elements.length === 0) throw new MemarcError('USAGE', `dataset "${name}" declares no vectors in its neutral schema; a Qdrant collection cannot be built from it`);
  const dense: Record<string, JsonObject> = {};
  const sparse: Record<string, JsonObject> = {};
  for (const v of elements) {
    const vname = String(v.name ?? '');
    if (v.kind === 'sparse') {
      if (vname === '') throw new MemarcError('USAGE', `dataset "${name}": Qdrant sparse vectors must be named, and this one is unnamed`);
      setMember(sparse, vname, {});
      continue;
    }
    const distance = DISTANCE[String(v.distance)];
    if (!distance || typeof v.dimension !== 'number') throw new MemarcError('USAGE', `dataset "${name}", vector "${vname}": a dense vector needs a dimension and a distance (cosine, dot, euclid, manhattan)`);
    setMember(dense, vname, {
      size: v.dimension,
      distance,
      ...(v.datatype === 'float16' || v.datatype === 'uint8' ? { datatype: v.datatype } : {}),
      ...(v.kind === 'multi' ? { multivector_config: { comparator: 'max_sim' } } : {}),
    });
  }
  const names = Object.keys(dense);
  const vectors: Json = names.length === 1 && names[0] === '' ? dense['']! : dense;
  if ('' in dense && names.length > 1) throw new MemarcError('USAGE', `dataset "${name}": Qdrant has either one unnamed vector or named ones, and this dataset has both`);
  const payload_schema: JsonObject = {};
  for (const p of Array.isArray(schema.payloadIndexes) ? (schema.payloadIndexes as JsonObject[]) : []) {
    if (typeof p.field === 'string' && INDEX_TYPES.has(String(p.type))) setMember(payload_schema, p.field, { data_type: String(p.type) });
  }
  return { params: { vectors, ...(Object.keys(sparse).length > 0 ? { sparse_vectors: sparse } : {}) }, payload_schema, aliases: [] };
}

/** The descriptor the collection sink works with: the dataset as if a Qdrant export had written it. */
export function asQdrantDescriptor(d: DatasetDescriptor): DatasetDescriptor {
  return { ...d, kind: 'qdrant.collection', fingerprint: fingerprintFromNeutral(d.name, d.schema ?? {}) };
}

/** The collection sink, seeing every descriptor the core hands it converted. */
export function convertingSink(inner: DatasetSink, log: (m: string) => void): DatasetSink {
  const sink = Object.create(inner) as DatasetSink;
  const mapped = (d: DatasetDescriptor): DatasetDescriptor => asQdrantDescriptor(d);
  let said = false;
  const say = (d: DatasetDescriptor, ctx: SinkContext): void => {
    if (said) return;
    said = true;
    log(`qdrant: ${ctx.dryRun ? '(dry run) ' : ''}dataset "${d.name}" (vectors from ${d.store ?? 'another store'}) → collection with ${JSON.stringify(mapped(d).fingerprint.params)}`);
  };
  sink.inspect = async (d, ctx) => {
    say(d, ctx);
    await inner.inspect?.call(inner, mapped(d), ctx);
  };
  sink.open = async (d, ctx) => {
    say(d, ctx);
    return inner.open.call(inner, mapped(d), ctx);
  };
  sink.discard = (d, ctx) => inner.discard.call(inner, mapped(d), ctx);
  return sink;
}
