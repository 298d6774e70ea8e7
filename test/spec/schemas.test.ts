/**
 * The JSON Schemas in spec/ against the code: every entry of archives written by ArchiveWriter
 * must validate, invalid records must fail both the schema and recordProblem, and the examples in
 * spec/FORMAT.md must be valid. Ajv cannot see bigint, so schemas validate the line parsed with
 * plain JSON.parse (big integers become doubles, which are still integers), while the code sees
 * the line parsed with parseJson (exact). Where a schema cannot express a rule (an exact 64-bit
 * bound, nesting depth), a test pins that down so the spec's note about it stays true.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import { isMemarcError } from '../../src/errors.ts';
import { validateHeader, validateTrailer } from '../../src/format/header.ts';
import { parseJson } from '../../src/format/json.ts';
import { readArchive } from '../../src/format/reader.ts';
import { encodeF32, typedDouble, type EdgeRecord, type JsonObject, type NodeRecord, type PointRecord, type RecordKind } from '../../src/format/records.ts';
import { recordProblem } from '../../src/format/validate.ts';
import { ArchiveWriter, type DatasetInput, type Section } from '../../src/format/writer.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPEC = path.join(ROOT, 'spec');

type SchemaName = 'header' | 'header2' | 'trailer' | RecordKind;
const NAMES: SchemaName[] = ['header', 'header2', 'trailer', 'point', 'node', 'edge', 'row'];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
ajv.addFormat('date-time', (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)));

const schemaDocs = Object.fromEntries(NAMES.map((n) => [n, JSON.parse(readFileSync(path.join(SPEC, `${n}.schema.json`), 'utf8')) as Record<string, unknown>])) as Record<SchemaName, Record<string, unknown>>;
const validators = Object.fromEntries(NAMES.map((n) => [n, ajv.compile(schemaDocs[n])])) as Record<SchemaName, ValidateFunction>;

/** Validates JSON text against a schema; returns Ajv's errors as text, or null when valid. */
function schemaProblem(name: SchemaName, text: string): string | null {
  const v = validators[name];
  return v(JSON.parse(text)) ? null : ajv.errorsText(v.errors);
}

function codeProblem(kind: RecordKind, text: string): string | null {
  return recordProblem(kind, parseJson(text));
}

interface TarEntry {
  name: string;
  type: string;
  pax: Record<string, string>;
  body: Buffer;
}

async function writeArchive(datasets: DatasetInput[], sections: Section[] | ((w: ArchiveWriter) => AsyncIterable<Section>), opts: { shardMaxRecords?: number } = {}): Promise<{ bytes: Buffer; writer: ArchiveWriter }> {
  // header.schema.json describes format 1; header-v2.schema.json is checked below.
  const writer = new ArchiveWriter({ formatMajor: 1, datasets, createdAt: new Date('2026-03-01T12:00:00.123Z'), ...opts });
  const chunks: Buffer[] = [];
  for await (const c of writer.encode(typeof sections === 'function' ? sections(writer) : sections)) chunks.push(c);
  return { bytes: Buffer.concat(chunks), writer };
}

