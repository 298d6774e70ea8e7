/**
 * Collections that exercise every vector kind, id kind and schema feature, created through the
 * REST API so that the same fixtures run against the emulator and a real server.
 */
import { randomVector, rest, rng } from './drive.ts';

export interface Seeded {
  dense: string;
  named: string;
  sparse: string;
  aliases: string[];
}

const UUIDS = ['6f1c1d3e-8a2b-4c5d-9e0f-112233445566', 'A0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3', '00000000-0000-4000-8000-000000000000'];

/** Ids of every kind: small integers, integers above 2^53 (up to u64 max), UUIDs. */
export function mixedIds(n: number): Array<number | bigint | string> {
  const ids: Array<number | bigint | string> = [];
  for (let i = 0; i < n; i++) {
    if (i % 7 === 3) ids.push(2n ** 53n + BigInt(i) * 1_000_003n + 1n);
    else if (i % 11 === 5) ids.push(UUIDS[i % UUIDS.length]!.replace(/.$/, (i % 10).toString()));
    else ids.push(i * 3 + 1);
  }
  ids.push(18446744073709551615n);
  return ids;
}

function payload(i: number, r: () => number): Record<string, unknown> {
  return {
    tenant: `t${i % 3}`,
    n: i,
    big: 9007199254740993n + BigInt(i),
    score: Math.round(r() * 1e6) / 1e3,
    ok: i % 2 === 0,
    text: `héllo wörld ${i} "quoted" \\ ✓`,
    at: `2024-0${(i % 9) + 1}-15T10:00:00Z`,
    nested: { a: [1, 2.5, 'x', null, { b: true }], empty: {} },
    ...(i % 5 === 0 ? { geo: { lon: 13.4 + i / 100, lat: 52.5 } } : {}),
  };
}

export async function seedCollections(url: string, apiKey: string | undefined, names: { dense: string; named: string; sparse: string }, points = 120): Promise<Seeded> {
  const r = rng(42);
  // 1. One unnamed Cosine vector, tuned HNSW, quantization, WAL, payload indexes with params, aliases.
  await rest(url, apiKey, 'PUT', `/collections/${names.dense}`, {
    vectors: { size: 8, distance: 'Cosine', on_disk: true },
    hnsw_config: { m: 20, ef_construct: 120 },
    optimizers_config: { indexing_threshold: 15000, deleted_threshold: 0.3 },
    wal_config: { wal_capacity_mb: 16 },
    quantization_config: { scalar: { type: 'int8', quantile: 0.95, always_ram: true } },
    on_disk_payload: false,
  });
  const indexes: Array<[string, unknown]> = [
    ['tenant', { type: 'keyword', is_tenant: true }],
    ['n', { type: 'integer', lookup: true, range: true }],
    ['score', 'float'],
    ['ok', 'bool'],
    ['text', { type: 'text', tokenizer: 'word', lowercase: true, min_token_len: 2, max_token_len: 20 }],
    ['at', 'datetime'],
    ['geo', 'geo'],
  ];
  for (const [field_name, field_schema] of indexes) {
    await rest(url, apiKey, 'PUT', `/collections/${names.dense}/index?wait=true`, { field_name, field_schema });
  }
  const ids = mixedIds(points);
  await rest(url, apiKey, 'PUT', `/collections/${names.dense}/points?wait=true`, {
    points: ids.map((id, i) => ({ id, vector: randomVector(r, 8), payload: payload(i, r) })),
  });
  const aliases = [`${names.dense}_a1`, `${names.dense}_a2`];
  await rest(url, apiKey, 'POST', '/collections/aliases', { actions: aliases.map((a) => ({ create_alias: { alias_name: a, collection_name: names.dense } })) });

  // 2. Named vectors of every kind and datatype; some points lack some vectors.
  await rest(url, apiKey, 'PUT', `/collections/${names.named}`, {
    vectors: {
      text: { size: 4, distance: 'Dot' },
      image: { size: 3, distance: 'Euclid', datatype: 'float16' },
      bytes: { size: 5, distance: 'Manhattan', datatype: 'uint8' },
      colbert: { size: 3, distance: 'Cosine', multivector_config: { comparator: 'max_sim' } },
      unit: { size: 2, distance: 'Cosine' },
    },
    sparse_vectors: { bm25: { modifier: 'idf' }, splade: { index: { on_disk: true } } },
    shard_number: 2,
  });
  const named = ids.slice(0, 60).map((id, i) => {
    const vector: Record<string, unknown> = {
      text: randomVector(r, 4),
      image: randomVector(r, 3),
      bytes: [0, 1, 128, 255, i % 256],
      bm25: { indices: [9, 2, 400 + i], values: [0.5, 1.25, r()] },
    };
    if (i % 4 !== 0) vector.colbert = [randomVector(r, 3), randomVector(r, 3), randomVector(r, 3)].slice(0, 1 + (i % 3));
    if (i % 3 !== 0) vector.splade = { indices: [i, i + 1000], values: [r(), r()] };
    vector.unit = i % 2 ? [0.6, 0.8] : [3, 4];
    return { id, vector, payload: i % 6 === 0 ? {} : { i } };
  });
  await rest(url, apiKey, 'PUT', `/collections/${names.named}/points?wait=true`, { points: named });

  // 3. Sparse vectors only.
  await rest(url, apiKey, 'PUT', `/collections/${names.sparse}`, { sparse_vectors: { s: {} } });
  await rest(url, apiKey, 'PUT', `/collections/${names.sparse}/points?wait=true`, {
    points: Array.from({ length: 30 }, (_, i) => ({ id: i + 1, vector: { s: { indices: [i, i * 2 + 1], values: [1, -2.5] } }, payload: { i } })),
  });
  return { ...names, aliases };
}
