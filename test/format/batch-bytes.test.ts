/**
 * The reader's `batchBytes`: records batches are cut after the line that reaches it, per dataset
 * when a function gives it, and an import asks for the size each dataset's sink declares
 * (DatasetSink.writeBytes). And its `wants`: a shard whose records are not wanted is checked as
 * any other, and hands none on.
 */
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { DatasetSink, Sink } from '../../src/core/adapter.ts';
import { importArchive, importReaderOptions } from '../../src/core/import.ts';
import { memorySink } from '../../src/adapters/memory/index.ts';
import { datasetFamily } from '../../src/format/datasets.ts';
import type { HeaderDataset } from '../../src/format/header.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { NEGATIVE_PATH, readAll, syntheticInputs, writeArchive } from './support.ts';

const SMALL = 16 * 1024;

async function archive(): Promise<Buffer> {
  const { datasets, sections } = await syntheticInputs({ count: 300, dim: 128, nodes: 200, edgesPerNode: 2, batchSize: 64 });
  return (await writeArchive(datasets, sections, { shardMaxRecords: 200 })).archive;
}

/** Each shard's line lengths, read with tar and gunzip alone. */
async function lineLengths(a: Buffer): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      if (!entry.header.name.endsWith('.ndjson.gz')) continue;
      const text = gunzipSync(Buffer.concat(parts)).toString('utf8');
      out.set(entry.header.name, text.split('\n').filter((l) => l !== '').map((l) => l.length));
    }
  })();
  Readable.from([a]).pipe(extract);
  await done;
  return out;
}

/** The batches a shard of these lines is cut into: at `size` lines, or after the line that reaches `bytes`. */
function cuts(lengths: number[], size: number, bytes: number): number[] {
  const out: number[] = [];
  let n = 0;
  let b = 0;
  for (const l of lengths) {
    n++;
    b += l;
    if (n === size || b >= bytes) {
      out.push(n);
      n = 0;
      b = 0;
    }
  }
  if (n) out.push(n);
  return out;
}

const isVectors = (ds: HeaderDataset) => datasetFamily(ds) === 'vectors';

describe('reader batchBytes', () => {
  it("cuts each dataset's batches at the size asked for it (a function per dataset), in one pass and in two", async () => {
    const a = await archive();
    const lines = await lineLengths(a);
    const points = [...lines.keys()].filter((e) => e.includes('/point-'));
    expect(points.length).toBeGreaterThan(1);
    for (const checkShardFirst of [false, true]) {
      const r = await readAll(a, { checkShardFirst, batchSize: 1000, batchBytes: (ds) => (isVectors(ds) ? SMALL : undefined) });
      expect(r.error).toBeNull();
      for (const [entry, lengths] of lines) {
        const got = r.recordEvents.filter((e) => e.entry === entry).map((e) => e.count);
        const want = cuts(lengths, 1000, entry.includes('/point-') ? SMALL : 1024 * 1024);
        expect(got, `${entry}, checkShardFirst ${checkShardFirst}`).toEqual(want);
      }
      // The points' batches are small: more than one a shard.
      for (const e of points) expect(r.recordEvents.filter((x) => x.entry === e).length, e).toBeGreaterThan(2);
    }
    // The same records either way.
    const whole = await readAll(a, { checkShardFirst: false });
    const small = await readAll(a, { checkShardFirst: false, batchBytes: SMALL });
    expect([...small.records]).toEqual([...whole.records]);
    expect(small.digests).toEqual(whole.digests);
  });

  it('takes at least 16 KiB: a number below it is raised', async () => {
    const a = await archive();
    const one = await readAll(a, { checkShardFirst: false, batchBytes: 1 });
    const min = await readAll(a, { checkShardFirst: false, batchBytes: SMALL });
    expect(one.recordEvents).toEqual(min.recordEvents);
  });

  it("an import hands each sink batches of the size it declares (writeBytes), the others the default", async () => {
    const a = await archive();
    const lines = await lineLengths(a);
    const inner = memorySink();
    const writes: Array<{ dataset: string; count: number }> = [];
    const sink: Sink = {
      ...inner,
      async dataset(d) {
        const ds = await inner.dataset(d);
        if (!ds) return ds;
        const wrapped = Object.create(ds) as DatasetSink & { writeBytes?: number };
        if (d.family === 'vectors') Object.defineProperty(wrapped, 'writeBytes', { value: SMALL });
        wrapped.write = (kind, batch, signal, hashes) => {
          writes.push({ dataset: `${d.family}/${kind}`, count: batch.length });
          return ds.write.call(wrapped, kind, batch, signal, hashes);
        };
        return wrapped;
      },
      close: () => inner.close(),
    };
    const res = await importArchive({ input: Readable.from([a]), sink, stateDir: false });
    expect(res.datasets.length).toBeGreaterThan(1);
    const want = (prefix: string, bytes: number) => [...lines].filter(([e]) => e.includes(prefix)).flatMap(([, l]) => cuts(l, 1000, bytes));
    expect(writes.filter((w) => w.dataset === 'vectors/point').map((w) => w.count)).toEqual(want('/point-', SMALL));
    expect(writes.filter((w) => w.dataset === 'graph/node').map((w) => w.count)).toEqual(want('/node-', 1024 * 1024));
    // A reader option given by the caller wins over the sinks'.
    writes.length = 0;
    await importArchive({ input: Readable.from([a]), sink, stateDir: false, reader: { batchBytes: 64 * 1024 } });
    expect(writes.filter((w) => w.dataset === 'vectors/point').map((w) => w.count)).toEqual(want('/point-', 64 * 1024));
  });
});

