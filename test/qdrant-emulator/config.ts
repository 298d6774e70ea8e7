/**
 * Collection configuration: the create request filled with Qdrant's server defaults, read back
 * as `CollectionInfo.config`, and changed by `PATCH /collections/{c}`.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { badInput, formatError, rangeMessage, validationError } from './errors.ts';
// Qdrant (Rust) keeps a vector or payload key named __proto__; so must the emulator.
import { setMember } from '../../src/format/json.ts';

type VectorParams = Schemas['VectorParams'];
type SparseVectorParams = Schemas['SparseVectorParams'];
type CollectionConfig = Schemas['CollectionConfig'];

/** One dense vector of the collection, by name ("" for the unnamed default vector). */
export interface DenseSpec {
  kind: 'dense';
  size: number;
  distance: Schemas['Distance'];
  datatype: 'float32' | 'uint8' | 'float16';
  multivector: boolean;
}
export interface SparseSpec {
  kind: 'sparse';
}
export type VectorSpec = DenseSpec | SparseSpec;

const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'] as const;
const DATATYPES = ['float32', 'uint8', 'float16'] as const;

// Defaults of a current 1.x server (config/config.yaml and the serde defaults of each struct).
const HNSW_DEFAULT: Schemas['HnswConfig'] = { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false };
const OPTIMIZER_DEFAULT: Schemas['OptimizersConfig'] = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  memmap_threshold: null,
  indexing_threshold: 10000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};
