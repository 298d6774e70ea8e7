/**
 * The format-2 golden archive and the fixtures derived from it (fixtures/make-v2.ts): it verifies
 * to its checked-in shard texts and digests; the negative fixtures fail with their documented code;
 * an archive whose native store this build has no adapter for still verifies and inspects, and its
 * import names the missing adapter. Also the version-2 number rule of the digest (spec 8.1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fixturePathsV2, V2_COMPAT, V2_NEGATIVE, type ExpectedV2 } from '../../fixtures/make-v2.ts';
import { unpack } from '../../fixtures/forge.ts';
import { canonicalJson, canonicalNumberForm } from '../../src/format/canonical.ts';
import { DatasetDigest, pointHash } from '../../src/format/digest.ts';
import { rawNumber } from '../../src/format/json.ts';
import { readArchive } from '../../src/format/reader.ts';
import type { Json, PointRecord } from '../../src/format/records.ts';
import { addPointId, KeySet } from '../../src/format/key-set.ts';
import { ROOT, runCli } from '../helpers/run-cli.ts';

const P = fixturePathsV2(path.join(ROOT, 'fixtures'));
const golden = readFileSync(P.golden);
const expected = JSON.parse(readFileSync(P.expected, 'utf8')) as ExpectedV2;

async function read(bytes: Buffer) {
  const events = [];
  for await (const ev of readArchive(Readable.from([bytes]))) events.push(ev);
  return events;
}

describe('golden archive v2', () => {
  it('is format 2.0 and holds exactly the checked-in shard texts', async () => {
    expect(expected.formatVersion).toEqual({ major: 2, minor: 0 });
    const shards = Object.fromEntries((await unpack(golden)).filter((e) => e.header.name.startsWith('data/')).map((e) => [e.header.name, gunzipSync(e.body).toString()]));
    expect(shards).toEqual(expected.shards);
    // The payload forms that format 2 digests are in the archive as the store printed them.
    expect(Object.values(shards).join('')).toContain('"score":1.0,"neg":-0.0');
  });

  it('verifies, with the expected families, stores and digests', async () => {
    const events = await read(golden);
    const header = events.find((e) => e.type === 'header')!;
    const trailer = events.find((e) => e.type === 'trailer')!;
    if (header.type !== 'header' || trailer.type !== 'trailer') throw new Error('no header or trailer');
    expect(header.header.datasets.map((d) => [d.family, d.native?.store ?? null, d.schemaSha256])).toEqual(expected.datasets.map((d) => [d.family, d.store, d.schemaSha256]));
    for (const d of expected.datasets) expect(trailer.digests?.get(d.index), d.name).toBe(d.digest);
  });

  it('the CLI verifies and inspects it', async () => {
    const v = await runCli(['--json', 'verify', P.golden]);
    expect(v.code, v.stderr).toBe(0);
    const i = await runCli(['--json', 'inspect', P.golden]);
    expect(i.code, i.stderr).toBe(0);
    const kinds = (JSON.parse(i.stdout.toString()) as { datasets: Array<{ kind: string; family: string; store: string | null }> }).datasets;
    expect(kinds.map((d) => d.kind)).toEqual(['vectors/qdrant', 'graph/falkordb', 'table']);
  });

  it.each(V2_NEGATIVE.map((f) => [f.file, f.code!]))('negative %s: verify fails with %s', async (file, code) => {
    const r = await runCli(['--json', 'verify', path.join(P.negativeDir, file)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout.toString()).toContain(code);
  });

  it.each(V2_COMPAT.map((f) => [f.file]))('compat %s: verify and inspect succeed; import names the missing adapter', async (file) => {
    const f = path.join(P.compatDir, file);
    expect((await runCli(['verify', f])).code).toBe(0);
    const i = await runCli(['--json', 'inspect', f]);
    expect(i.code, i.stderr).toBe(0);
    expect((JSON.parse(i.stdout.toString()) as { datasets: Array<{ store: string }> }).datasets[0]!.store).toBe('pgvector');
    const imp = await runCli(['import', f, '--qdrant', 'http://127.0.0.1:9']);
    expect(imp.code).toBe(2);
    expect(imp.stderr).toContain('needs the pgvector adapter, which is not in this build');
    // Qdrant converts vectors datasets of other stores, but only when --collections names the dataset.
    expect(imp.stderr).toContain('qdrant (--qdrant with --collections multimodal), postgres (--postgres with --tables multimodal) can restore it as a conversion through the neutral schema');
  });
});

describe('the version-2 number rule (spec 8.1)', () => {
  it.each([
    ['1', '1'], ['-0', '0'], ['007', '7'], ['12345678901234567891', '12345678901234567891'],
    ['1.0', '1.0'], ['1.00', '1.0'], ['1e0', '1.0'], ['1E+0', '1.0'], ['-0.0', '-0.0'], ['-0e5', '-0.0'],
    ['1.5', '1.5'], ['1.50', '1.5'], ['1e2', '100.0'], ['1e21', '1e+21'], ['0.0000001', '1e-7'], ['123456789012345678901234567890.0', '1.2345678901234568e+29'],
  ])('%s canonicalises as %s', (lexeme, canonical) => {
    expect(canonicalNumberForm(lexeme)).toBe(canonical);
  });

  it('keeps forms apart in the digest of format 2, and not in format 1', () => {
    const p = (score: Json): PointRecord => ({ id: 1, vectors: {}, payload: { score } as never });
    expect(pointHash(p(rawNumber('1.0') as never), 2).equals(pointHash(p(1), 2))).toBe(false);
    expect(pointHash(p(rawNumber('-0.0') as never), 2).equals(pointHash(p(0), 2))).toBe(false);
    expect(pointHash(p(rawNumber('1.00') as never), 2).equals(pointHash(p(rawNumber('1e0') as never), 2))).toBe(true);
    expect(pointHash(p(rawNumber('1.0') as never), 1).equals(pointHash(p(1), 1))).toBe(true);
    expect(canonicalJson({ a: rawNumber('1.0') as never, b: 1 }, 'form')).toBe('{"a":1.0,"b":1}');
  });

  it('a plain number prints alike under both rules', () => {
    for (const v of [0, -0, 1, 1.5, 1e21, 1e-7, 2 ** 60, 12345678901234567891n] as Json[]) expect(canonicalJson(v, 'form')).toBe(canonicalJson(v, 'value'));
  });
});

describe('duplicate keys', () => {
  it('the key set tells every id apart exactly: integers by value, UUIDs without regard to case', () => {
    const s = new KeySet();
    for (let i = 0; i < 20_000; i++) expect(addPointId(s, i)).toBe(true);
    expect(addPointId(s, 5n)).toBe(false);
    expect(addPointId(s, 2n ** 64n - 1n)).toBe(true);
    expect(addPointId(s, 2n ** 64n - 1n)).toBe(false);
    expect(addPointId(s, 2n ** 32n)).toBe(true); // not 0
    expect(addPointId(s, 'C0FFEE00-0000-4000-8000-000000000002')).toBe(true);
    expect(addPointId(s, 'c0ffee00-0000-4000-8000-000000000002')).toBe(false);
    expect(addPointId(s, '00000000-0000-0000-0000-000000000005')).toBe(true); // a UUID is not the integer 5
    expect(s.count).toBe(20_004);
  });

  it('a digest with uniqueKeys refuses a repeated point id; without, it counts it twice', () => {
    const p: PointRecord = { id: 7, vectors: {}, payload: null };
    const strict = new DatasetDigest({ uniqueKeys: true });
    strict.add('point', p);
    expect(() => strict.add('point', { ...p, id: 7n })).toThrow(/point id 7 is used by an earlier point/);
    const loose = new DatasetDigest();
    loose.add('point', p);
    loose.add('point', p);
    expect(loose.counts.point).toBe(2);
  });

  it('holds a million integer ids in typed arrays, at most 32 bytes each, and no object per id', () => {
    const s = new KeySet();
    const heap = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) addPointId(s, i * 7);
    expect(s.count).toBe(1_000_000);
    // Segments between 53 % and 80 % full, 17 bytes a slot (spec section 13).
    expect(s.bytes / s.count).toBeLessThanOrEqual(32);
    expect(s.bytes / s.count).toBeGreaterThanOrEqual(17 / 0.8);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(8 * 1024 * 1024);
  });
});
