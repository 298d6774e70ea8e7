/**
 * The schema fingerprint of a collection: everything needed to recreate it, nothing volatile.
 *
 * It is `GET /collections/{c}` `result.config` (params with vectors, sparse vectors, multivector
 * config, datatype, shards, replication, write consistency, on-disk settings; hnsw_config,
 * optimizer_config, wal_config, quantization_config, strict_mode_config, metadata) plus
 * `payload_schema` without the per-field point counts, plus the sorted names of the aliases that
 * point at the collection. Counts and statuses are left out so that two captures of the same
 * schema are equal.
 */
import type { Json, JsonObject } from '../../format/records.ts';
import { setMember } from '../../format/json.ts';

const CONFIG_SECTIONS = ['hnsw_config', 'optimizer_config', 'wal_config', 'quantization_config', 'strict_mode_config', 'metadata'] as const;

export interface CollectionInfo {
  config?: JsonObject & { params?: JsonObject };
  payload_schema?: { [field: string]: JsonObject };
  [key: string]: Json | undefined;
}

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds the fingerprint from a collection info and the collection's alias names. */
export function fingerprintOf(info: CollectionInfo, aliases: string[]): JsonObject {
  const config = info.config ?? {};
  const fp: JsonObject = { params: (config.params ?? {}) as JsonObject };
  for (const k of CONFIG_SECTIONS) {
    const v = config[k];
    if (v !== undefined && v !== null) fp[k] = v;
  }
  const schema: JsonObject = {};
  for (const [field, idx] of Object.entries(info.payload_schema ?? {})) {
    const entry: JsonObject = { data_type: idx.data_type ?? null };
    if (idx.params !== undefined && idx.params !== null) entry.params = idx.params;
    schema[field] = entry;
  }
  fp.payload_schema = schema;
  fp.aliases = [...aliases].sort();
  return fp;
}

/** Removes null members (Qdrant reads "unset" as null but may reject a null on create). */
export function withoutNulls(v: Json | undefined): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => withoutNulls(x) ?? null);
  if (!isPlainObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    setMember(out, k, withoutNulls(x) as Json);
  }
  return out;
}

const CREATE_PARAMS = ['shard_number', 'sharding_method', 'replication_factor', 'write_consistency_factor', 'on_disk_payload'] as const;

/**
 * The `PUT /collections/{c}` body that recreates the fingerprint's schema. Config is read back
 * as `optimizer_config` but created as `optimizers_config`. `overrides.indexingThreshold` replaces
 * the optimizer's indexing threshold (0 defers HNSW building during a bulk load).
 */
export function createBody(fp: JsonObject, overrides: { indexingThreshold?: number } = {}): JsonObject {
  const params = isPlainObject(fp.params) ? fp.params : {};
  const body: JsonObject = { vectors: (params.vectors ?? {}) as Json };
  if (isPlainObject(params.sparse_vectors) && Object.keys(params.sparse_vectors).length > 0) body.sparse_vectors = params.sparse_vectors;
  for (const k of CREATE_PARAMS) if (params[k] !== undefined && params[k] !== null) body[k] = params[k];
  if (isPlainObject(fp.hnsw_config)) body.hnsw_config = withoutNulls(fp.hnsw_config)!;
  const optimizers = isPlainObject(fp.optimizer_config) ? (withoutNulls(fp.optimizer_config) as JsonObject) : {};
  if (overrides.indexingThreshold !== undefined) optimizers.indexing_threshold = overrides.indexingThreshold;
  if (Object.keys(optimizers).length > 0) body.optimizers_config = optimizers;
  if (isPlainObject(fp.wal_config)) body.wal_config = withoutNulls(fp.wal_config)!;
  if (isPlainObject(fp.quantization_config)) body.quantization_config = withoutNulls(fp.quantization_config)!;
  if (isPlainObject(fp.strict_mode_config)) body.strict_mode_config = withoutNulls(fp.strict_mode_config)!;
  if (isPlainObject(fp.metadata) && Object.keys(fp.metadata).length > 0) body.metadata = fp.metadata;
  body.vectors = withoutNulls(body.vectors)!;
  return body;
}

/** The payload indexes to create: field name and `field_schema = params ?? data_type`. */
export function payloadIndexes(fp: JsonObject): Array<{ field_name: string; field_schema: Json }> {
  const schema = isPlainObject(fp.payload_schema) ? fp.payload_schema : {};
  return Object.entries(schema).map(([field, idx]) => {
    const o = isPlainObject(idx) ? idx : {};
    return { field_name: field, field_schema: (o.params ?? o.data_type ?? null) as Json };
  });
}

export function aliasesOf(fp: JsonObject): string[] {
  return Array.isArray(fp.aliases) ? fp.aliases.filter((a): a is string => typeof a === 'string') : [];
}

/** The indexing threshold the fingerprint asks for, if it names one. */
export function indexingThresholdOf(fp: JsonObject): number | undefined {
  const o = fp.optimizer_config;
  return isPlainObject(o) && typeof o.indexing_threshold === 'number' ? o.indexing_threshold : undefined;
}

export type Datatype = 'float32' | 'float16' | 'uint8';

export interface VectorSpec {
  name: string;
  kind: 'dense' | 'multi' | 'sparse';
  size: number;
  distance: string;
  datatype: Datatype;
}

/** The vectors the fingerprint declares, by name ("" for the unnamed default vector). */
export function vectorSpecs(fp: JsonObject): Map<string, VectorSpec> {
  const out = new Map<string, VectorSpec>();
  const params = isPlainObject(fp.params) ? fp.params : {};
  for (const [name, p] of Object.entries(namedVectors(params.vectors))) {
    out.set(name, {
      name,
      kind: isPlainObject(p.multivector_config) ? 'multi' : 'dense',
      size: typeof p.size === 'number' ? p.size : 0,
      distance: typeof p.distance === 'string' ? p.distance : 'Cosine',
      datatype: p.datatype === 'float16' || p.datatype === 'uint8' ? p.datatype : 'float32',
    });
  }
  if (isPlainObject(params.sparse_vectors)) {
    for (const name of Object.keys(params.sparse_vectors)) out.set(name, { name, kind: 'sparse', size: 0, distance: 'Dot', datatype: 'float32' });
  }
  return out;
}

/** `params.vectors` as a map: a single VectorParams becomes the unnamed vector "". */
export function namedVectors(v: Json | undefined): { [name: string]: JsonObject } {
  if (!isPlainObject(v)) return {};
  if (typeof v.size === 'number' || typeof v.distance === 'string') return { '': v };
  const out: { [name: string]: JsonObject } = {};
  for (const [k, x] of Object.entries(v)) if (isPlainObject(x)) setMember(out, k, x);
  return out;
}
