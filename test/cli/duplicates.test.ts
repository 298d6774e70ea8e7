/**
 * Duplicate point ids (spec/FORMAT.md 6.1) are refused by verify, import --dry-run and import,
 * exit 17 MALFORMED_RECORD naming the dataset, shard and line, in format 1 and format 2, and the
 * import leaves nothing on the server: no collection, no staging collection, no checkpoint.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { unpack } from '../../fixtures/forge.ts';
import { goldenV2Datasets, goldenV2Sections } from '../../fixtures/golden-v2-data.ts';
import { V2_POINTS } from '../../fixtures/make-v2.ts';
import { editLine, NOTES_SHARD } from '../../fixtures/negatives.ts';
import { ArchiveWriter } from '../../src/format/writer.ts';
import { dropCollections, qdrantHeaders, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { ROOT, runCli } from '../helpers/run-cli.ts';

let q: QdrantTarget;
let dir: string;
let env: NodeJS.ProcessEnv;
const archives: Array<[string, string, string]> = [];

async function collectionNames(): Promise<string[]> {
  const res = await fetch(`${q.url}/collections`, { headers: qdrantHeaders(q.apiKey) });
  return ((await res.json()) as { result: { collections: Array<{ name: string }> } }).result.collections.map((c) => c.name);
}

beforeAll(async () => {
  q = await qdrantTarget();
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-dup-'));
  env = { QDRANT_URL: q.url, ...(q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {}) };
  // Format 1: the golden archive with the second point of "notes" replaced by the first.
  const v1 = path.join(dir, 'dup-v1.memarc');
  const golden = await readFile(path.join(ROOT, 'fixtures/v1/golden.memarc'));
  const first = gunzipSync((await unpack(golden)).find((e) => e.header.name === NOTES_SHARD)!.body).toString().split('\n')[0]!;
  await writeFile(v1, await editLine(golden, NOTES_SHARD, 1, () => first));
  archives.push(['format 1', v1, `dataset "notes", shard ${NOTES_SHARD}, line 2: point id 1 is used by an earlier point`]);
  // Format 2: the golden archive's collection alone (its table has no adapter to restore into).
  const w = new ArchiveWriter({ datasets: [goldenV2Datasets[0]!], shardMaxRecords: 2 });
  const chunks: Buffer[] = [];
  for await (const c of w.encode([goldenV2Sections()[0]!])) chunks.push(c);
  const v2 = path.join(dir, 'dup-v2.memarc');
  const one = Buffer.concat(chunks);
  const firstV2 = gunzipSync((await unpack(one)).find((e) => e.header.name === V2_POINTS)!.body).toString().split('\n')[0]!;
  await writeFile(v2, await editLine(one, V2_POINTS, 1, () => firstV2));
  archives.push(['format 2', v2, `dataset "multimodal", shard ${V2_POINTS}, line 2: point id 0 is used by an earlier point`]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await q?.close();
});

describe('duplicate point ids', () => {
  it.each([0, 1])('are refused by verify, import --dry-run and import (exit 17), and the import writes nothing (%s)', async (i) => {
    const [, file, message] = archives[i]!;
    const verify = await runCli(['verify', file], { env });
    expect(verify.code, verify.stderr).toBe(17);
    expect(verify.stderr).toContain('MALFORMED_RECORD');
    expect(verify.stderr).toContain(message);

    const prefix = uniqueName('dup');
    const rename = ['--rename', `notes=${prefix}_a`, '--rename', `multimodal=${prefix}_b`];
    const before = await collectionNames();
    try {
      const dry = await runCli(['import', file, '--qdrant', '--dry-run', ...rename], { env });
      expect(dry.code, dry.stderr).toBe(17);
      expect(dry.stderr).toContain(message);
      const real = await runCli(['import', file, '--qdrant', ...rename], { env });
      expect(real.code, real.stderr).toBe(17);
      expect(real.stderr).toContain(message);
      const after = await collectionNames();
      expect(after.filter((n) => n.includes(prefix))).toEqual([]);
      expect(after.filter((n) => !before.includes(n) && n.startsWith('memarc'))).toEqual([]);
    } finally {
      await dropCollections(q.url, q.apiKey, (await collectionNames()).filter((n) => n.includes(prefix)));
    }
  });
});
