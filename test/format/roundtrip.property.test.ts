/**
 * Random datasets round-trip writer → reader: the same records (as JSON text: the archive's
 * meaning), the same digests on both sides and from an independent digest of the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetDigest } from '../../src/format/digest.ts';
import { stringifyJson } from '../../src/format/json.ts';
import type { AnyRecord, RecordKind } from '../../src/format/records.ts';
import { datasets, inputsOf, sectionsOf, type DatasetData } from './arbitraries.ts';
import { readAll, writeArchive } from './support.ts';

function recordsOf(d: DatasetData): Partial<Record<RecordKind, AnyRecord[]>> {
  return d.kind === 'qdrant.collection' ? { point: d.points } : { node: d.graph.nodes, edge: d.graph.edges };
}

function digestOf(d: DatasetData): string {
  const digest = new DatasetDigest();
  for (const [kind, recs] of Object.entries(recordsOf(d))) for (const r of recs) digest.add(kind as RecordKind, r);
  return digest.hex();
}

const caps = fc.record({
  shardMaxRecords: fc.integer({ min: 1, max: 4 }),
  shardMaxRawBytes: fc.integer({ min: 64, max: 4096 }),
  batch: fc.integer({ min: 1, max: 5 }),
});

describe('writer → reader round trip (property)', () => {
  it('gives back every record exactly, with equal digests, across many small shards', async () => {
    await fc.assert(
      fc.asyncProperty(datasets, caps, async (ds, { shardMaxRecords, shardMaxRawBytes, batch }) => {
        const { archive, writer } = await writeArchive(inputsOf(ds), sectionsOf(ds, batch), { shardMaxRecords, shardMaxRawBytes });
        const r = await readAll(archive);
        expect(r.error).toBeNull();
        expect(r.header?.datasets.map((d) => d.name)).toEqual(ds.map((d) => d.name));
        ds.forEach((d, i) => {
          for (const [kind, recs] of Object.entries(recordsOf(d))) {
            const got = r.records.get(`${i + 1}/${kind}`) ?? [];
            expect(got.map(stringifyJson)).toEqual(recs.map(stringifyJson));
          }
          const digest = digestOf(d);
          expect(r.digests?.get(i + 1) ?? '0'.repeat(64)).toBe(digest);
          expect(writer.trailer?.datasets[i]?.digest).toBe(digest);
        });
        for (const s of r.trailer?.shards ?? []) {
          expect(s.records).toBeGreaterThan(0);
          expect(s.records).toBeLessThanOrEqual(shardMaxRecords);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps float32 bit patterns, ids above 2^53 and int64 extremes as exact values, not just as text', async () => {
    await fc.assert(
      fc.asyncProperty(datasets, async (ds) => {
        const { archive } = await writeArchive(inputsOf(ds), sectionsOf(ds, 3), { shardMaxRecords: 2 });
        const r = await readAll(archive);
        expect(r.error).toBeNull();
        ds.forEach((d, i) => {
          if (d.kind !== 'qdrant.collection') return;
          const got = r.records.get(`${i + 1}/point`) ?? [];
          // Vectors are compared as base64 strings, i.e. bit for bit; ids by type and value.
          expect(got.map((p) => ('id' in p ? p.id : null))).toStrictEqual(d.points.map((p) => p.id));
          expect(got.map((p) => ('vectors' in p ? p.vectors : null))).toStrictEqual(d.points.map((p) => p.vectors));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('writes the same shards however the records are batched and however many shards compress at once', async () => {
    await fc.assert(
      fc.asyncProperty(datasets, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), async (ds, batch, depth) => {
        const a = await writeArchive(inputsOf(ds), sectionsOf(ds, 1), { shardMaxRecords: 3, pipelineDepth: 1 });
        const b = await writeArchive(inputsOf(ds), sectionsOf(ds, batch), { shardMaxRecords: 3, pipelineDepth: depth });
        expect(b.writer.trailer!.shards).toEqual(a.writer.trailer!.shards);
        expect(b.writer.trailer!.datasets).toEqual(a.writer.trailer!.datasets);
      }),
      { numRuns: 40 },
    );
  });

  it('writes empty datasets, with or without a section, as zero records and the zero digest', async () => {
    const ds: DatasetData[] = [
      { kind: 'qdrant.collection', name: 'empty-with-section', points: [] },
      { kind: 'qdrant.collection', name: 'empty-without-section', points: [] },
      { kind: 'falkordb.graph', name: 'empty-graph', graph: { nodes: [], edges: [] } },
    ];
    const sections = sectionsOf(ds, 10).filter((s) => s.dataset !== 2);
    const { archive } = await writeArchive(inputsOf(ds), sections);
    const r = await readAll(archive);
    expect(r.error).toBeNull();
    expect(r.records.size).toBe(0);
    expect(r.trailer?.shards).toEqual([]);
    expect(r.trailer?.datasets.map((d) => d.digest)).toEqual(['0'.repeat(64), '0'.repeat(64), '0'.repeat(64)]);
    expect(r.trailer?.datasets.map((d) => d.records)).toEqual([{ point: 0 }, { point: 0 }, { node: 0, edge: 0 }]);
  });

  it('keeps shards within shardMaxRawBytes unless one record alone is larger', async () => {
    await fc.assert(
      fc.asyncProperty(datasets, fc.integer({ min: 256, max: 2048 }), async (ds, cap) => {
        const { writer } = await writeArchive(inputsOf(ds), sectionsOf(ds, 4), { shardMaxRawBytes: cap });
        const lines = new Map<string, number>();
        ds.forEach((d, i) => {
          for (const [kind, recs] of Object.entries(recordsOf(d))) lines.set(`${i + 1}/${kind}`, Math.max(0, ...recs.map((x) => Buffer.byteLength(stringifyJson(x)) + 1)));
        });
        for (const s of writer.trailer!.shards) {
          if (s.records > 1) expect(s.rawSize, s.entry).toBeLessThanOrEqual(cap);
          else expect(s.rawSize).toBeLessThanOrEqual(Math.max(cap, lines.get(`${s.dataset}/${s.kind}`)!));
        }
      }),
      { numRuns: 100 },
    );
  });
});