async function tarEntries(bytes: Buffer): Promise<TarEntry[]> {
  const extract = tar.extract();
  const feeding = pipeline(Readable.from([bytes]), extract);
  const out: TarEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ name: entry.header.name, type: entry.header.type, pax: (entry.header.pax ?? {}) as Record<string, string>, body: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

interface Checked {
  names: string[];
  linesByKind: Record<RecordKind, string[]>;
  trailerText: string;
}

/** Validates every entry of an archive against the schemas and the code; returns what it saw. */
async function checkArchive(bytes: Buffer): Promise<Checked> {
  const entries = await tarEntries(bytes);
  const names = entries.map((e) => e.name);
  const linesByKind: Record<RecordKind, string[]> = { point: [], node: [], edge: [], row: [] };
  let trailerText = '';
  for (const e of entries) {
    expect(e.type).toBe('file');
    const text = e.name.endsWith('.gz') ? gunzipSync(e.body).toString('utf8') : e.body.toString('utf8');
    if (e.name === 'header.json') {
      expect(schemaProblem('header', text)).toBeNull();
      expect(() => validateHeader(parseJson(text))).not.toThrow();
    } else if (e.name === 'trailer.json') {
      expect(schemaProblem('trailer', text)).toBeNull();
      expect(() => validateTrailer(parseJson(text))).not.toThrow();
      trailerText = text;
    } else if (e.name.endsWith('.ndjson.gz')) {
      const kind = /\/(point|node|edge)-\d+\.ndjson\.gz$/.exec(e.name)![1] as RecordKind;
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(String(lines.length)).toBe(e.pax['MEMARC.records']);
      for (const [i, line] of lines.entries()) {
        const where = `${e.name} line ${i + 1}`;
        expect(schemaProblem(kind, line), where).toBeNull();
        expect(codeProblem(kind, line), where).toBeNull();
      }
      linesByKind[kind].push(...lines);
    }
  }
  // What the schemas accepted, memarc's own reader must accept in full.
  let trailerSeen = false;
  for await (const ev of readArchive(Readable.from([bytes]))) if (ev.type === 'trailer') trailerSeen = true;
  expect(trailerSeen).toBe(true);
  return { names, linesByKind, trailerText };
}

async function* sectionsOf(source: ReturnType<typeof syntheticSource>, writer: ArchiveWriter): AsyncGenerator<Section> {
  const datasets = await source.open();
  for (const [i, ds] of datasets.entries()) {
    for (const kind of writer.header.datasets[i]!.recordKinds) yield { dataset: i + 1, kind, batches: ds.batches(kind) };
  }
}

/** float32 values given by their bit patterns, including NaN payloads, -0, ±Infinity and a subnormal. */
function f32Bits(...bits: number[]): string {
  return encodeF32(new Float32Array(Uint32Array.from(bits).buffer));
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

const handPoints: PointRecord[] = [
  { id: 0, vectors: { '': { dense: encodeF32([0.5, -0.25, 1, 0]) } }, payload: { text: 'Zürich 東京 🧠 "quoted" \\ tab\t', nested: { a: [1, 2.5, true, null, { b: 'x' }] } } },
  { id: U64_MAX, vectors: { text: { dense: f32Bits(0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff) }, image: { dense: encodeF32([0.1, 0.2]) } }, payload: null },
  { id: 'C0FFEE00-0000-4000-8000-000000000002', vectors: { keywords: { sparse: { indices: [1, 7, 4294967295], values: encodeF32([0.5, -1, 2]) } } }, payload: {} },
  { id: Number.MAX_SAFE_INTEGER, vectors: { colbert: { multi: [encodeF32([1, 2]), encodeF32([3, 4]), encodeF32([5, 6])] } }, payload: { big: 1n << 60n, negative: -(1n << 62n) } },
  { id: 5, vectors: {}, payload: { empty: {} } },
  { id: '01234567-89ab-cdef-0123-456789abcdef', vectors: { none: { sparse: { indices: [], values: '' } } }, payload: { 'ключ': 'значение' } },
];

const bigKey = 1n << 62n;
const handNodes: NodeRecord[] = [
  {
    key: 1,
    labels: ['Person', 'Entity'],
    props: {
      s: 'Ada', b: true, i: 42, neg: -7, i64max: I64_MAX, i64min: I64_MIN,
      d: typedDouble(1.5), dInt: typedDouble(2), dBig: typedDouble(1e20), dHuge: typedDouble(1e300),
      nan: typedDouble(NaN), inf: typedDouble(Infinity), ninf: typedDouble(-Infinity), nz: typedDouble(-0),
      v: { vecf32: encodeF32([0.25, -0.5, 0.75]) },
      p: { point: { latitude: 47.3769, longitude: 8.5417 } },
      dt: { datetime: 1767225600 }, date: { date: 20454 }, t: { time: 3600 }, dur: { duration: 86400 }, bigDt: { datetime: 1n << 60n },
      arr: [1, 'a', [true, [typedDouble(0.1), { date: 1 }]]],
    },
  },
  { key: 'n-2', labels: [], props: {} },
  { key: bigKey, labels: ['Big'], props: { unicode: 'e\u0301 vs \u00e9' } },
];
const handEdges: EdgeRecord[] = [
  { type: 'KNOWS', src: 1, dst: 'n-2', props: { since: { date: 1 } } },
  { type: 'SELF', src: bigKey, dst: bigKey, props: { w: typedDouble(-0.5), tags: ['a', 'b'] } },
];

const TAGS = ['double', 'vecf32', 'point', 'datetime', 'date', 'time', 'duration'];

/** The one-key tags found anywhere in a typed value. */
function tagsIn(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) tagsIn(x, out);
  else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && TAGS.includes(keys[0]!)) out.add(keys[0]!);
  }
  return out;
}

