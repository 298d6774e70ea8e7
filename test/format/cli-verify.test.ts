/** `memarc verify` on the fixtures: exit codes, --json, and reading stdin. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.ts';
import { COMPAT_FIXTURES } from '../../fixtures/compat.ts';
import { parseExpected } from '../../fixtures/expected.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { runCli } from '../helpers/run-cli.ts';
import { FIXTURES, GOLDEN_PATH, NEGATIVE_PATH } from './support.ts';

const expected = parseExpected(readFileSync(path.join(FIXTURES, 'v1/golden.expected.json'), 'utf8'));
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('memarc verify', () => {
  it('the golden archive: exit 0 and every dataset digest printed', async () => {
    const r = await runCli(['verify', GOLDEN_PATH]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const d of expected.datasets) expect(r.stdout.toString()).toContain(d.digest);
  });

  it('the golden archive with --json: ok, and the expected digests', async () => {
    const r = await runCli(['verify', GOLDEN_PATH, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; datasets: Array<{ name: string; digest: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.datasets.map((d) => [d.name, d.digest])).toEqual(expected.datasets.map((d) => [d.name, d.digest]));
  });

  // One process per fixture (each start costs about a second): --json prints the document on
  // stdout and still writes the message and hint on stderr, so one run checks both.
  it.each(NEGATIVE_FIXTURES.map((f) => [f.file, f] as const))('%s: the documented exit code, --json error document, message and hint, no stack trace', async (_file, f) => {
    const r = await runCli(['--json', 'verify', path.join(NEGATIVE_PATH, f.file)]);
    expect(r.code, r.stderr).toBe(EXIT_CODES[f.code]);
    const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; error: { code: string; exitCode: number; entry?: string; line?: number; message: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe(f.code);
    expect(doc.error.exitCode).toBe(EXIT_CODES[f.code]);
    if (f.entry !== undefined) expect(doc.error.entry).toBe(f.entry);
    if (f.line !== undefined) expect(doc.error.line).toBe(f.line);
    expect(r.stderr).toContain(`error ${f.code}: ${doc.error.message}`);
    expect(r.stderr).toContain('hint:');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('without --json, stdout stays empty on failure and the exit code is the same', async () => {
    const f = NEGATIVE_FIXTURES.find((x) => x.file === 'bomb-lying.memarc')!;
    const r = await runCli(['verify', path.join(NEGATIVE_PATH, f.file)]);
    expect(r.code).toBe(EXIT_CODES[f.code]);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr).toContain(`error ${f.code}`);
  });

  it('every compatibility fixture: exit 0 with the golden digests', async () => {
    for (const f of COMPAT_FIXTURES) {
      const r = await runCli(['--json', 'verify', path.join(FIXTURES, 'v1/compat', f.file)]);
      expect(r.code, `${f.file}: ${r.stderr}`).toBe(0);
      const doc = JSON.parse(r.stdout.toString()) as { datasets: Array<{ digest: string }> };
      expect(doc.datasets.map((d) => d.digest)).toEqual(expected.datasets.map((d) => d.digest));
    }
  });

  it('reads the archive from stdin with -', async () => {
    const ok = await runCli(['verify', '-'], { input: readFileSync(GOLDEN_PATH) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.toString()).toContain(expected.datasets[0]!.digest);
    const bad = NEGATIVE_FIXTURES.find((f) => f.file === 'malformed-line.memarc')!;
    const r = await runCli(['--json', 'verify', '-'], { input: readFileSync(path.join(NEGATIVE_PATH, bad.file)) });
    expect(r.code).toBe(EXIT_CODES.MALFORMED_RECORD);
    expect((JSON.parse(r.stdout.toString()) as { error: { line: number } }).error.line).toBe(2);
  });

  it('an empty stdin is TRUNCATED, not an internal error', async () => {
    const r = await runCli(['verify', '-'], { input: Buffer.alloc(0) });
    expect(r.code).toBe(EXIT_CODES.TRUNCATED);
    expect(r.stderr).not.toMatch(STACK);
  });
});
