/** fast-check arbitraries for format v1 records and datasets, edge values included on purpose. */
import fc from 'fast-check';
import { encodeF32, typedDouble, type EdgeRecord, type Json, type JsonObject, type NodeKey, type NodeRecord, type PointRecord, type TypedValue } from '../../src/format/records.ts';
import type { DatasetInput, Section } from '../../src/format/writer.ts';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Code units fast-check's 'binary' unit never gives alone: lone surrogates, and a few escapes. */
const oddUnit = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('a', '\u0000', '\u2028', '"', '\\', '\n', '\u{1F9E0}'),
);

/** Full UTF-16: astral characters and lone surrogates included. */
export const anyString = (max = 12) => fc.oneof(fc.string({ unit: 'binary', maxLength: max }), fc.string({ unit: oddUnit, maxLength: max }));

/** Bit patterns of float32 edge values: ±0, subnormals, ±max, ±Infinity, quiet and signalling NaNs with payloads. */
const EDGE_F32_BITS = [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0xffffffff];

const f32Bits = fc.oneof(fc.constantFrom(...EDGE_F32_BITS), fc.integer({ min: 0, max: 0xffffffff }));

export const f32b64 = (minLength: number, maxLength: number) =>
  fc.array(f32Bits, { minLength, maxLength }).map((bits) => encodeF32(new Float32Array(Uint32Array.from(bits).buffer)));

const vectorValue = fc.oneof(
  f32b64(0, 6).map((dense) => ({ dense })),
  // Sparse indices are strictly increasing (format v1; Qdrant sorts them on upsert).
  fc.uniqueArray(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 5 }).map((xs) => xs.sort((a, b) => a - b)).chain((indices) =>
    f32b64(indices.length, indices.length).map((values) => ({ sparse: { indices, values } })),
  ),
  fc.integer({ min: 0, max: 4 }).chain((dim) => fc.array(f32b64(dim, dim), { minLength: 1, maxLength: 3 }).map((multi) => ({ multi }))),
);

export const pointId = fc.oneof(
  fc.maxSafeNat(),
  fc.bigInt({ min: 2n ** 53n, max: U64_MAX }),
  fc.constant(U64_MAX),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
);

const unsafeBigint = (min: bigint, max: bigint) => fc.bigInt({ min, max }).filter((b) => b < BigInt(Number.MIN_SAFE_INTEGER) || b > BigInt(Number.MAX_SAFE_INTEGER));

/** Levels of nesting a payload member may add: 64 levels in all, less the payload, the member and a nested jsonValue. */
export const MAX_PAYLOAD_NEST = 64 - 4;

/** Nests a value `depth` levels deep in alternating arrays and objects. */
function nest(v: Json, depth: number): Json {
  let out = v;
  for (let i = 0; i < depth; i++) out = i % 2 ? [out] : { [`d${i}`]: out };
  return out;
}

const payloadValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: unsafeBigint(-(2n ** 80n), 2n ** 80n) },
  // Deep, up to the format's bound: the payload is level 1, its members level 2, and at most 64 levels in all.
  { weight: 1, arbitrary: fc.tuple(fc.jsonValue({ stringUnit: 'binary', maxDepth: 1 }) as fc.Arbitrary<Json>, fc.integer({ min: 10, max: MAX_PAYLOAD_NEST })).map(([v, d]) => nest(v, d)) },
);

export const payload: fc.Arbitrary<JsonObject | null> = fc.option(fc.dictionary(anyString(), payloadValue, { maxKeys: 5, noNullPrototype: true }), { nil: null });

export const point: fc.Arbitrary<PointRecord> = fc.record({
  id: pointId,
  vectors: fc.dictionary(anyString(8), vectorValue, { maxKeys: 3, noNullPrototype: true }),
  payload,
});

const typedLeaf: fc.Arbitrary<TypedValue> = fc.oneof(
  anyString(),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.constantFrom(I64_MIN, I64_MAX),
  unsafeBigint(I64_MIN, I64_MAX),
  fc.double().map(typedDouble),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE).map(typedDouble),
  f32b64(0, 4).map((vecf32) => ({ vecf32 })),
  fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) }).map((point) => ({ point })),
  fc.tuple(fc.constantFrom('datetime', 'date', 'time', 'duration'), fc.oneof(fc.maxSafeInteger(), unsafeBigint(I64_MIN, I64_MAX))).map(([tag, v]) => ({ [tag]: v }) as TypedValue),
);

const typedValue: fc.Arbitrary<TypedValue> = fc.oneof(
  { weight: 5, arbitrary: typedLeaf },
  { weight: 1, arbitrary: fc.array(typedLeaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(typedLeaf, { maxLength: 2 }), { maxLength: 2 }) },
);

export const props = fc.dictionary(anyString(8), typedValue, { maxKeys: 5, noNullPrototype: true });

const nodeKey: fc.Arbitrary<NodeKey> = fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 2n ** 53n, max: I64_MAX }), anyString(6));
const keyId = (k: NodeKey) => `${typeof k === 'string' ? 's' : 'n'}${String(k)}`;

export interface Graph {
  nodes: NodeRecord[];
  edges: EdgeRecord[];
}

export const graph: fc.Arbitrary<Graph> = fc
  .uniqueArray(nodeKey, { maxLength: 8, selector: keyId })
  .chain((keys) =>
    fc.record({
      nodes: fc.tuple(...keys.map((key) => fc.record({ key: fc.constant(key), labels: fc.array(anyString(6).filter((s) => s.length > 0), { maxLength: 3 }), props }))),
      edges:
        keys.length === 0
          ? fc.constant([])
          : fc.array(fc.record({ type: anyString(6).filter((s) => s.length > 0), src: fc.constantFrom(...keys), dst: fc.constantFrom(...keys), props }), { maxLength: 12 }),
    }),
  );

export type DatasetData = { kind: 'qdrant.collection'; name: string; points: PointRecord[] } | { kind: 'falkordb.graph'; name: string; graph: Graph };

const datasetData: fc.Arbitrary<DatasetData> = fc.oneof(
  fc.record({ kind: fc.constant('qdrant.collection' as const), name: anyString(10), points: fc.uniqueArray(point, { maxLength: 10, selector: (p) => (typeof p.id === 'string' ? p.id.toLowerCase() : String(p.id)) }) }),
  fc.record({ kind: fc.constant('falkordb.graph' as const), name: anyString(10), graph }),
);

/** Datasets with unique, non-empty names (a writer's caller guarantees that; see the report on writer.ts). */
export const datasets = fc.array(datasetData, { maxLength: 3 }).map((ds) => ds.map((d, i) => ({ ...d, name: `${i + 1}${d.name}` })));

export function inputsOf(ds: DatasetData[]): DatasetInput[] {
  return ds.map((d) => ({ name: d.name, kind: d.kind, fingerprint: { generated: true }, source: { type: 'property-test' } }));
}

/** Sections for the datasets, records cut into batches of `batch`. */
export function sectionsOf(ds: DatasetData[], batch: number): Section[] {
  const cut = <T>(xs: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < xs.length; i += batch) out.push(xs.slice(i, i + batch));
    return out;
  };
  return ds.flatMap((d, i): Section[] =>
    d.kind === 'qdrant.collection'
      ? [{ dataset: i + 1, kind: 'point', batches: cut(d.points) }]
      : [
          { dataset: i + 1, kind: 'node', batches: cut(d.graph.nodes) },
          { dataset: i + 1, kind: 'edge', batches: cut(d.graph.edges) },
        ],
  );
}
