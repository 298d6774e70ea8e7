/** An archive can be checked with standard tools: tar, sha256sum, gzip, jq. */
import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../../src/format/writer.ts';
import type { Trailer } from '../../src/format/header.ts';
import { syntheticInputs } from './support.ts';

const execFile = promisify(execFileCb);
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

let dir = '';
let archive = '';
let trailer: Trailer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-tools-'));
  archive = path.join(dir, 'synthetic.memarc');
  const { datasets, sections } = await syntheticInputs({ count: 300, dim: 16, nodes: 120 });
  const w = new ArchiveWriter({ datasets, shardMaxRecords: 64 });
  await pipeline(w.encode(sections), createWriteStream(archive));
  trailer = w.trailer!;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!has('tar'))('standard tools', () => {
  it('tar tf lists header, every shard, checksums and trailer, in order', async () => {
    const { stdout } = await execFile('tar', ['tf', archive]);
    const names = stdout.trim().split('\n');
    expect(names).toEqual(['header.json', ...trailer.shards.map((s) => s.entry), 'CHECKSUMS.sha256', 'trailer.json']);
    expect(trailer.shards.length).toBeGreaterThan(5);
  });

  describe('after tar xf', () => {
    const out = () => path.join(dir, 'x');
    beforeAll(async () => {
      await execFile('mkdir', ['-p', out()]);
      await execFile('tar', ['xf', archive, '-C', out()]);
    });

    it.skipIf(!has('sha256sum'))('sha256sum -c CHECKSUMS.sha256 passes for every entry', async () => {
      const { stdout } = await execFile('sha256sum', ['-c', 'CHECKSUMS.sha256'], { cwd: out() });
      const ok = stdout.trim().split('\n');
      expect(ok).toHaveLength(trailer.shards.length + 1);
      for (const line of ok) expect(line).toMatch(/: OK$/);
    });

    it.skipIf(!has('gzip'))('gzip -t passes on every shard', async () => {
      for (const s of trailer.shards) await expect(execFile('gzip', ['-t', path.join(out(), s.entry)])).resolves.toBeDefined();
    });

    it.skipIf(!has('jq'))('zcat | jq -c . parses every line of every shard (jq is in Debian: apt-get install jq)', async () => {
      for (const s of [trailer.shards[0]!, trailer.shards.find((x) => x.kind === 'node')!, trailer.shards.at(-1)!]) {
        const { stdout } = await execFile('bash', ['-o', 'pipefail', '-c', `zcat "$1" | jq -c .`, 'jq', path.join(out(), s.entry)], { maxBuffer: 64 * 1024 * 1024 });
        expect(stdout.trim().split('\n')).toHaveLength(s.records);
      }
    });

    it('header.json and trailer.json are plain JSON that jq (or anything) can read', async () => {
      const header = JSON.parse(await readFile(path.join(out(), 'header.json'), 'utf8')) as { formatVersion: unknown };
      const t = JSON.parse(await readFile(path.join(out(), 'trailer.json'), 'utf8')) as Trailer;
      expect(header.formatVersion).toEqual({ major: 2, minor: 1 });
      expect(t.totals).toEqual(trailer.totals);
    });
  });
});
