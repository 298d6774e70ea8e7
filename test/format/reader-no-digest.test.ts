/**
 * The reader's `digest` option (reader.ts): a dataset it answers false for is checked record by
 * record, keys included, but not hashed, and its trailer digest is left to the consumer (an
 * import whose sink digests the target, DatasetSink.digestsTarget). Everything else the reader
 * refuses, it still refuses; and the key checks stay, on a table that holds keys only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemarcError } from '../../src/errors.ts';
import { DatasetDigest, NO_HASH } from '../../src/format/digest.ts';
import { NodeTable } from '../../src/format/node-table.ts';
import { readArchive } from '../../src/format/reader.ts';
import type { HeaderDataset } from '../../src/format/header.ts';
import { editLine, NEGATIVE_FIXTURES, NODE_SHARD_1 } from '../../fixtures/negatives.ts';
import { golden, NEGATIVE_PATH, readAll } from './support.ts';

const GRAPH = 3; // golden.memarc's dataset 3 is a FalkorDB graph
const notGraph = (d: HeaderDataset) => d.index !== GRAPH;
const EDGE_SHARD_1 = 'data/0003-knowledge_graph/edge-000001.ndjson.gz';

describe('NodeTable, keys only', () => {
  it('answers which keys are there, for dense, sparse, string and big keys, and never makes a file', () => {
    const t = new NodeTable({ keysOnly: true, memoryKeys: 256, spillFile: () => { throw new Error('a key-only table made a file'); } });
    const keys: Array<number | string | bigint> = [0, 1, 255, 256, 5_000, 70_000, 1e12, -3, 2.5, 'k', '', 2n ** 70n];
    for (const k of keys) expect(t.add(k, NO_HASH), String(k)).toBe(true);
    for (const k of keys) expect(t.add(k, NO_HASH), `${String(k)} again`).toBe(false);
    for (const k of keys) expect(t.hasKey(k), String(k)).toBe(true);
    for (const k of [2, 257, 69_999, 1e12 + 1, 'K', 2n ** 71n, -4]) expect(t.hasKey(k), String(k)).toBe(false);
    const out = Buffer.alloc(32, 9);
    expect(t.copyHash(70_000, out, 0)).toBe(true);
    expect(t.copyHash(70_001, out, 0)).toBe(false);
    expect(out.equals(Buffer.alloc(32, 9))).toBe(true); // nothing copied: there is no hash
    t.close();
  });
});

describe('DatasetDigest, hashes: false', () => {
  it('counts and checks keys like a hashing digest, hashes nothing, and has no digest', () => {
    const d = new DatasetDigest({ hashes: false, uniqueKeys: true });
    expect(d.add('node', { key: 1, labels: ['A'], props: { x: 1 } })).toBe(NO_HASH);
    d.add('node', { key: 'two', labels: [], props: {} });
    expect(() => d.add('node', { key: 1, labels: ['B'], props: {} })).toThrow(/node key 1 is used by two nodes/);
    expect(d.add('edge', { type: 'R', src: 1, dst: 'two', props: {} })).toBe(NO_HASH);
    expect(() => d.add('edge', { type: 'R', src: 1, dst: 3, props: {} })).toThrow(/edge endpoint 3 is not the key of any node/);
    expect(d.counts).toEqual({ node: 2, edge: 1 });
    expect(() => d.hex()).toThrow(/no digest/);
    const p = new DatasetDigest({ hashes: false, uniqueKeys: true });
    p.add('point', { id: 7, vectors: {}, payload: {} });
    expect(() => p.add('point', { id: 7, vectors: {}, payload: {} })).toThrow(/point id 7 is used by an earlier point/);
    d.dropNodeTable();
  });
});

describe('readArchive with digest: false for a dataset', () => {
  it('hands on the same records, without hashes for that dataset only, and no digest of it in the trailer event', async () => {
    const all = await readAll(golden(), { checkShardFirst: false });
    const some = await readAll(golden(), { checkShardFirst: false, digest: notGraph });
    expect(all.error).toBeNull();
    expect(some.error).toBeNull();
    expect(some.records).toEqual(all.records);
    expect(some.recordEvents).toEqual(all.recordEvents);
    expect([...some.digests!.keys()]).toEqual([...all.digests!.keys()].filter((i) => i !== GRAPH));
    for (const [i, dg] of some.digests!) expect(dg).toBe(all.digests!.get(i));
    for await (const ev of readArchive(Readable.from([golden()]), { checkShardFirst: false, digest: notGraph })) {
      if (ev.type !== 'records') continue;
      if (ev.dataset.index === GRAPH) expect(ev.hashes, ev.entry).toBeUndefined();
      else expect(ev.hashes?.length, ev.entry).toBe(32 * ev.records.length);
    }
  });

  it("leaves that dataset's trailer digest to the consumer, and still compares every other one", async () => {
    const f = NEGATIVE_FIXTURES.find((x) => x.file === 'digest-mismatch.memarc')!;
    const bytes = readFileSync(path.join(NEGATIVE_PATH, f.file)); // dataset 3's digest altered
    const trusting = await readAll(bytes, { checkShardFirst: false, digest: notGraph });
    expect(trusting.error).toBeNull();
    expect(trusting.trailer).not.toBeNull();
    const checking = await readAll(bytes, { checkShardFirst: false, digest: (d) => d.index !== 1 });
    expect((checking.error as MemarcError).code).toBe('DIGEST_MISMATCH');
    expect(checking.trailer).toBeNull();
  });

  it('refuses every other negative fixture with the same error as a reader that digests everything', async () => {
    for (const f of NEGATIVE_FIXTURES) {
      if (f.code === 'DIGEST_MISMATCH') continue;
      const bytes = readFileSync(path.join(NEGATIVE_PATH, f.file));
      const a = (await readAll(bytes, { checkShardFirst: false })).error as MemarcError;
      const b = (await readAll(bytes, { checkShardFirst: false, digest: () => false })).error as MemarcError;
      expect(b, f.file).toBeInstanceOf(MemarcError);
      expect({ code: b.code, message: b.message, context: b.context }, f.file).toEqual({ code: a.code, message: a.message, context: a.context });
    }
  });

  it('still refuses a node key used twice and an edge to no node, naming the line', async () => {
    const twice = await editLine(golden(), NODE_SHARD_1, 1, (l) => l.replace(/^\{"key":1,/, '{"key":0,'));
    const nowhere = await editLine(golden(), EDGE_SHARD_1, 1, (l) => l.replace('"dst":2', '"dst":99'));
    for (const [archive, line, what] of [[twice, 2, /node key 0 is used by two nodes/], [nowhere, 2, /edge endpoint 99 is not the key of any node/]] as const) {
      const r = await readAll(archive, { checkShardFirst: false, digest: () => false });
      const err = r.error as MemarcError;
      expect(err.code).toBe('MALFORMED_RECORD');
      expect(err.message).toMatch(what);
      expect(err.context.line).toBe(line);
      expect(r.trailer).toBeNull();
    }
  });
});
