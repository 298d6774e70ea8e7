/**
 * Bad input: each case stops with a clear message and its code, and leaves the target as it was.
 */
import { describe, expect, it } from 'vitest';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import type { DatasetDescriptor } from '../../src/core/adapter.ts';
import { encodeF32, type PointRecord } from '../../src/format/records.ts';
import { startQdrantEmulator } from '../qdrant-emulator/index.ts';
import { qdrantPerFile, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { collectionNames, loadInto, rest } from './drive.ts';
import { failure } from '../helpers/failure.ts';

let q: QdrantTarget;
const created = qdrantPerFile((t) => (q = t));



function descriptor(name: string): DatasetDescriptor {
  return {
    name,
    kind: 'qdrant.collection',
    fingerprint: { params: { vectors: { text: { size: 4, distance: 'Dot' } }, sparse_vectors: { s: {} } }, payload_schema: {}, aliases: [] },
    source: { type: 'test' },
  };
}

const good = (id: number): PointRecord => ({ id, vectors: { text: { dense: encodeF32([id, 0, 0, 1]) } }, payload: { id } });

describe('bad input', () => {
  it('refuses a record whose dimension does not fit, naming it, and writes nothing', async () => {
    const name = uniqueName('bad_dim');
    created.add(name);
    const records = [good(1), good(2), { id: 3, vectors: { text: { dense: encodeF32([1, 2, 3]) } }, payload: null }, good(4)];
    const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey }), descriptor(name), records, { writeSize: 10 }));
    expect(err.code).toBe('SCHEMA_MISMATCH');
    expect(err.message).toBe(`point 3 of dataset "${name}": vector "text" has 3 dimensions, the target expects 4 (collection "${name}")`);
    expect(await collectionNames(q.url, q.apiKey)).not.toContain(name);
  });

  it('refuses an unknown vector name and leaves an existing target without a single new point', async () => {
    const name = uniqueName('bad_name');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { text: { size: 4, distance: 'Dot' } }, sparse_vectors: { s: {} } });
    const records = [good(1), { id: 2, vectors: { image: { dense: encodeF32([1, 2, 3, 4]) } }, payload: null }];
    const err = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'append' }), descriptor(name), records, { writeSize: 10 }));
    expect(err.code).toBe('SCHEMA_MISMATCH');
    expect(err.message).toMatch(/point 2 of dataset ".*": vector "image" is not a vector of collection ".*" \(its vectors: "text", "s"\)/);
    expect((await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${name}/points/count`, { exact: true })).count).toBe(0);
  });

  it('refuses an existing target by default, and a target whose schema differs with every difference explained', async () => {
    const name = uniqueName('bad_exists');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { text: { size: 8, distance: 'Cosine' } } });
    const exists = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey }), descriptor(name), [good(1)]));
    expect(exists.code).toBe('TARGET_EXISTS');
    expect(exists.message).toMatch(new RegExp(`collection "${name}" already exists`));
    expect(exists.hint).toMatch(/--if-exists append.*--rename/);
    const mismatch = await failure(loadInto(qdrantSink({ url: q.url, apiKey: q.apiKey, ifExists: 'append' }), descriptor(name), [good(1)]));
    expect(mismatch.code).toBe('SCHEMA_MISMATCH');
    expect(mismatch.message).toContain('vector "text": size 4 in the archive, 8 in the target');
    expect(mismatch.message).toContain('vector "text": distance Dot in the archive, Cosine in the target');
    expect(mismatch.message).toContain('sparse vector "s": present in the archive, absent in the target');
    expect((await rest<{ count: number }>(q.url, q.apiKey, 'POST', `/collections/${name}/points/count`, { exact: true })).count).toBe(0);
  });

  it('reports a missing source collection as NOT_FOUND', async () => {
    const err = await failure(qdrantSource({ url: q.url, apiKey: q.apiKey, collections: ['no_such_collection_x'] }).open());
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/no collection "no_such_collection_x"/);
  });

  it('reports an unreachable server as CONNECTION_FAILED', async () => {
    const err = await failure(qdrantSource({ url: 'http://127.0.0.1:9', retry: { attempts: 2, baseMs: 5, maxMs: 10 } }).open());
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.hint).toMatch(/QDRANT_URL/);
  });

  it('reports a wrong API key as AUTH_FAILED without printing it', async () => {
    const secret = 'correct-horse-battery';
    const wrong = 'wrong-key-0123456789';
    const emu = q.real ? null : await startQdrantEmulator({ apiKey: secret });
    const url = emu ? emu.url : q.url;
    try {
      const logs: string[] = [];
      const err = await failure(qdrantSource({ url, apiKey: wrong, log: (m) => logs.push(m) }).open());
      expect(err.code).toBe('AUTH_FAILED');
      expect(err.hint).toMatch(/QDRANT_API_KEY/);
      const text = JSON.stringify({ m: err.message, h: err.hint, c: err.context, logs });
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(secret);
      const err2 = await failure(loadInto(qdrantSink({ url, apiKey: wrong }), descriptor(uniqueName('bad_auth')), [good(1)]));
      expect(err2.code).toBe('AUTH_FAILED');
      if (emu) {
        // The right key works, and the sink wrote nothing under the wrong one.
        const res = await fetch(`${url}/collections`, { headers: { 'api-key': secret } });
        expect(((await res.json()) as { result: { collections: unknown[] } }).result.collections).toEqual([]);
      }
    } finally {
      await emu?.close();
    }
  });

  it('keeps URL credentials out of descriptors and messages', async () => {
    const url = q.url.replace('://', '://user:pa55word@');
    const name = uniqueName('bad_cred');
    created.add(name);
    await rest(q.url, q.apiKey, 'PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Dot' } });
    const [ds] = await qdrantSource({ url, apiKey: q.apiKey, collections: [name] }).open();
    expect(ds!.descriptor.source.url).toBe(q.url.replace('://', '://***@') + '/'); // the user part may be a token too
    const err = await failure(qdrantSource({ url: url.replace(/:\d+/, ':9'), retry: { attempts: 1, baseMs: 1, maxMs: 1 } }).open());
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(`${err.message} ${err.hint}`).not.toContain('pa55word');
  });
});
