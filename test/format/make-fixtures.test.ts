/** fixtures/make.ts keeps the golden archive unless told otherwise, and rebuilds the rest from it. */
import { cp, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExpected } from '../../fixtures/expected.ts';
import { fixturePaths, makeFixtures } from '../../fixtures/make.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { FIXTURES } from './support.ts';

let root = '';
const quiet = () => {};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'memarc-fixtures-'));
  await cp(FIXTURES, root, { recursive: true });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('fixtures/make.ts', () => {
  it('keeps an existing golden archive and rebuilds every negative fixture and the README from it', async () => {
    const p = fixturePaths(root);
    const before = await readFile(p.golden);
    const mtime = (await stat(p.golden)).mtimeMs;
    await rm(p.negativeDir, { recursive: true });
    await makeFixtures({ root, log: quiet });
    expect((await readFile(p.golden)).equals(before)).toBe(true);
    expect((await stat(p.golden)).mtimeMs).toBe(mtime);
    expect((await readdir(p.negativeDir)).sort()).toEqual(NEGATIVE_FIXTURES.map((f) => f.file).sort());
    expect(await readFile(p.readme, 'utf8')).toBe(await readFile(fixturePaths(FIXTURES).readme, 'utf8'));
  });

  it('with forceGolden, writes a golden archive whose records and digests are the checked-in ones', async () => {
    const p = fixturePaths(root);
    await makeFixtures({ root, forceGolden: true, log: quiet });
    const fresh = parseExpected(await readFile(p.expected, 'utf8'));
    const kept = parseExpected(await readFile(fixturePaths(FIXTURES).expected, 'utf8'));
    expect(fresh.datasets).toStrictEqual(kept.datasets);
    expect(fresh.header.createdAt).toBe(kept.header.createdAt);
  });
});
