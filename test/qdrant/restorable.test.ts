/**
 * Values Qdrant would not store back as they are: a Cosine vector whose squared length overflows
 * float32 (Qdrant stores it as NaN and prints null), and NaN or ±Infinity anywhere. The export
 * warns naming the collection and the point, and keeps NaN (not a silent 0); the import's dry run
 * refuses the point before anything is written.
 */
import { describe, expect, it } from 'vitest';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { decodeF32, encodeF32, type PointRecord } from '../../src/format/records.ts';
import { failure } from '../helpers/failure.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { qdrantPerFile, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { collectionNames, exportAll, loadInto, rest } from './drive.ts';

let q: QdrantTarget;
const created = qdrantPerFile((t) => (q = t));


describe('values Qdrant would not restore', () => {
  it('are named by the export, kept as NaN, and refused by the import dry run before anything is written', async () => {
    const name = uniqueName('rs_cos');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { size: 3, distance: 'Cosine' } });
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}/points?wait=true`, {
      points: [
        { id: 1, vector: [3, 4, 0] },
        { id: 2, vector: [3.4e38, 1, 1] },
      ],
    });
    const logs: string[] = [];
    const [e] = await exportAll(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: [name], log: (m) => logs.push(m) }));
    const warned = logs.filter((m) => m.includes('warning'));
    expect(warned[0]).toMatch(new RegExp(`collection "${name}", point 2: vector "": component 0 is NaN, which JSON cannot carry back to Qdrant`));
    expect(warned.at(-1)).toMatch(/1 point\(s\) hold values Qdrant would not store back as they are/);
    expect(warned.join('\n')).not.toMatch(/point 1:/);
    const bad = e!.records.find((r) => r.id === 2)!;
    expect([...decodeF32((bad.vectors['']! as { dense: string }).dense)].every(Number.isNaN)).toBe(true);

    const to = uniqueName('rs_copy');
    const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [name]: to } }), e!.descriptor, e!.records, { dryRun: true }));
    expect(err.code).toBe('SCHEMA_MISMATCH');
    expect(err.message).toMatch(/point 2 of dataset .*: vector "" cannot be restored: component 0 is NaN/);
    expect(await collectionNames(q.url, q.apiKey)).not.toContain(to);
  });

  it('refuses a finite Cosine vector whose normalisation would overflow, before it is sent', async () => {
    const to = uniqueName('rs_overflow');
    created.add(to);
    const records: PointRecord[] = [
      { id: 1, vectors: { '': { dense: encodeF32([1, 0, 0]) } }, payload: null },
      { id: 2, vectors: { '': { dense: encodeF32([3.4e38, 1, 1]) } }, payload: null },
    ];
    const descriptor = { name: to, kind: 'qdrant.collection' as const, fingerprint: { params: { vectors: { size: 3, distance: 'Cosine' } } }, source: { type: 'test' } };
    for (const dryRun of [true, false]) {
      const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey }), descriptor, records, { dryRun }));
      expect(err.code).toBe('SCHEMA_MISMATCH');
      expect(err.message).toMatch(/point 2 of dataset .*: vector "" cannot be restored: its squared length overflows float32/);
      expect(await collectionNames(q.url, q.apiKey)).not.toContain(to);
    }
    // The same vector in a Dot collection is stored as it is.
    const dot = { ...descriptor, fingerprint: { params: { vectors: { size: 3, distance: 'Dot' } } } };
    const ok = await loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey }), dot, records);
    expect(ok.report!.records.point).toBe(2);
  });

  it('names a NaN the server holds in a vector of any distance or a sparse vector, keeps it as NaN, and the import refuses it', async () => {
    // JSON cannot send a NaN, but a gRPC client can, and the server prints it as null: the proxy
    // stands for that by rewriting the scroll's answer.
    const name = uniqueName('rs_dot');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { d: { size: 3, distance: 'Dot' }, e: { size: 2, distance: 'Euclid' } }, sparse_vectors: { s: {} } });
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}/points?wait=true`, {
      points: [
        { id: 1, vector: { d: [1, 2, 3], e: [1, 2], s: { indices: [1, 2], values: [0.5, 0.25] } } },
        { id: 2, vector: { d: [4.5, 5, 6], e: [7.5, 8], s: { indices: [1, 2], values: [0.75, 0.25] } } },
      ],
    });
    const proxy = await startFaultProxy(q.url);
    try {
      proxy.rewriteAnswerNth(1, (body) => body.replace('[4.5,', '[null,').replace('8.0]', 'null]').replace('[0.75,', '[null,'), { match: (_m, path) => path.endsWith('/points/scroll') });
      const logs: string[] = [];
      const [e] = await exportAll(qdrantSource({ url: proxy.url, apiKey: q.apiKey, collections: [name], log: (m) => logs.push(m) }));
      const warned = logs.filter((m) => m.includes('warning'));
      // One warning for the point, naming each of its vectors, then the summary.
      expect(warned).toHaveLength(2);
      expect(warned[0]).toMatch(new RegExp(`collection "${name}", point 2: vector "d": component 0 is NaN, which JSON cannot carry back to Qdrant; vector "e": component 1 is NaN.*; vector "s": component 0 is NaN`));
      expect(warned.at(-1)).toMatch(/1 point\(s\) hold values Qdrant would not store back as they are/);
      const bad = e!.records.find((r) => r.id === 2)!;
      const d = [...decodeF32((bad.vectors.d! as { dense: string }).dense)];
      expect(Number.isNaN(d[0])).toBe(true);
      expect(d.slice(1)).toEqual([5, 6]);
      expect(Number.isNaN(decodeF32((bad.vectors.e! as { dense: string }).dense)[1])).toBe(true);
      const sv = [...decodeF32((bad.vectors.s! as { sparse: { values: string } }).sparse.values)];
      expect(Number.isNaN(sv[0])).toBe(true);
      expect(sv[1]).toBe(0.25);

      const to = uniqueName('rs_dot_copy');
      const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, rename: { [name]: to } }), e!.descriptor, e!.records, { dryRun: true }));
      expect(err.code).toBe('SCHEMA_MISMATCH');
      expect(err.message).toMatch(/point 2 of dataset .*: vector "(d|e|s)" cannot be restored: component \d is NaN/);
      expect(await collectionNames(q.url, q.apiKey)).not.toContain(to);
    } finally {
      await proxy.close();
    }
  });
});
