import { describe, expect, it } from 'vitest';
import { compareFingerprints } from '../../src/adapters/qdrant/index.ts';
import { fingerprintOf } from '../../src/adapters/qdrant/fingerprint.ts';
import type { JsonObject } from '../../src/format/records.ts';

/** A fingerprint as a 1.12 server would report it. */
function base(): JsonObject {
  return {
    params: {
      vectors: { size: 768, distance: 'Cosine' },
      shard_number: 1,
      replication_factor: 1,
      write_consistency_factor: 1,
      on_disk_payload: true,
    },
    hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
    optimizer_config: { deleted_threshold: 0.2, indexing_threshold: 10000, flush_interval_sec: 5, max_optimization_threads: null },
    wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
    payload_schema: { tenant: { data_type: 'keyword', params: { type: 'keyword', is_tenant: true } }, n: { data_type: 'integer' } },
    aliases: ['docs'],
  };
}

function clone(o: JsonObject): JsonObject {
  return structuredClone(o);
}

const messages = (a: JsonObject, b: JsonObject): string[] => compareFingerprints(a, b).map((d) => d.message);

describe('compareFingerprints', () => {
  it('finds no difference between equal fingerprints', () => {
    expect(compareFingerprints(base(), base())).toEqual([]);
  });

  it('explains a dimension difference of the unnamed vector', () => {
    const live = clone(base());
    ((live.params as JsonObject).vectors as JsonObject).size = 384;
    const diffs = compareFingerprints(base(), live);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]!.message).toBe('vector "": size 768 in the archive, 384 in the target');
    expect(diffs[0]!.path).toBe('params.vectors."".size');
    expect(diffs[0]!.archive).toBe(768);
    expect(diffs[0]!.target).toBe(384);
  });

  it('treats a single vector and a map with the name "" alike', () => {
    const live = clone(base());
    (live.params as JsonObject).vectors = { '': { size: 768, distance: 'Cosine' } };
    expect(compareFingerprints(base(), live)).toEqual([]);
  });

  it('ignores server-added defaults and nulls on one side', () => {
    const live = clone(base());
    (live.hnsw_config as JsonObject).inline_storage = false;
    (live.optimizer_config as JsonObject).max_segment_size = null;
    live.strict_mode_config = { enabled: false };
    (live.params as JsonObject).read_fan_out_factor = 0;
    const archive = clone(base());
    archive.quantization_config = null;
    expect(compareFingerprints(archive, live)).toEqual([]);
  });

  it('ignores volatile members: counts, statuses, aliases', () => {
    const live = clone(base());
    live.status = 'green';
    live.points_count = 123;
    live.segments_count = 4;
    live.aliases = ['other'];
    (live.payload_schema as JsonObject).tenant = { data_type: 'keyword', params: { type: 'keyword', is_tenant: true }, points: 99 };
    expect(compareFingerprints(base(), live)).toEqual([]);
  });

  it('explains a distance, a datatype and a multivector difference', () => {
    const live = clone(base());
    const v = (live.params as JsonObject).vectors as JsonObject;
    v.distance = 'Dot';
    v.datatype = 'float16';
    v.multivector_config = { comparator: 'max_sim' };
    expect(messages(base(), live)).toEqual([
      'vector "": distance Cosine in the archive, Dot in the target',
      'vector "": datatype float32 in the archive, float16 in the target',
      'vector "": multivector_config absent in the archive, {"comparator":"max_sim"} in the target',
    ]);
  });

  it('does not count datatype float32 and an absent datatype as different', () => {
    const live = clone(base());
    ((live.params as JsonObject).vectors as JsonObject).datatype = 'float32';
    expect(compareFingerprints(base(), live)).toEqual([]);
  });

  it('explains a named vector present on one side only', () => {
    const a = clone(base());
    (a.params as JsonObject).vectors = { text: { size: 4, distance: 'Dot' }, image: { size: 8, distance: 'Euclid' } };
    const b = clone(base());
    (b.params as JsonObject).vectors = { text: { size: 4, distance: 'Dot' } };
    expect(messages(a, b)).toEqual(['vector "image": present in the archive, absent in the target']);
    expect(messages(b, a)).toEqual(['vector "image": absent in the archive, present in the target']);
  });

  it('explains sparse vector differences: presence and modifier', () => {
    const a = clone(base());
    (a.params as JsonObject).sparse_vectors = { bm25: { modifier: 'idf' }, splade: {} };
    const b = clone(base());
    (b.params as JsonObject).sparse_vectors = { bm25: {} };
    expect(messages(a, b)).toEqual([
      'sparse vector "bm25": modifier idf in the archive, none in the target',
      'sparse vector "splade": present in the archive, absent in the target',
    ]);
  });

  it('explains payload index differences: missing, extra, other type, other params', () => {
    const live = clone(base());
    const ps = live.payload_schema as JsonObject;
    delete ps.n;
    ps.extra = { data_type: 'float' };
    ps.tenant = { data_type: 'keyword', params: { type: 'keyword', is_tenant: false } };
    expect(messages(base(), live)).toEqual([
      'payload index "tenant": params.is_tenant true in the archive, false in the target',
      'payload index "n": present in the archive, absent in the target',
      'payload index "extra": absent in the archive, present in the target',
    ]);
    const other = clone(base());
    (other.payload_schema as JsonObject).n = { data_type: 'float' };
    expect(messages(base(), other)).toEqual(['payload index "n": data_type integer in the archive, float in the target']);
  });

  it('explains tuning differences by section and field', () => {
    const live = clone(base());
    (live.hnsw_config as JsonObject).m = 32;
    (live.params as JsonObject).shard_number = 2;
    (live.wal_config as JsonObject).wal_capacity_mb = 64;
    expect(messages(base(), live)).toEqual([
      'params: shard_number 1 in the archive, 2 in the target',
      'hnsw_config: m 16 in the archive, 32 in the target',
      'wal_config: wal_capacity_mb 32 in the archive, 64 in the target',
    ]);
  });

  it('treats quantization present on one side as a difference, and compares its settings', () => {
    const q = clone(base());
    q.quantization_config = { scalar: { type: 'int8', quantile: 0.99, always_ram: true } };
    expect(messages(base(), q)).toEqual(['quantization_config: absent in the archive, present in the target']);
    const q2 = clone(q);
    ((q2.quantization_config as JsonObject).scalar as JsonObject).quantile = 0.95;
    expect(messages(q, q2)).toEqual(['quantization_config: scalar.quantile 0.99 in the archive, 0.95 in the target']);
  });

  it('compares per-vector HNSW and quantization loosely', () => {
    const a = clone(base());
    ((a.params as JsonObject).vectors as JsonObject).hnsw_config = { m: 32 };
    const b = clone(base());
    expect(compareFingerprints(a, b)).toEqual([]);
    ((b.params as JsonObject).vectors as JsonObject).hnsw_config = { m: 8 };
    expect(messages(a, b)).toEqual(['vector "": hnsw_config.m 32 in the archive, 8 in the target']);
  });

  it('builds fingerprints without volatile members and with sorted aliases', () => {
    const fp = fingerprintOf(
      {
        status: 'green',
        points_count: 5,
        config: { params: { vectors: { size: 2, distance: 'Dot' } }, hnsw_config: { m: 16 }, quantization_config: null },
        payload_schema: { a: { data_type: 'keyword', points: 5 }, b: { data_type: 'text', params: { type: 'text', tokenizer: 'word' }, points: 3 } },
      },
      ['z', 'a'],
    );
    expect(fp).toEqual({
      params: { vectors: { size: 2, distance: 'Dot' } },
      hnsw_config: { m: 16 },
      payload_schema: { a: { data_type: 'keyword' }, b: { data_type: 'text', params: { type: 'text', tokenizer: 'word' } } },
      aliases: ['a', 'z'],
    });
  });
});
