/**
 * Every negative fixture gives its documented error, names the entry, and hands on no record of
 * the bad entry; an archive cut anywhere is reported as truncated or missing its trailer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MemarcError } from '../../src/errors.ts';
import { layout } from '../../fixtures/forge.ts';
import { readmeTable } from '../../fixtures/make.ts';
import { COMPAT_FIXTURES } from '../../fixtures/compat.ts';
import { NEGATIVE_FIXTURES, type NegativeFixture } from '../../fixtures/negatives.ts';
import { FIXTURES, golden, NEGATIVE_PATH, readAll, recordsFrom } from './support.ts';

const load = (f: NegativeFixture) => readFileSync(path.join(NEGATIVE_PATH, f.file));


describe('negative fixtures', () => {
  it.each(NEGATIVE_FIXTURES.map((f) => [f.file, f] as const))('%s', async (_file, f) => {
    const r = await readAll(load(f));
    expect(r.error).toBeInstanceOf(MemarcError);
    const err = r.error as MemarcError;
    expect(err.code, err.message).toBe(f.code);
    expect(err.exitCode).toBe(EXIT_CODES[f.code]);
    expect(r.trailer).toBeNull();
    if (f.entry === undefined) {
      expect(r.header).toBeNull(); // not an archive at all: nothing may come out of it
    } else {
      // Raw, or JSON-quoted where the name holds characters that need escaping.
      expect(err.message.includes(f.entry) || err.message.includes(JSON.stringify(f.entry)), err.message).toBe(true);
      expect(err.context.entry).toBe(f.entry);
    }
    if (f.line !== undefined) {
      expect(err.context.line).toBe(f.line);
      expect(err.message).toContain(`line ${f.line}`);
    }
    if (f.recordsBeforeError !== 'allowed') expect(f.entry === undefined ? r.recordEvents.length : recordsFrom(r, f.entry)).toBe(0);
    if (f.noRecordsFrom) expect(recordsFrom(r, f.noRecordsFrom)).toBe(0);
    expect(err.hint, 'every error says what to do').toBeTruthy();
  });


  it.each(NEGATIVE_FIXTURES.map((f) => [f.file, f] as const))('%s in one pass (checkShardFirst: false, as an import reads): the same error, after at most the records before its line', async (_file, f) => {
    const first = (await readAll(load(f))).error as MemarcError;
    const r = await readAll(load(f), { checkShardFirst: false });
    const err = r.error as MemarcError;
    expect(err).toBeInstanceOf(MemarcError);
    expect(err.code).toBe(first.code);
    expect(err.message).toBe(first.message);
    expect(err.context).toEqual(first.context);
    expect(r.trailer).toBeNull();
    if (f.entry === undefined) expect(r.recordEvents).toEqual([]);
    // Records of the bad entry come only from lines before the bad one.
    else if (f.line !== undefined) expect(recordsFrom(r, f.entry)).toBeLessThan(f.line);
    else if (f.recordsBeforeError !== 'allowed' && f.code !== 'COUNT_MISMATCH') expect(recordsFrom(r, f.entry)).toBe(0);
  });

  it('one pass hands on the same records, in the same batches, as checking each shard first', async () => {
    const compat = ['v1/compat', 'v2/compat'].flatMap((d) => readdirSync(path.join(FIXTURES, d)).filter((f) => f.endsWith('.memarc')).map((f) => path.join(FIXTURES, d, f)));
    const archives = [path.join(FIXTURES, 'v1/golden.memarc'), path.join(FIXTURES, 'v2/golden.memarc'), ...compat];
    expect(archives.length).toBeGreaterThan(2);
    for (const file of archives) {
      const archive = readFileSync(file);
      const twice = await readAll(archive);
      const once = await readAll(archive, { checkShardFirst: false });
      expect(once.error).toBe(twice.error);
      expect(once.recordEvents).toEqual(twice.recordEvents);
      expect(once.records).toEqual(twice.records);
      expect(once.digests).toEqual(twice.digests);
      expect(once.shards).toEqual(twice.shards);
    }
  });

  it('duplicate shard: the second copy hands on nothing', async () => {
    const f = NEGATIVE_FIXTURES.find((x) => x.code === 'DUPLICATE_SHARD')!;
    const r = await readAll(load(f));
    const first = recordsFrom(await readAll(golden()), f.entry!);
    expect(first).toBeGreaterThan(0);
    expect(recordsFrom(r, f.entry!)).toBe(first);
  });

  it.each(NEGATIVE_FIXTURES.map((f) => [f.file, f] as const))('%s without decoding (inspect): the same error, or accepted for a content fault', async (_file, f) => {
    const r = await readAll(load(f), { decode: false });
    expect(r.recordEvents).toEqual([]);
    if (f.contentOnly) {
      expect(r.error).toBeNull();
      expect(r.trailer).not.toBeNull();
    } else {
      expect((r.error as MemarcError)?.code).toBe(f.code);
      expect(r.trailer).toBeNull();
    }
  });

  it('the files on disk are what make.ts builds from the golden archive', async () => {
    const g = golden();
    for (const f of NEGATIVE_FIXTURES) expect((await f.build(g)).equals(load(f)), f.file).toBe(true);
    for (const f of COMPAT_FIXTURES) expect((await f.build(g)).equals(readFileSync(path.join(FIXTURES, 'v1/compat', f.file))), f.file).toBe(true);
  });

  it('README lists every fixture with its code and exit code', () => {
    const readme = readFileSync(path.join(FIXTURES, 'README.md'), 'utf8');
    expect(readme).toContain(readmeTable());
  });

  it.each([
    ['maxShardRawBytes', { maxShardRawBytes: 100 }, 'golden.memarc', /^data\//],
    ['maxShardBytes', { maxShardBytes: 100 }, 'golden.memarc', /^data\//],
    ['maxMetaBytes', { maxMetaBytes: 100 }, 'golden.memarc', /^header\.json$/],
    ['maxUnknownEntryBytes', { maxUnknownEntryBytes: 4 }, 'compat/unknown-entries.memarc', /^future\/index\.bin$/],
  ] as const)('a lowered %s refuses the first entry over it, before any of its records', async (_name, limits, file, entry) => {
    const r = await readAll(readFileSync(path.join(FIXTURES, 'v1', file)), limits);
    const err = r.error as MemarcError;
    expect(err.code, err.message).toBe('LIMIT_EXCEEDED');
    expect(err.context.entry).toMatch(entry);
    expect(err.message).toContain(err.context.entry!);
    expect(recordsFrom(r, err.context.entry!)).toBe(0);
    expect(r.trailer).toBeNull();
  });

  it('every fixture is small', () => {
    for (const f of NEGATIVE_FIXTURES) expect(load(f).length, f.file).toBeLessThan(64 * 1024);
  });
});

describe('an archive cut anywhere', () => {
  const g = golden();
  const { entries, endOfEntries } = layout(g);
  const trailer = entries.find((e) => e.name === 'trailer.json')!;
  /** Cuts at these offsets end the tar cleanly before the trailer. */
  const boundaries = new Set(entries.filter((e) => e.name !== 'header.json' && e.start <= trailer.start).map((e) => e.start));
  const shard = entries.find((e) => e.name.endsWith('node-000002.ndjson.gz'))!;
  const offsets = new Set<number>([0, 1, 100, 511]);
  for (let off = 512; off < g.length; off += 512) offsets.add(off);
  for (const e of [entries[0]!, shard, trailer]) {
    for (const d of [1, 7, 99, 257]) if (e.headerAt + 512 + d < e.end) offsets.add(e.headerAt + 512 + d);
    offsets.add(e.headerAt + 17); // inside the ustar header block
    if (e.start !== e.headerAt) offsets.add(e.start + 300); // inside the pax header
    offsets.add(e.bodyAt + e.size); // end of data, before the padding
  }
  offsets.add(endOfEntries + 1);
  offsets.add(g.length - 1);

  /** Cuts between a pax header and its entry: tar-stream ends cleanly there, the reader must still see the truncation. */
  const paxGaps = new Set(entries.filter((e) => e.start !== e.headerAt).map((e) => e.headerAt));

  for (const o of paxGaps) offsets.add(o);
  const cases = [...offsets].filter((o) => o < g.length).sort((a, b) => a - b);

  it(`gives TRUNCATED, or MISSING_TRAILER at an entry boundary, at ${cases.length} offsets`, async () => {
    expect(cases.length).toBeGreaterThan(48);
    for (const off of cases) {
      const r = await readAll(g.subarray(0, off));
      const err = r.error as MemarcError;
      expect(err, `cut at ${off}`).toBeInstanceOf(MemarcError);
      expect(r.trailer, `cut at ${off}`).toBeNull();
      const allowed = boundaries.has(off) ? ['MISSING_TRAILER'] : ['TRUNCATED'];
      expect(allowed, `cut at ${off}: ${err.code} ${err.message}`).toContain(err.code);
    }
  });

  it('gives TRUNCATED when cut between a pax header and its entry', async () => {
    // The tar ends inside an entry's headers; EXIT_CODES says that is TRUNCATED, although
    // tar-stream itself treats that end as clean.
    expect(paxGaps.size).toBeGreaterThan(0);
    for (const off of paxGaps) {
      const err = (await readAll(g.subarray(0, off))).error as MemarcError;
      expect(err.code, `cut at ${off}`).toBe('TRUNCATED');
    }
  });
});