const WAL_DEFAULT: Schemas['WalConfig'] = { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkVectorParams(raw: unknown, field: string): VectorParams {
  if (!isObject(raw)) throw formatError(`${field}: invalid type: expected struct VectorParams`);
  const { size, distance } = raw;
  if (size === undefined) throw formatError(`${field}: missing field \`size\``);
  if (distance === undefined) throw formatError(`${field}: missing field \`distance\``);
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw formatError(`${field}.size: invalid value: ${String(size)}, expected u64`);
  if (size < 1) throw validationError(`${field}.size`, rangeMessage(size, 1));
  if (!DISTANCES.includes(distance as never)) {
    throw formatError(`${field}.distance: unknown variant \`${String(distance)}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``);
  }
  if (raw.datatype != null && !DATATYPES.includes(raw.datatype as never)) {
    throw formatError(`${field}.datatype: unknown variant \`${String(raw.datatype)}\`, expected one of \`float32\`, \`uint8\`, \`float16\``);
  }
  const mv = raw.multivector_config;
  if (mv != null && (!isObject(mv) || mv.comparator !== 'max_sim')) {
    throw formatError(`${field}.multivector_config: unknown variant, expected \`max_sim\``);
  }
  // Qdrant echoes only the optional fields that were given (skip_serializing_if = "Option::is_none").
  const out: VectorParams = { size, distance: distance as Schemas['Distance'] };
  for (const key of ['hnsw_config', 'quantization_config', 'on_disk', 'datatype', 'multivector_config'] as const) {
    if (raw[key] != null) (out as Record<string, unknown>)[key] = raw[key];
  }
  return out;
}

/** The stored, normalised configuration of one collection. */
export class CollectionSettings {
  /** `config.params.vectors` exactly as read back: a single VectorParams or a map of them. */
  vectors: VectorParams | Record<string, VectorParams>;
  sparse: Record<string, SparseVectorParams> | undefined;
  params: Omit<Schemas['CollectionParams'], 'vectors' | 'sparse_vectors'>;
  hnsw: Schemas['HnswConfig'];
  optimizer: Schemas['OptimizersConfig'];
  wal: Schemas['WalConfig'];
  quantization: Schemas['QuantizationConfig'] | null;
  strictMode: Schemas['StrictModeConfigOutput'];
  metadata: Record<string, unknown> | undefined;

  constructor(body: unknown) {
    const req = isObject(body) ? body : {};
    if (body !== undefined && body !== null && !isObject(body)) throw formatError('invalid type: expected struct CreateCollection');
    const vectors = req.vectors ?? {};
    if (!isObject(vectors)) throw formatError('vectors: data did not match any variant of untagged enum VectorsConfig');
    if ('size' in vectors || 'distance' in vectors) {
      this.vectors = checkVectorParams(vectors, 'vectors');
    } else {
      const named: Record<string, VectorParams> = {};
      for (const [name, p] of Object.entries(vectors)) setMember(named, name, checkVectorParams(p, `vectors.${name}`));
      this.vectors = named;
    }
    const sparse = req.sparse_vectors;
    if (sparse != null) {
      if (!isObject(sparse)) throw formatError('sparse_vectors: invalid type: expected a map');
      this.sparse = {};
      for (const [name, p] of Object.entries(sparse)) {
        if (!isObject(p)) throw formatError(`sparse_vectors.${name}: invalid type: expected struct SparseVectorParams`);
        if (this.denseSpec(name)) throw badInput(`Vector name \`${name}\` is used for both dense and sparse vectors`);
        setMember(this.sparse, name, { ...p } as SparseVectorParams);
      }
    }
    const positive = (key: string, dflt: number): number => {
      const v = req[key];
      if (v == null) return dflt;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw formatError(`${key}: invalid value: ${String(v)}, expected u32`);
      if (v < 1) throw validationError(key, rangeMessage(v, 1));
      return v;
    };
    this.params = {
      shard_number: positive('shard_number', 1),
      ...(req.sharding_method != null ? { sharding_method: req.sharding_method as Schemas['ShardingMethod'] } : {}),
      replication_factor: positive('replication_factor', 1),
      write_consistency_factor: positive('write_consistency_factor', 1),
      on_disk_payload: typeof req.on_disk_payload === 'boolean' ? req.on_disk_payload : true,
    };
    this.hnsw = { ...HNSW_DEFAULT, ...dropNulls(req.hnsw_config, 'hnsw_config') } as Schemas['HnswConfig'];
    this.optimizer = { ...OPTIMIZER_DEFAULT, ...dropNulls(req.optimizers_config, 'optimizers_config') } as Schemas['OptimizersConfig'];
    this.wal = { ...WAL_DEFAULT, ...dropNulls(req.wal_config, 'wal_config') } as Schemas['WalConfig'];
    this.quantization = isObject(req.quantization_config) ? (req.quantization_config as Schemas['QuantizationConfig']) : null;
    this.strictMode = { enabled: false, ...dropNulls(req.strict_mode_config, 'strict_mode_config') };
    this.metadata = isObject(req.metadata) ? { ...req.metadata } : undefined;
  }

  /** The dense vector called `name`, if the collection has one. */
  denseSpec(name: string): DenseSpec | undefined {
    const v = this.vectors;
    const p = 'size' in v ? (name === '' ? (v as VectorParams) : undefined) : (v as Record<string, VectorParams>)[name];
    if (!p) return undefined;
    return {
      kind: 'dense',
      size: p.size,
      distance: p.distance,
      datatype: (p.datatype as DenseSpec['datatype'] | undefined) ?? 'float32',
      multivector: p.multivector_config != null,
    };
  }

  spec(name: string): VectorSpec | undefined {
    return this.denseSpec(name) ?? (this.sparse && Object.hasOwn(this.sparse, name) ? { kind: 'sparse' } : undefined);
  }

  /** True when the collection has the single unnamed dense vector form (`vectors: {size, distance}`). */
  get singleVector(): boolean {
    return 'size' in this.vectors;
  }

  toConfig(): CollectionConfig {
    const params: Schemas['CollectionParams'] = { vectors: this.vectors, ...this.params };
    if (this.sparse) params.sparse_vectors = this.sparse;
    const config: CollectionConfig = {
      params,
      hnsw_config: this.hnsw,
      optimizer_config: this.optimizer,
      wal_config: this.wal,
      quantization_config: this.quantization,
      strict_mode_config: this.strictMode,
    };
    if (this.metadata) config.metadata = this.metadata;
    return config;
  }

  /** Applies a `PATCH /collections/{c}` body (UpdateCollection); throws before changing anything. */
  update(body: unknown): void {
    if (!isObject(body)) throw formatError('invalid type: expected struct UpdateCollection');
    const vectorDiffs = body.vectors == null ? {} : body.vectors;
    if (!isObject(vectorDiffs)) throw formatError('vectors: invalid type: expected a map');
    for (const name of Object.keys(vectorDiffs)) {
      if (!this.denseSpec(name)) throw badInput(`Not existing vector name error: ${name}`);
    }
    const sparseDiffs = body.sparse_vectors == null ? {} : body.sparse_vectors;
    if (!isObject(sparseDiffs)) throw formatError('sparse_vectors: invalid type: expected a map');
    for (const name of Object.keys(sparseDiffs)) {
      if (!this.sparse || !Object.hasOwn(this.sparse, name)) throw badInput(`Not existing vector name error: ${name}`);
    }
    const params = dropNulls(body.params, 'params');
    const hnsw = dropNulls(body.hnsw_config, 'hnsw_config');
    const optimizer = dropNulls(body.optimizers_config, 'optimizers_config');
    const strict = dropNulls(body.strict_mode_config, 'strict_mode_config');

    for (const [name, diff] of Object.entries(vectorDiffs)) {
      const d = dropNulls(diff, `vectors.${name}`);
      const target = this.singleVector ? (this.vectors as VectorParams) : (this.vectors as Record<string, VectorParams>)[name];
      if (!target) continue;
      if (d.hnsw_config !== undefined) target.hnsw_config = { ...(target.hnsw_config ?? {}), ...dropNulls(d.hnsw_config, 'hnsw_config') };
      if (d.on_disk !== undefined) target.on_disk = d.on_disk as boolean;
      if (d.quantization_config !== undefined) {
        if (d.quantization_config === 'Disabled') delete target.quantization_config;
        else target.quantization_config = d.quantization_config as Schemas['QuantizationConfig'];
      }
    }
    for (const [name, diff] of Object.entries(sparseDiffs)) {
      const current = this.sparse?.[name] ?? {};
      const d = dropNulls(diff, `sparse_vectors.${name}`);
      if (this.sparse) setMember(this.sparse, name, { ...current, ...d } as SparseVectorParams);
    }
    Object.assign(this.params, params);
    Object.assign(this.hnsw, hnsw);
    Object.assign(this.optimizer, optimizer);
    Object.assign(this.strictMode, strict);
    if (body.quantization_config === 'Disabled') this.quantization = null;
    else if (isObject(body.quantization_config)) this.quantization = body.quantization_config as Schemas['QuantizationConfig'];
    if (isObject(body.metadata)) this.metadata = { ...(this.metadata ?? {}), ...body.metadata };
  }
}

/** A config diff without its null fields (null means "leave unchanged" in Qdrant's *Diff types). */
function dropNulls(v: unknown, field: string): Record<string, unknown> {
  if (v == null) return {};
  if (!isObject(v)) throw formatError(`${field}: invalid type: expected a struct`);
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null));
}
