/**
 * Hostile input the reader must survive with a typed error (issue 9): values nested thousands of
 * levels deep, limits on lines, values and header/trailer size, the spec's duplicate rules, and
 * unknown entries reported rather than skipped in silence. The negative fixtures cover the same
 * archives end to end (negative.test.ts, cli-verify.test.ts); these tests pin each piece.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemarcError } from '../../src/errors.ts';
import { canonicalHasher, canonicalJson } from '../../src/format/canonical.ts';
import { validateHeader } from '../../src/format/header.ts';
import { NestingError } from '../../src/format/nesting.ts';
import { DEFAULT_LIMITS } from '../../src/format/reader.ts';
import type { EdgeRecord, Json, NodeRecord } from '../../src/format/records.ts';
import { verifyArchive, inspectArchive } from '../../src/core/verify.ts';
import { deepArray, deepObject, NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { runCli } from '../helpers/run-cli.ts';
import { FIXTURES, golden, NEGATIVE_PATH, readAll, writeArchive } from './support.ts';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const UNKNOWN = path.join(FIXTURES, 'v1/compat/unknown-entries.memarc');

function nested(depth: number): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('values nested deeper than any walker may go', () => {
  it('validateHeader refuses a fingerprint nested 5,000 deep, with its correct fingerprintSha256, as MALFORMED_ARCHIVE', () => {
    const doc = JSON.parse(readFileSync(path.join(FIXTURES, 'v1/golden.memarc')).subarray(512, 512 + 2510).toString()) as { datasets: Array<Record<string, unknown>> };
    const text = deepObject(5_000);
    doc.datasets[0]!.fingerprint = JSON.parse(text) as Json;
    doc.datasets[0]!.fingerprintSha256 = createHash('sha256').update(text).digest('hex');
    let err: unknown;
    try {
      validateHeader(doc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('MALFORMED_ARCHIVE');
    expect((err as MemarcError).message).toMatch(/nested more than 128 levels/);
  });

  it('validateHeader accepts a fingerprint nested 100 deep (within the limit)', () => {
    const doc = JSON.parse(golden().subarray(512, 512 + 2510).toString()) as { datasets: Array<Record<string, unknown>> };
    const text = deepObject(100);
    doc.datasets[0]!.fingerprint = JSON.parse(text) as Json;
    doc.datasets[0]!.fingerprintSha256 = createHash('sha256').update(text).digest('hex');
    expect(() => validateHeader(doc)).not.toThrow();
  });

  it.each([5_000, 100_000])('canonical JSON of a value nested %i deep is a NestingError, not a stack overflow', (depth) => {
    const v = nested(depth);
    expect(() => canonicalJson(v)).toThrow(NestingError);
    expect(() => canonicalHasher().text('prefix').value(v)).toThrow(NestingError);
    // The hasher is shared: the next record's hash starts afresh after the interrupted one.
    expect(canonicalHasher().text('p\n').value({ a: [1, 'x'] }).digest().toString('hex')).toBe(createHash('sha256').update('p\n{"a":[1,"x"]}').digest('hex'));
  });

  it('hashing in pieces equals hashing the canonical text, long strings and many values included', () => {
    const longish = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: 30_000, max: 70_000 }).map((n) => 'é'.repeat(n)));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, longish, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 40 }), fc.dictionary(fc.string({ maxLength: 4 }), tie('v'), { maxKeys: 6 })),
    })).v as fc.Arbitrary<Json>;
    fc.assert(
      fc.property(value, (v) => {
        // A prefix as the record hashes have, then the value: one call when the text fits the
        // hasher's buffer, spilled into a Hash when it does not (the long strings).
        expect(canonicalHasher().text('memarc.v1.node\n').value(v).digest().toString('hex')).toBe(createHash('sha256').update('memarc.v1.node\n' + canonicalJson(v)).digest('hex'));
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['deep-header-member.memarc', 'header.json'],
    ['deep-trailer-member.memarc', 'trailer.json'],
    ['deep-fingerprint.memarc', 'header.json'],
  ])('inspect --json on %s: exit 20 with a JSON error document, no internal error', async (file, entry) => {
    const r = await runCli(['--json', 'inspect', path.join(NEGATIVE_PATH, file)]);
    expect(r.code, r.stderr).toBe(20);
    const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; error: { code: string; entry: string } };
    expect(doc).toMatchObject({ ok: false, error: { code: 'MALFORMED_ARCHIVE', entry } });
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toContain('internal error');
  });

  it('every deep fixture is refused, never read', () => {
    const deep = NEGATIVE_FIXTURES.filter((f) => f.file.startsWith('deep-'));
    expect(deep.map((f) => f.code).sort()).toEqual(['MALFORMED_ARCHIVE', 'MALFORMED_ARCHIVE', 'MALFORMED_ARCHIVE', 'MALFORMED_RECORD', 'MALFORMED_RECORD']);
    expect(deepArray(3)).toBe('[[[]]]');
  });
});

describe('reader limits', () => {
  it.each([
    ['maxLineBytes', { maxLineBytes: 100 }, 'LIMIT_EXCEEDED', /line 1: the line is longer than the limit of 100 bytes/],
    ['maxMetaValues', { maxMetaValues: 80 }, 'LIMIT_EXCEEDED', /header\.json holds more JSON values/],
    // The golden header holds 86 values by this count, its trailer 139: each fits 200 alone, not both.
    ['maxMetaValues, shared with the trailer', { maxMetaValues: 200 }, 'LIMIT_EXCEEDED', /trailer\.json holds more JSON values than the \d+ left/],
  ] as const)('a lowered %s refuses the golden archive with %s', async (_name, limits, code, message) => {
    const r = await readAll(golden(), limits);
    const err = r.error as MemarcError;
    expect(err.code, err.message).toBe(code);
    expect(err.message).toMatch(message);
    expect(r.trailer).toBeNull();
  });

  it('a line over maxLineValues is refused by its count, before it is parsed', async () => {
    // A point whose payload holds 200,000 numbers (a 400 KB line, over the size where lines are counted).
    const big = { id: 1, vectors: {}, payload: { a: new Array<number>(200_000).fill(0) } };
    const { archive } = await writeArchive([{ name: 'c', kind: 'qdrant.collection', fingerprint: {}, source: {} }], [{ dataset: 1, kind: 'point', batches: [[big]] }]);
    expect((await readAll(archive)).error).toBeNull();
    const r = await readAll(archive, { maxLineValues: 150_000 });
    expect((r.error as MemarcError).code).toBe('LIMIT_EXCEEDED');
    expect((r.error as MemarcError).context).toMatchObject({ line: 1, limit: 150_000 });
    expect(r.recordEvents).toEqual([]);
  });

  it('the writer refuses a record that readers would refuse with their default limits', async () => {
    const long = { id: 1, vectors: {}, payload: { a: 'x'.repeat(DEFAULT_LIMITS.maxLineBytes) } };
    const many = { id: 2, vectors: {}, payload: { a: new Array<number>(DEFAULT_LIMITS.maxLineValues + 10).fill(0) } };
    for (const rec of [long, many]) {
      const err = await writeArchive([{ name: 'c', kind: 'qdrant.collection', fingerprint: {}, source: {} }], [{ dataset: 1, kind: 'point', batches: [[rec]] }]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MemarcError);
      expect((err as MemarcError).code).toBe('LIMIT_EXCEEDED');
      expect((err as MemarcError).message).toContain('dataset "c": point record 1 of shard 1');
    }
  });
});

describe('graph node tables', () => {
  it('a graph followed by another graph and a collection: every digest agrees (each table is dropped when its dataset ends)', async () => {
    const graph = (name: string) => ({ name, kind: 'falkordb.graph' as const, fingerprint: {}, source: {} });
    const nodes: NodeRecord[] = [{ key: 1, labels: ['A'], props: {} }, { key: 2, labels: ['B'], props: { x: 'y' } }];
    const edges: EdgeRecord[] = [{ type: 'R', src: 1, dst: 2, props: {} }];
    const { archive, writer } = await writeArchive(
      [graph('g1'), graph('g2'), { name: 'c', kind: 'qdrant.collection', fingerprint: {}, source: {} }],
      [
        { dataset: 1, kind: 'node', batches: [nodes] },
        { dataset: 1, kind: 'edge', batches: [edges] },
        { dataset: 2, kind: 'node', batches: [nodes] },
        { dataset: 2, kind: 'edge', batches: [edges] },
        { dataset: 3, kind: 'point', batches: [[{ id: 1, vectors: {}, payload: null }]] },
      ],
    );
    const r = await readAll(archive);
    expect(r.error).toBeNull();
    expect([...r.digests!.values()]).toEqual(writer.trailer!.datasets.map((d) => d.digest));
    // Edges of the second graph resolve against its own nodes, not the first graph's.
    const bad = await writeArchive([graph('g1'), graph('g2')], [
      { dataset: 1, kind: 'node', batches: [nodes] },
      { dataset: 2, kind: 'node', batches: [[nodes[0]!]] },
      { dataset: 2, kind: 'edge', batches: [edges] },
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    expect((bad as MemarcError).code).toBe('MALFORMED_RECORD');
  });
});

describe('unknown entries are reported', () => {
  const skipped = [
    { entry: 'future/index.bin', size: 27 },
    { entry: 'data/0001-notes/extra.txt', size: 1 },
  ];

  it('in the trailer event and in the library summary of verify and inspect', async () => {
    const r = await readAll(readFileSync(UNKNOWN));
    expect(r.error).toBeNull();
    expect((await verifyArchive(Readable.from([readFileSync(UNKNOWN)]))).unknownEntries).toEqual(skipped);
    expect((await inspectArchive(Readable.from([readFileSync(UNKNOWN)]))).unknownEntries).toEqual(skipped);
    expect((await verifyArchive(Readable.from([golden()]))).unknownEntries).toEqual([]);
  });

  it('by inspect (text and --json) and verify --json', async () => {
    const text = (await runCli(['inspect', UNKNOWN])).stdout.toString();
    for (const s of skipped) expect(text).toContain(`${s.entry}  ${s.size} bytes`);
    expect(text).toMatch(/2 entries skipped/);
    const inspect = JSON.parse((await runCli(['--json', 'inspect', UNKNOWN])).stdout.toString()) as { unknownEntries: unknown };
    expect(inspect.unknownEntries).toEqual(skipped);
    const verify = await runCli(['--json', 'verify', UNKNOWN]);
    expect(verify.code).toBe(0);
    expect((JSON.parse(verify.stdout.toString()) as { unknownEntries: unknown }).unknownEntries).toEqual(skipped);
    const plain = (await runCli(['verify', UNKNOWN])).stdout.toString();
    expect(plain).toContain('future/index.bin');
    expect((await runCli(['inspect', path.join(FIXTURES, 'v1/golden.memarc')])).stdout.toString()).not.toContain('skipped');
  });
});
