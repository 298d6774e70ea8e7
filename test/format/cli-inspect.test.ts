/** `memarc inspect`: the listing, --json, and a reader of stdout that goes away (`| head -1`). */
import { execFile as execFileCb } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.ts';
import { ArchiveWriter } from '../../src/format/writer.ts';
import { CLI, ROOT, runCli } from '../helpers/run-cli.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { GOLDEN_PATH, NEGATIVE_PATH, syntheticInputs } from './support.ts';

const execFile = promisify(execFileCb);
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

let dir = '';
let many = '';
let shards = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-inspect-'));
  many = path.join(dir, 'many-shards.memarc');
  // One record per shard: thousands of lines of listing, far more than a pipe buffer holds.
  const { datasets, sections } = await syntheticInputs({ count: 3000, dim: 4, datasets: ['collection'] });
  const w = new ArchiveWriter({ datasets, shardMaxRecords: 1 });
  await pipeline(w.encode(sections), createWriteStream(many));
  shards = w.trailer!.totals.shards;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('memarc inspect', () => {
  it('lists the golden archive: datasets and every shard', async () => {
    const r = await runCli(['inspect', GOLDEN_PATH]);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.toString();
    for (const name of ['notes', 'multimodal', 'knowledge graph', 'data/0003-knowledge_graph/edge-000004.ndjson.gz']) expect(text).toContain(name);
  });

  it('--json is one parseable document', async () => {
    const r = await runCli(['--json', 'inspect', GOLDEN_PATH]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout.toString()) as { ok: boolean; trailer: { totals: { records: number } } };
    expect(doc.ok).toBe(true);
    expect(doc.trailer.totals.records).toBe(17);
  });

  it('refuses a corrupt shard with its exit code', async () => {
    const r = await runCli(['inspect', path.join(NEGATIVE_PATH, 'flipped-byte.memarc')]);
    expect(r.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('accepts a content fault it does not decode (verify is the command that finds it)', async () => {
    const f = NEGATIVE_FIXTURES.find((x) => x.contentOnly && x.file === 'malformed-line.memarc')!;
    const r = await runCli(['inspect', path.join(NEGATIVE_PATH, f.file)]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('| head -1 ends quietly: no stack trace, exit 0 or 141 (broken pipe)', async () => {
    expect(shards).toBe(3000);
    // pipefail off: the pipeline's status is head's; memarc's own status is printed after it.
    const script = `set +o pipefail; "$0" "$1" inspect "$2" | head -1; echo "memarc-status=\${PIPESTATUS[0]}"`;
    const { stdout, stderr } = await execFile('bash', ['-c', script, process.execPath, CLI, many], { cwd: ROOT });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^archive\s/);
    expect(['memarc-status=0', `memarc-status=${EXIT_CODES.BROKEN_PIPE}`]).toContain(lines[1]);
    expect(stderr).not.toMatch(STACK);
    expect(stderr).not.toMatch(/internal error|EPIPE/);
  });
});
