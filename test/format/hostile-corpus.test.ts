/**
 * The corpus of hostile archives through the CLI (src/cli/main.ts), one process per run: every
 * negative fixture under `inspect --json` (verify --json is cli-verify.test.ts), and every
 * generated case of fixtures/hostile.ts, small scale, under `verify` and `inspect --json`. Each
 * gives its documented exit code, or 0 for an archive within the limits; none exits 1 (INTERNAL).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.ts';
import { hostileCases } from '../../fixtures/hostile.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { runCli } from '../helpers/run-cli.ts';
import { golden, NEGATIVE_PATH } from './support.ts';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-hostile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectNoInternal(r: { code: number | null; stderr: string }, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).not.toBe(EXIT_CODES.INTERNAL);
  expect(r.stderr, what).not.toContain('internal error');
  expect(r.stderr, what).not.toMatch(STACK);
}

describe('hostile corpus through the CLI', () => {
  it.each(NEGATIVE_FIXTURES.map((f) => [f.file, f] as const))('inspect --json %s', async (_file, f) => {
    const r = await runCli(['--json', 'inspect', path.join(NEGATIVE_PATH, f.file)]);
    expectNoInternal(r, f.file);
    // A fault inside a shard's content is seen only by decoding (verify); inspect accepts it.
    expect(r.code, r.stderr).toBe(f.contentOnly ? 0 : EXIT_CODES[f.code]);
    expect((JSON.parse(r.stdout.toString()) as { ok: boolean }).ok).toBe(Boolean(f.contentOnly));
  });

  it.each(hostileCases(golden(), 0.02).map((c) => [c.name, c] as const))('generated %s: verify and inspect --json', async (name, c) => {
    const file = path.join(dir, `${name}.memarc`);
    await writeFile(file, await c.build());
    const verify = await runCli(['verify', file]);
    expectNoInternal(verify, `verify ${name}`);
    expect(verify.code, verify.stderr).toBe(c.expect === 'OK' ? 0 : EXIT_CODES[c.expect]);
    if (c.expect !== 'OK') expect(verify.stderr).toContain(`error ${c.expect}`);
    const inspect = await runCli(['--json', 'inspect', file]);
    expectNoInternal(inspect, `inspect ${name}`);
    // Every generated case is refused, if at all, for what its shards hold, which inspect does not decode.
    expect(inspect.code, inspect.stderr).toBe(0);
    await rm(file);
  }, 120_000);
});