describe('JSON Schemas (spec/*.schema.json)', () => {
  it('are valid draft 2020-12 schemas that compile in strict mode', () => {
    for (const n of NAMES) {
      expect(schemaDocs[n].$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(ajv.validateSchema(schemaDocs[n])).toBe(true);
    }
  });

  it('node and edge share the same typed-value definitions', () => {
    expect((schemaDocs.edge.$defs as object)).toEqual(schemaDocs.node.$defs);
    // The base64 rule is the same in all three record schemas.
    expect((schemaDocs.point.$defs as Record<string, unknown>).f32).toEqual((schemaDocs.node.$defs as Record<string, unknown>).f32);
  });

  it('accept every entry of a synthetic archive, and memarc reads that archive', async () => {
    const source = syntheticSource({ count: 400, dim: 8, nodes: 150, edgesPerNode: 2, batchSize: 64 });
    const datasets = (await source.open()).map((d) => ({ ...d.descriptor, source: d.descriptor.source as JsonObject }));
    const { bytes, writer } = await writeArchive(datasets, (w) => sectionsOf(source, w), { shardMaxRecords: 100 });
    const seen = await checkArchive(bytes);
    expect(seen.names[0]).toBe('header.json');
    expect(seen.names.slice(-2)).toEqual(['CHECKSUMS.sha256', 'trailer.json']);
    expect(seen.linesByKind.point).toHaveLength(400);
    expect(seen.linesByKind.node).toHaveLength(150);
    expect(seen.linesByKind.edge).toHaveLength(writer.trailer!.datasets[1]!.records.edge!);
    // The synthetic store has ids above 2^53 (i % 97 === 3): they are exact digits in the text.
    expect(seen.linesByKind.point.some((l) => l.startsWith(`{"id":${(1n << 60n) + 3n},`))).toBe(true);
  });

  it('accept hand-made records covering every vector kind and typed value', async () => {
    const datasets: DatasetInput[] = [
      { name: 'hand points', kind: 'qdrant.collection', fingerprint: { params: { vectors: {} } }, source: { type: 'test' } },
      { name: 'hand graph', kind: 'falkordb.graph', fingerprint: { indexes: [] }, source: { type: 'test' } },
    ];
    const { bytes } = await writeArchive(datasets, [
      { dataset: 1, kind: 'point', batches: [handPoints] },
      { dataset: 2, kind: 'node', batches: [handNodes] },
      { dataset: 2, kind: 'edge', batches: [handEdges] },
    ], { shardMaxRecords: 2 });
    const seen = await checkArchive(bytes);
    expect(seen.names).toContain('data/0001-hand_points/point-000003.ndjson.gz');

    const vectorKinds = new Set(seen.linesByKind.point.flatMap((l) => Object.values((JSON.parse(l) as PointRecord).vectors).map((v) => Object.keys(v)[0])));
    expect([...vectorKinds].sort()).toEqual(['dense', 'multi', 'sparse']);
    const tags = new Set<string>();
    for (const l of [...seen.linesByKind.node, ...seen.linesByKind.edge]) tagsIn(Object.values((JSON.parse(l) as NodeRecord).props), tags);
    expect([...tags].sort()).toEqual([...TAGS].sort());

    // Exactness as the spec states it: u64 and int64 extremes are plain digits, special doubles are strings.
    const text = seen.linesByKind.point.join('\n') + seen.linesByKind.node.join('\n');
    expect(text).toContain('{"id":18446744073709551615,');
    expect(text).toContain('"i64min":-9223372036854775808');
    expect(text).toContain('"nz":{"double":"-0"}');
    expect(text).toContain('"dBig":{"double":100000000000000000000}');
    expect(parseJson(seen.linesByKind.point[1]!)).toMatchObject({ id: U64_MAX });
  });

  it('accept an archive with an empty dataset (no shards)', async () => {
    const { bytes, writer } = await writeArchive([{ name: 'empty', kind: 'qdrant.collection', fingerprint: {}, source: { type: 'test' } }], [{ dataset: 1, kind: 'point', batches: [] }]);
    const seen = await checkArchive(bytes);
    expect(seen.names).toEqual(['header.json', 'CHECKSUMS.sha256', 'trailer.json']);
    expect(writer.trailer!.datasets[0]!.digest).toBe('0'.repeat(64));
  });
});

describe('schemas and recordProblem agree', () => {
  const invalid: Array<[RecordKind, string, string]> = [
    ['point', 'negative id', '{"id":-1,"vectors":{},"payload":null}'],
    ['point', 'fractional id', '{"id":1.5,"vectors":{},"payload":null}'],
    ['point', 'id string that is not a UUID', '{"id":"memory-1","vectors":{},"payload":null}'],
    ['point', 'a UUID without hyphens', '{"id":"c0ffee00000040008000000000000002","vectors":{},"payload":null}'],
    ['point', 'UUID with a stray character', '{"id":"c0ffee00-0000-4000-8000-00000000000g","vectors":{},"payload":null}'],
    ['point', 'id above 2^64 by far', '{"id":1e30,"vectors":{},"payload":null}'],
    ['point', 'missing id', '{"vectors":{},"payload":null}'],
    ['point', 'vectors as an array', '{"id":1,"vectors":[],"payload":null}'],
    ['point', 'vector with two kinds', '{"id":1,"vectors":{"a":{"dense":"AAAAAA==","multi":["AAAAAA=="]}},"payload":null}'],
    ['point', 'vector of an unknown kind', '{"id":1,"vectors":{"a":{"dense16":"AAAA"}},"payload":null}'],
    ['point', 'vector with no kind', '{"id":1,"vectors":{"a":{}},"payload":null}'],
    ['point', 'dense of 3 bytes', '{"id":1,"vectors":{"a":{"dense":"AAAA"}},"payload":null}'],
    ['point', 'dense in base64url', '{"id":1,"vectors":{"a":{"dense":"AA-_AA=="}},"payload":null}'],
    ['point', 'dense without padding', '{"id":1,"vectors":{"a":{"dense":"AAAAAA"}},"payload":null}'],
    ['point', 'dense as JSON numbers', '{"id":1,"vectors":{"a":{"dense":[0.5]}},"payload":null}'],
    ['point', 'sparse index above u32', '{"id":1,"vectors":{"s":{"sparse":{"indices":[4294967296],"values":"AAAAAA=="}}},"payload":null}'],
    ['point', 'negative sparse index', '{"id":1,"vectors":{"s":{"sparse":{"indices":[-1],"values":"AAAAAA=="}}},"payload":null}'],
    ['point', 'sparse without values', '{"id":1,"vectors":{"s":{"sparse":{"indices":[1]}}},"payload":null}'],
    ['point', 'empty multi', '{"id":1,"vectors":{"m":{"multi":[]}},"payload":null}'],
    ['point', 'payload string', '{"id":1,"vectors":{},"payload":"x"}'],
    ['point', 'payload array', '{"id":1,"vectors":{},"payload":[1]}'],
    ['point', 'missing payload', '{"id":1,"vectors":{}}'],
    ['node', 'fractional key', '{"key":1.5,"labels":[],"props":{}}'],
    ['node', 'null key', '{"key":null,"labels":[],"props":{}}'],
    ['node', 'boolean key', '{"key":true,"labels":[],"props":{}}'],
    ['node', 'empty label', '{"key":1,"labels":[""],"props":{}}'],
    ['node', 'labels as a string', '{"key":1,"labels":"Person","props":{}}'],
    ['node', 'missing props', '{"key":1,"labels":[]}'],
    ['node', 'plain fractional number', '{"key":1,"labels":[],"props":{"w":0.5}}'],
    ['node', 'null property', '{"key":1,"labels":[],"props":{"x":null}}'],
    ['node', 'map property (unknown tag)', '{"key":1,"labels":[],"props":{"x":{"a":1}}}'],
    ['node', 'tagged value with two keys', '{"key":1,"labels":[],"props":{"x":{"double":1,"date":2}}}'],
    ['node', 'empty object property', '{"key":1,"labels":[],"props":{"x":{}}}'],
    ['node', 'double as a lowercase nan', '{"key":1,"labels":[],"props":{"x":{"double":"nan"}}}'],
    ['node', 'double as a boolean', '{"key":1,"labels":[],"props":{"x":{"double":true}}}'],
    ['node', 'fractional temporal', '{"key":1,"labels":[],"props":{"x":{"date":1.5}}}'],
    ['node', 'temporal as a string', '{"key":1,"labels":[],"props":{"x":{"datetime":"2026-01-01T00:00:00Z"}}}'],
    ['node', 'point without longitude', '{"key":1,"labels":[],"props":{"x":{"point":{"latitude":1}}}}'],
    ['node', 'vecf32 of 2 bytes', '{"key":1,"labels":[],"props":{"x":{"vecf32":"AAA="}}}'],
    ['node', 'integer beyond int64 by far', '{"key":1,"labels":[],"props":{"x":18446744073709551616}}'],
    ['node', 'null inside an array', '{"key":1,"labels":[],"props":{"x":[1,null]}}'],
    ['node', 'fraction inside an array', '{"key":1,"labels":[],"props":{"x":[[0.5]]}}'],
    ['edge', 'empty type', '{"type":"","src":1,"dst":2,"props":{}}'],
    ['edge', 'missing src', '{"type":"T","dst":2,"props":{}}'],
    ['edge', 'fractional dst', '{"type":"T","src":1,"dst":2.5,"props":{}}'],
    ['edge', 'props as an array', '{"type":"T","src":1,"dst":2,"props":[]}'],
    ['edge', 'plain double property', '{"type":"T","src":1,"dst":2,"props":{"w":1e-3}}'],
  ];
  it.each(invalid)('%s: %s is refused by both', (kind, _what, line) => {
    expect(schemaProblem(kind, line)).not.toBeNull();
    expect(codeProblem(kind, line)).not.toBeNull();
  });

  const deepArray = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
  const valid: Array<[RecordKind, string, string]> = [
    ['point', 'id 0, no vectors, null payload', '{"id":0,"vectors":{},"payload":null}'],
    ['point', 'the largest u64 id', '{"id":18446744073709551615,"vectors":{},"payload":{}}'],
    ['point', 'an uppercase UUID', '{"id":"C0FFEE00-0000-4000-8000-000000000002","vectors":{},"payload":null}'],
    ['point', 'the unnamed vector', '{"id":1,"vectors":{"":{"dense":"AAAAPwAAgL4="}},"payload":null}'],
    ['point', 'an empty sparse vector', '{"id":1,"vectors":{"s":{"sparse":{"indices":[],"values":""}}},"payload":null}'],
    ['point', 'a member memarc does not know', '{"id":1,"vectors":{},"payload":null,"future":true}'],
    ['point', 'payload numbers of every form', '{"id":1,"vectors":{},"payload":{"a":1.5,"b":-0.0,"c":1e300,"d":123456789012345678901234567890}}'],
    ['node', 'no labels, no props', '{"key":"","labels":[],"props":{}}'],
    ['node', 'int64 extremes', '{"key":-5,"labels":["L"],"props":{"a":-9223372036854775808,"b":9223372036854775807}}'],
    ['node', 'integral and big doubles', '{"key":1,"labels":[],"props":{"a":{"double":2},"b":{"double":100000000000000000000},"c":{"double":1e-300}}}'],
    ['node', 'a temporal above 2^53', '{"key":1,"labels":[],"props":{"t":{"duration":1152921504606846976}}}'],
    ['node', 'arrays nested 64 deep', `{"key":1,"labels":[],"props":{"x":${deepArray(64)}}}`],
    ['edge', 'a self-loop with a big key', '{"type":"T","src":4611686018427387904,"dst":4611686018427387904,"props":{}}'],
  ];
  it.each(valid)('%s: %s is accepted by both', (kind, _what, line) => {
    expect(schemaProblem(kind, line)).toBeNull();
    expect(codeProblem(kind, line)).toBeNull();
  });

  it('nesting deeper than 64 is refused by the code; the schema cannot count depth (spec: readers check it)', () => {
    const line = `{"key":1,"labels":[],"props":{"x":${deepArray(65)}}}`;
    expect(codeProblem('node', line)).toMatch(/deeper than 64/);
    expect(schemaProblem('node', line)).toBeNull();
  });

  it('exact 64-bit bounds are checked by the code; a double-based schema validator cannot see them (spec: "Exactness rules")', () => {
    const justAbove = ['{"id":18446744073709551616,"vectors":{},"payload":null}', '{"key":1,"labels":[],"props":{"x":9223372036854775808}}'];
    expect(codeProblem('point', justAbove[0]!)).toMatch(/outside the unsigned 64-bit range/);
    expect(codeProblem('node', justAbove[1]!)).toMatch(/outside the signed 64-bit range/);
    // Both numbers round to the bound itself as doubles, so Ajv accepts them.
    expect(schemaProblem('point', justAbove[0]!)).toBeNull();
    expect(schemaProblem('node', justAbove[1]!)).toBeNull();
  });
});

describe('header and trailer schemas agree with validateHeader and validateTrailer', () => {
  const datasets: DatasetInput[] = [
    { name: 'memories', kind: 'qdrant.collection', fingerprint: { params: { vectors: { size: 2, distance: 'Cosine' } } }, source: { type: 'qdrant', url: 'http://localhost:6333' } },
    { name: 'memory_graph', kind: 'falkordb.graph', fingerprint: { indexes: [] }, source: { type: 'falkordb' } },
  ];
  const sections: Section[] = [
    { dataset: 1, kind: 'point', batches: [[{ id: 1, vectors: { '': { dense: encodeF32([1, 0]) } }, payload: null }]] },
    { dataset: 2, kind: 'node', batches: [[{ key: 1, labels: [], props: {} }]] },
  ];
  const base = (async () => {
    const { writer } = await writeArchive(datasets, sections);
    return { header: JSON.stringify(writer.header), trailer: JSON.stringify(writer.trailer) };
  })();

  type Mutation = [string, (doc: any) => void, string];
  const headerCases: Mutation[] = [
    ['a newer major version', (h) => (h.formatVersion.major = 3), 'UNSUPPORTED_VERSION'],
    ['another format', (h) => (h.format = 'tar'), 'MALFORMED_ARCHIVE'],
    ['an unknown vector encoding', (h) => (h.encoding.vectors = 'f16le-base64'), 'UNSUPPORTED_VERSION'],
    ['an unknown compression', (h) => (h.encoding.compression = 'zstd'), 'UNSUPPORTED_VERSION'],
    ['a time that is not a time', (h) => (h.createdAt = 'yesterday'), 'MALFORMED_ARCHIVE'],
    ['no producer', (h) => delete h.producer, 'MALFORMED_ARCHIVE'],
    ['no shard limits', (h) => delete h.shardLimits, 'MALFORMED_ARCHIVE'],
    ['an unknown dataset kind', (h) => (h.datasets[0].kind = 'chroma.collection'), 'MALFORMED_ARCHIVE'],
    ['wrong record kinds', (h) => (h.datasets[1].recordKinds = ['edge', 'node']), 'MALFORMED_ARCHIVE'],
    ['a dir outside data/', (h) => (h.datasets[0].dir = '../0001-memories'), 'MALFORMED_ARCHIVE'],
    ['an empty dataset name', (h) => (h.datasets[0].name = ''), 'MALFORMED_ARCHIVE'],
    ['an uppercase fingerprint hash', (h) => (h.datasets[0].fingerprintSha256 = h.datasets[0].fingerprintSha256.toUpperCase()), 'MALFORMED_ARCHIVE'],
    ['a fingerprint that is an array', (h) => (h.datasets[0].fingerprint = []), 'MALFORMED_ARCHIVE'],
    ['no source', (h) => delete h.datasets[0].source, 'MALFORMED_ARCHIVE'],
  ];
  it.each(headerCases)('header with %s is refused by both', async (_what, mutate, code) => {
    const h = JSON.parse((await base).header);
    mutate(h);
    expect(validators.header(h)).toBe(false);
    expect(() => validateHeader(h)).toThrow(expect.objectContaining({ code }));
  });

  const trailerCases: Mutation[] = [
    ['a newer major version', (t) => (t.formatVersion.major = 3), 'UNSUPPORTED_VERSION'],
    ['complete: false', (t) => (t.complete = false), 'MALFORMED_ARCHIVE'],
    ['an uppercase shard hash', (t) => (t.shards[0].sha256 = t.shards[0].sha256.toUpperCase()), 'MALFORMED_ARCHIVE'],
    ['a negative record count', (t) => (t.shards[0].records = -1), 'MALFORMED_ARCHIVE'],
    ['a fractional size', (t) => (t.header.size = 10.5), 'MALFORMED_ARCHIVE'],
    ['no checksums sum', (t) => delete t.checksums, 'MALFORMED_ARCHIVE'],
    ['a short digest', (t) => (t.datasets[0].digest = 'abc'), 'MALFORMED_ARCHIVE'],
    ['a fractional kind count', (t) => (t.datasets[1].records.node = 0.5), 'MALFORMED_ARCHIVE'],
    ['no totals', (t) => delete t.totals, 'MALFORMED_ARCHIVE'],
  ];
  it.each(trailerCases)('trailer with %s is refused by both', async (_what, mutate, code) => {
    const t = JSON.parse((await base).trailer);
    mutate(t);
    expect(validators.trailer(t)).toBe(false);
    expect(() => validateTrailer(t)).toThrow(expect.objectContaining({ code }));
  });

  it('unknown members are accepted by both (a newer minor version may add them)', async () => {
    const h = JSON.parse((await base).header);
    const t = JSON.parse((await base).trailer);
    h.formatVersion.minor = 7;
    h.compressionLevel = 9;
    h.datasets[0].rowEstimate = 12;
    t.formatVersion.minor = 7;
    t.signature = null;
    t.shards[0].compressedWith = 'zlib';
    expect(validators.header(h)).toBe(true);
    expect(validators.trailer(t)).toBe(true);
    expect(() => validateHeader(h)).not.toThrow();
    expect(() => validateTrailer(t)).not.toThrow();
  });

  it('an unknown major version is refused before any other field is looked at', async () => {
    const h = JSON.parse((await base).header);
    h.formatVersion = { major: 3, minor: 0 };
    h.encoding = 'anything goes in 3.0';
    let err: unknown;
    try {
      validateHeader(h);
    } catch (e) {
      err = e;
    }
    expect(isMemarcError(err, 'UNSUPPORTED_VERSION')).toBe(true);
    expect((err as Error).message).toMatch(/format version 3\.0 is not supported/);
  });
});

describe('the examples in spec/FORMAT.md', () => {
  const doc = readFileSync(path.join(SPEC, 'FORMAT.md'), 'utf8');
  const examples = [...doc.matchAll(/<!-- schema: (\w+) -->\n```json\n([\s\S]*?)```/g)].map((m) => ({ name: m[1] as SchemaName, text: m[2]! }));

  it('give at least one example for every schema', () => {
    expect(new Set(examples.map((e) => e.name))).toEqual(new Set(NAMES));
  });

  it.each(examples.map((e, i) => [i + 1, e.name, e] as const))('example %i (%s) is valid', (_i, _name, e) => {
    if (e.name === 'header' || e.name === 'header2' || e.name === 'trailer') {
      expect(schemaProblem(e.name, e.text)).toBeNull();
      const check = e.name === 'trailer' ? validateTrailer : validateHeader;
      expect(() => check(parseJson(e.text))).not.toThrow();
      return;
    }
    const lines = e.text.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(schemaProblem(e.name, line), line).toBeNull();
      expect(codeProblem(e.name, line), line).toBeNull();
    }
  });
});

