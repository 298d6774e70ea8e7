/**
 * The v1 golden archive must keep reading forever: its decoding is compared with the expected
 * file written when it was made, and its digests are recomputed from those records.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetDigest } from '../../src/format/digest.ts';
import { decodeF32, type AnyRecord, type RecordKind } from '../../src/format/records.ts';
import { parseExpected } from '../../fixtures/expected.ts';
import { sha256hex } from '../../fixtures/forge.ts';
import { FIXTURES, golden, readAll } from './support.ts';

const expected = parseExpected(readFileSync(path.join(FIXTURES, 'v1/golden.expected.json'), 'utf8'));

describe('golden archive v1', () => {
  it('decodes to exactly the expected records, with every digest agreeing', async () => {
    const r = await readAll(golden());
    expect(r.error).toBeNull();
    expect(r.header?.createdAt).toBe(expected.header.createdAt);
    expect(r.header?.formatVersion).toEqual({ major: 1, minor: 0 });
    for (const d of expected.datasets) {
      for (const [kind, recs] of Object.entries(d.records)) {
        // toStrictEqual tells 5 from 5n, so exact-integer handling is checked too.
        expect(r.records.get(`${d.index}/${kind}`), `${d.name}/${kind}`).toStrictEqual(recs);
      }
      expect(r.digests?.get(d.index), `${d.name} digest`).toBe(d.digest);
      expect(r.trailer?.datasets[d.index - 1]?.digest).toBe(d.digest);
    }
    expect([...r.records.keys()].sort()).toEqual(expected.datasets.flatMap((d) => Object.keys(d.records).map((k) => `${d.index}/${k}`)).sort());
    expect(r.trailer?.shards).toEqual(expected.shards);
    expect(r.trailer?.totals).toEqual(expected.totals);
    expect(r.trailer?.header.sha256).toBe(expected.header.sha256);
  });

  it('hands records on in batches of batchSize, each with the line it starts at', async () => {
    const whole = await readAll(golden());
    const r = await readAll(golden(), { batchSize: 1 });
    expect(r.records).toStrictEqual(whole.records);
    const byEntry = new Map<string, number[]>();
    for (const e of r.recordEvents) byEntry.set(e.entry, [...(byEntry.get(e.entry) ?? []), e.firstLine]);
    for (const s of whole.trailer!.shards) expect(byEntry.get(s.entry), s.entry).toEqual(Array.from({ length: s.records }, (_, i) => i + 1));
    expect(r.recordEvents.every((e) => e.count === 1)).toBe(true);
  });

  it('has the header bytes recorded when it was made', () => {
    const buf = golden();
    const start = 512; // header.json is the first entry and has no pax header
    const body = buf.subarray(start, start + expected.header.size);
    expect(sha256hex(body)).toBe(expected.header.sha256);
  });

  it('has digests that the digest function still computes from the expected records', () => {
    for (const d of expected.datasets) {
      const digest = new DatasetDigest({ major: 1 });
      for (const kind of ['point', 'node', 'edge'] as RecordKind[]) for (const rec of d.records[kind] ?? []) digest.add(kind, rec as AnyRecord);
      expect(digest.hex(), d.name).toBe(d.digest);
    }
  });

  it('covers what it claims to cover', () => {
    const points = expected.datasets.flatMap((d) => (d.records.point ?? []) as Array<{ id: unknown; vectors: Record<string, object> }>);
    const ids = points.map((p) => p.id);
    expect(ids.some((id) => typeof id === 'bigint' && id > 2n ** 53n)).toBe(true);
    expect(ids.some((id) => typeof id === 'string')).toBe(true);
    const vectorKinds = new Set(points.flatMap((p) => Object.values(p.vectors).map((v) => Object.keys(v)[0])));
    expect([...vectorKinds].sort()).toEqual(['dense', 'multi', 'sparse']);
    // The float32 edge values survive bit for bit.
    const edge = points.find((p) => p.id === 9007199254740993n)!.vectors['']! as { dense: string };
    expect([...new Uint32Array(decodeF32(edge.dense).buffer)]).toEqual([0x80000000, 0x00000001, 0x7f7fffff, 0x7fc00abc]);
    const graph = expected.datasets.find((d) => d.kind === 'falkordb.graph')!;
    const edges = graph.records.edge as Array<{ src: unknown; dst: unknown }>;
    expect(edges.some((e) => e.src === e.dst)).toBe(true);
    const nodes = graph.records.node as Array<{ labels: string[]; props: Record<string, unknown> }>;
    expect(nodes.some((n) => !('id' in n.props))).toBe(true);
    expect(nodes.some((n) => n.labels.length > 1)).toBe(true);
    const tags = new Set(nodes.flatMap((n) => Object.values(n.props).flatMap((v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []))));
    for (const t of ['double', 'vecf32', 'point', 'date', 'datetime', 'time', 'duration']) expect(tags, t).toContain(t);
  });
});
