/**
 * What the writer accepts, the reader must read back; what a hostile archive holds, the reader
 * must refuse with a MemarcError naming the shard and line. 
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemarcError } from '../../src/errors.ts';
import type { AnyRecord, Json, RecordKind } from '../../src/format/records.ts';
import type { DatasetInput, Section } from '../../src/format/writer.ts';
import { find, pack, unpack } from '../../fixtures/forge.ts';
import { NODE_SHARD, NOTES_SHARD, rewriteShard } from '../../fixtures/negatives.ts';
import { golden, readAll, recordsFrom, writeArchive } from './support.ts';

const coll = (name: string, fingerprint: DatasetInput['fingerprint'] = {}): DatasetInput => ({ name, kind: 'qdrant.collection', fingerprint, source: {} });
const graphDs = (name: string): DatasetInput => ({ name, kind: 'falkordb.graph', fingerprint: {}, source: {} });
const section = (dataset: number, kind: RecordKind, recs: AnyRecord[]): Section => ({ dataset, kind, batches: [recs] });

/** Writes, then reads; the writer may refuse (that is fine), but what it writes must read. */
async function writeThenRead(datasets: DatasetInput[], sections: Section[]) {
  let archive: Buffer;
  try {
    archive = (await writeArchive(datasets, sections)).archive;
  } catch (err) {
    return { refusedBy: 'writer' as const, err };
  }
  const r = await readAll(archive);
  return r.error ? { refusedBy: 'reader' as const, err: r.error } : { refusedBy: null, err: null };
}

async function hostileNotesLine(line: string) {
  const es = await unpack(golden());
  const lines = gunzipSync(find(es, NOTES_SHARD).body).toString().split('\n');
  lines[0] = line;
  return readAll(await pack(rewriteShard(es, NOTES_SHARD, lines.join('\n'), 2)));
}

describe('writer and reader agree', () => {
  it('a bigint id in the safe range reads back as the same integer', async () => {
    const { archive } = await writeArchive([coll('c')], [section(1, 'point', [{ id: 5n, vectors: {}, payload: null }])]);
    const r = await readAll(archive);
    expect(r.error).toBeNull();
    expect(r.records.get('1/point')?.[0]).toMatchObject({ id: 5 });
  });

  it('node labels must be non-empty: the writer refuses an empty label with MALFORMED_RECORD', async () => {
    const res = await writeThenRead([graphDs('g')], [section(1, 'node', [{ key: 1, labels: [''], props: {} }])]);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('MALFORMED_RECORD');
  });

  it('an edge to a node that was never written is refused by the writer', async () => {
    const res = await writeThenRead([graphDs('g')], [section(1, 'node', [{ key: 1, labels: [], props: {} }]), section(1, 'edge', [{ type: 'T', src: 1, dst: 2, props: {} }])]);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('MALFORMED_RECORD');
  });

  it('an empty dataset name is refused by the writer with USAGE (the reader would refuse the header)', async () => {
    const res = await writeThenRead([coll('')], []);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('USAGE');
  });

  it('two datasets of one kind with the same name are refused by the writer with USAGE', async () => {
    const res = await writeThenRead([coll('a'), coll('a')], []);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('USAGE');
  });

  it('a fingerprint holding a bigint is written and read back exactly', async () => {
    const { archive } = await writeArchive([coll('c', { params: { max_id: 2n ** 60n } })], []);
    const r = await readAll(archive);
    expect(r.error).toBeNull();
    expect(r.header?.datasets[0]?.native?.config).toStrictEqual({ params: { max_id: 2n ** 60n } });
  });

  it('a point outside latitude [-90, 90] or longitude [-180, 180] is refused by the writer, so no archive holds one', async () => {
    // Such a coordinate (2^60 here) used to be written and then refused on read.
    for (const point of [{ latitude: 2 ** 60, longitude: 0 }, { latitude: 0, longitude: 180.5 }]) {
      const res = await writeThenRead([graphDs('g')], [section(1, 'node', [{ key: 1, labels: [], props: { p: { point } } }])]);
      expect(res.refusedBy).toBe('writer');
      expect((res.err as MemarcError).code).toBe('MALFORMED_RECORD');
    }
  });

  it('two nodes with the same key are refused by the writer with MALFORMED_RECORD', async () => {
    const res = await writeThenRead([graphDs('g')], [section(1, 'node', [{ key: 1, labels: ['A'], props: {} }, { key: 1, labels: ['B'], props: {} }])]);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('MALFORMED_RECORD');
  });

  it('a payload nested past the format bound is refused by the writer with MALFORMED_RECORD', async () => {
    let deep: Json = 0;
    for (let i = 0; i < 70; i++) deep = [deep];
    const res = await writeThenRead([coll('c')], [section(1, 'point', [{ id: 1, vectors: {}, payload: { a: deep } }])]);
    expect(res.refusedBy).toBe('writer');
    expect((res.err as MemarcError).code).toBe('MALFORMED_RECORD');
  });
});

describe('hostile record lines', () => {
  it('a line that is JSON but not a point record gives MALFORMED_RECORD naming the line', async () => {
    const r = await hostileNotesLine('{"id":-1,"vectors":{},"payload":null}');
    expect((r.error as MemarcError).code).toBe('MALFORMED_RECORD');
    expect((r.error as MemarcError).context).toMatchObject({ entry: NOTES_SHARD, line: 1 });
    expect(recordsFrom(r, NOTES_SHARD)).toBe(0);
  });

  it('a vector whose base64 is not a whole number of float32 values gives MALFORMED_RECORD', async () => {
    const r = await hostileNotesLine('{"id":1,"vectors":{"":{"dense":"AAAA"}},"payload":null}');
    expect((r.error as MemarcError).code).toBe('MALFORMED_RECORD');
  });

  it('a payload nested 20000 deep gives MALFORMED_RECORD naming the line, not a stack overflow', async () => {
    const depth = 20000;
    const r = await hostileNotesLine(`{"id":1,"vectors":{},"payload":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    expect(r.error).toBeInstanceOf(MemarcError);
    expect((r.error as MemarcError).code).toBe('MALFORMED_RECORD');
    expect((r.error as MemarcError).context).toMatchObject({ entry: NOTES_SHARD, line: 1 });
    expect(recordsFrom(r, NOTES_SHARD)).toBe(0);
  });

  it('two nodes with the same key in a hostile shard give MALFORMED_RECORD before any record of it', async () => {
    const es = await unpack(golden());
    const lines = gunzipSync(find(es, NODE_SHARD).body).toString().split('\n');
    lines[1] = lines[1]!.replace(/^\{"key":3,/, '{"key":2,');
    expect(lines[1]).toMatch(/^\{"key":2,/);
    const r = await readAll(await pack(rewriteShard(es, NODE_SHARD, lines.join('\n'), 2)));
    expect((r.error as MemarcError).code).toBe('MALFORMED_RECORD');
    expect((r.error as MemarcError).context).toMatchObject({ entry: NODE_SHARD, line: 2 });
    expect(recordsFrom(r, NODE_SHARD)).toBe(0);
  });
});