describe('format 2: header2.schema.json and row.schema.json', () => {
  it('accept the header of an archive written by the writer (format 2) and of the v2 golden archive, and its rows', async () => {
    const source = syntheticSource({ count: 20, dim: 4, nodes: 10, edgesPerNode: 1, batchSize: 8 });
    const datasets = (await source.open()).map((d) => ({ ...d.descriptor, source: d.descriptor.source as JsonObject }));
    const writer = new ArchiveWriter({ datasets });
    expect(writer.header.formatVersion.major).toBe(2);
    expect(schemaProblem('header2', JSON.stringify(writer.header))).toBeNull();
    const golden = await tarEntries(readFileSync(path.join(ROOT, 'fixtures/v2/golden.memarc')));
    expect(schemaProblem('header2', golden.find((e) => e.name === 'header.json')!.body.toString())).toBeNull();
    expect(schemaProblem('trailer', golden.find((e) => e.name === 'trailer.json')!.body.toString())).toBeNull();
    const rows = golden.filter((e) => e.name.includes('/row-')).flatMap((e) => gunzipSync(e.body).toString().split('\n').filter((l) => l !== ''));
    expect(rows.length).toBeGreaterThan(0);
    for (const line of rows) {
      expect(schemaProblem('row', line), line).toBeNull();
      expect(codeProblem('row', line), line).toBeNull();
    }
  });

  it('refuse what the code refuses: an unknown family, a row cell of an unknown tag, a decimal that is not one', () => {
    const h = { format: 'memarc', formatVersion: { major: 2, minor: 0 }, createdAt: '2026-03-01T12:00:00.123Z', producer: { name: 'x', version: '1' }, encoding: { records: 'ndjson', compression: 'gzip', vectors: 'f32le-base64' }, shardLimits: { maxRawBytes: 1, maxRecords: 1 }, datasets: [{ index: 1, dir: 'data/0001-t', name: 't', family: 'timeseries', recordKinds: ['row'], schema: {}, schemaSha256: '0'.repeat(64), source: {} }] };
    expect(schemaProblem('header2', JSON.stringify(h))).not.toBeNull();
    expect(() => validateHeader(h)).toThrow(/not a family this reader knows/);
    for (const bad of ['{"cells":{"a":{"money":"1"}}}', '{"cells":{"a":{"decimal":"1e5"}}}', '{"cells":{"a":{"timestamptz":"2026-01-01T00:00:00"}}}', '{"cells":[]}']) {
      expect(schemaProblem('row', bad), bad).not.toBeNull();
      expect(codeProblem('row', bad), bad).not.toBeNull();
    }
  });
});
