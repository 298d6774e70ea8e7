/**
 * Every reader limit has a CLI flag: lowered, it refuses an archive the defaults accept (exit 16,
 * naming the flag in the hint); the golden archive passes under the defaults.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.ts';
import { ROOT, runCli } from '../helpers/run-cli.ts';

const GOLDEN = path.join(ROOT, 'fixtures/v1/golden.memarc');

describe('reader limit flags', () => {
  it('the golden archive verifies under the default limits', async () => {
    const r = await runCli(['verify', GOLDEN, '--json']);
    expect(r.code).toBe(0);
  });

  for (const [flag, value] of [
    ['--max-line-bytes', '16'],
    ['--max-line-values', '2'],
    ['--max-meta-bytes', '64'],
    ['--max-meta-values', '3'],
  ] as const) {
    it(`${flag} ${value} refuses the golden archive with LIMIT_EXCEEDED and names the flag`, async () => {
      const r = await runCli(['verify', GOLDEN, '--json', flag, value]);
      expect(r.code).toBe(EXIT_CODES.LIMIT_EXCEEDED);
      const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; error: { code: string; hint?: string } };
      expect(doc.ok).toBe(false);
      expect(doc.error.code).toBe('LIMIT_EXCEEDED');
      expect(doc.error.hint).toContain(flag);
    });
  }

  it('refuses a limit that is not a number', async () => {
    const r = await runCli(['verify', GOLDEN, '--max-line-values', 'many']);
    expect(r.code).toBe(EXIT_CODES.USAGE);
  });
});
