/** The reader gives the same result however its input is cut into chunks. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringifyJson } from '../../src/format/json.ts';
import { rechunk, rechunkStream } from '../helpers/chunks.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { golden, NEGATIVE_PATH, readAll, syntheticInputs, writeArchive, type ReadResult } from './support.ts';

function summary(r: ReadResult) {
  return {
    error: r.error ? { code: (r.error as { code?: string }).code, message: (r.error as Error).message } : null,
    records: [...r.records].map(([k, v]) => [k, v.map(stringifyJson)]),
    shards: r.shards,
    digests: r.digests ? [...r.digests] : null,
    trailer: r.trailer,
  };
}

async function syntheticArchive(): Promise<Buffer> {
  const { datasets, sections } = await syntheticInputs({ count: 120, dim: 8, nodes: 60, edgesPerNode: 2, batchSize: 17 });
  return (await writeArchive(datasets, sections, { shardMaxRecords: 25 })).archive;
}

const SIZES: Array<number | number[]> = [1, 7, 511, 513, 4099, [1, 512, 3, 1024, 7]];

describe('chunk boundaries', () => {
  it('the golden archive reads the same at every chunk size', async () => {
    const g = golden();
    const whole = summary(await readAll(g));
    expect(whole.error).toBeNull();
    for (const s of SIZES) expect(summary(await readAll(rechunk(g, s))), `chunks of ${JSON.stringify(s)}`).toEqual(whole);
  });

  it('a synthetic archive of many shards reads the same from a stream at every chunk size', async () => {
    const a = await syntheticArchive();
    const whole = summary(await readAll(a));
    expect(whole.error).toBeNull();
    expect(whole.shards.length).toBeGreaterThan(10);
    for (const s of SIZES.filter((x) => x !== 1)) expect(summary(await readAll(rechunkStream(a, s))), `chunks of ${JSON.stringify(s)}`).toEqual(whole);
  });

  it('a negative fixture gives the same error at every chunk size', async () => {
    for (const f of NEGATIVE_FIXTURES.filter((x) => ['malformed-line.memarc', 'flipped-byte.memarc', 'truncated-shard.memarc', 'bomb-lying.memarc'].includes(x.file))) {
      const buf = readFileSync(path.join(NEGATIVE_PATH, f.file));
      const whole = summary(await readAll(buf));
      expect(whole.error?.code).toBe(f.code);
      for (const s of [1, 7, 513]) expect(summary(await readAll(rechunk(buf, s))), `${f.file} in chunks of ${s}`).toEqual(whole);
    }
  });

  it('rechunk yields exactly the input bytes, in chunks of the sizes asked for', async () => {
    const buf = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const chunks: Buffer[] = [];
    for await (const c of rechunk(buf, [3, 5])) chunks.push(c);
    expect(Buffer.concat(chunks).equals(buf)).toBe(true);
    expect(chunks.slice(0, 4).map((c) => c.length)).toEqual([3, 5, 3, 5]);
    expect(chunks.at(-1)!.length).toBeLessThanOrEqual(5);
  });
});