describe('reader wants', () => {
  it("checks a shard whose records are not wanted, and hands none of them on; the others' are as before", async () => {
    const a = await archive();
    const all = await readAll(a, { checkShardFirst: false });
    for (const checkShardFirst of [false, true]) {
      const some = await readAll(a, { checkShardFirst, wants: (ds) => !isVectors(ds) });
      expect(some.error).toBeNull();
      expect(some.recordEvents.some((e) => e.entry.includes('/point-'))).toBe(false);
      expect(some.shards).toEqual(all.shards);
      expect(some.digests).toEqual(all.digests);
      expect(some.trailer).toEqual(all.trailer);
      expect([...some.records]).toEqual([...all.records].filter(([k]) => !k.endsWith('/point')));
    }
    // By entry: one node shard left out.
    const node1 = all.shards.find((e) => e.includes('/node-'))!;
    const less = await readAll(a, { checkShardFirst: false, wants: (_ds, entry) => entry !== node1 });
    expect(less.recordEvents.filter((e) => e.entry === node1)).toEqual([]);
    expect(less.recordEvents.filter((e) => e.entry !== node1)).toEqual(all.recordEvents.filter((e) => e.entry !== node1));
  });

  it('refuses a bad line in a shard whose records are not wanted, as in any other', async () => {
    const f = NEGATIVE_FIXTURES.find((x) => x.file === 'malformed-line.memarc')!;
    const buf = readFileSync(path.join(NEGATIVE_PATH, f.file));
    for (const checkShardFirst of [false, true]) {
      const r = await readAll(buf, { checkShardFirst, wants: () => false });
      expect((r.error as { code?: string }).code).toBe(f.code);
      expect((r.error as Error).message).toContain(f.entry!);
      expect(r.recordEvents).toEqual([]);
    }
  });

  it('an import hands a sink no records of a dataset it skips, and still checks that dataset', async () => {
    const a = await archive();
    const inner = memorySink();
    const kinds: string[] = [];
    const sink: Sink = {
      ...inner,
      async dataset(d) {
        if (d.family === 'vectors') return null;
        const ds = await inner.dataset(d);
        if (!ds) return ds;
        const wrapped = Object.create(ds) as DatasetSink;
        wrapped.write = (kind, batch, signal, hashes) => {
          kinds.push(kind);
          return ds.write.call(wrapped, kind, batch, signal, hashes);
        };
        return wrapped;
      },
      close: () => inner.close(),
    };
    const res = await importArchive({ input: Readable.from([a]), sink, stateDir: false });
    expect(res.skipped.length).toBe(1);
    expect(new Set(kinds)).toEqual(new Set(['node', 'edge']));
    // A skipped dataset's lines are still checked: a malformed line fails the import.
    const f = NEGATIVE_FIXTURES.find((x) => x.file === 'malformed-line.memarc')!;
    const none: Sink = { ...inner, dataset: async () => null, close: () => inner.close() };
    const err = await importArchive({ input: Readable.from([readFileSync(path.join(NEGATIVE_PATH, f.file))]), sink: none, stateDir: false }).catch((e: unknown) => e as { code?: string });
    expect((err as { code?: string }).code).toBe('MALFORMED_RECORD');
  });

  it("an import wants no records of a dataset without a sink or of a shard its sink has loaded, and asks each sink's batch size", () => {
    const ds = (index: number) => ({ index }) as HeaderDataset;
    const sinks = new Map([
      [1, { sink: { writeBytes: SMALL }, done: new Set(['data/0001-a/point-000001.ndjson.gz']) }],
      [2, { sink: {}, done: new Set<string>() }],
    ]);
    const o = importReaderOptions({}, sinks);
    expect(o.checkShardFirst).toBe(false);
    expect(o.wants!(ds(1), 'data/0001-a/point-000001.ndjson.gz')).toBe(false);
    expect(o.wants!(ds(1), 'data/0001-a/point-000002.ndjson.gz')).toBe(true);
    expect(o.wants!(ds(2), 'data/0002-b/node-000001.ndjson.gz')).toBe(true);
    expect(o.wants!(ds(3), 'data/0003-c/row-000001.ndjson.gz')).toBe(false);
    const bytes = o.batchBytes as (d: HeaderDataset) => number | undefined;
    expect([bytes(ds(1)), bytes(ds(2)), bytes(ds(3))]).toEqual([SMALL, undefined, undefined]);
    // The caller's reader options win.
    const given = importReaderOptions({ reader: { batchBytes: 99_999, wants: () => true, checkShardFirst: true } }, sinks);
    expect([given.batchBytes, given.wants!(ds(3), 'x'), given.checkShardFirst]).toEqual([99_999, true, true]);
  });
});
