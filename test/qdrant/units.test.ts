/** Pure parts of the Qdrant adapter: conversion, validation, read-back rule, retry, planning. */
import { describe, expect, it } from 'vitest';
import { densePoints, densePointText, idKey, pointJson, recordFromQdrant } from '../../src/adapters/qdrant/convert.ts';
import fc from 'fast-check';
import { createBody, payloadIndexes, vectorSpecs } from '../../src/adapters/qdrant/fingerprint.ts';
import { switchActions, targetState, versionedName } from '../../src/adapters/qdrant/plan.ts';
import { backoffMs, parseRetryAfter } from '../../src/adapters/qdrant/retry.ts';
import { nextLimit } from '../../src/adapters/qdrant/source.ts';
import { TaskPool } from '../../src/adapters/qdrant/pool.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { validatePoint } from '../../src/adapters/qdrant/validate.ts';
import { cosineMismatch, pointMismatch, storedPointMismatch } from '../../src/adapters/qdrant/verify.ts';
import { qdrantOptionsFromEnv } from '../../src/adapters/qdrant/index.ts';
import { parseJson } from '../../src/format/json.ts';
import { decodeF32, encodeF32, type JsonObject, type PointRecord } from '../../src/format/records.ts';
import { MemarcError } from '../../src/errors.ts';

const fp: JsonObject = {
  params: {
    vectors: {
      text: { size: 3, distance: 'Cosine' },
      colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } },
      bytes: { size: 2, distance: 'Euclid', datatype: 'uint8' },
    },
    sparse_vectors: { bm25: { modifier: 'idf' } },
  },
  optimizer_config: { indexing_threshold: 20000, max_optimization_threads: null },
  quantization_config: null,
  payload_schema: { tenant: { data_type: 'keyword', params: { type: 'keyword', is_tenant: true } }, n: { data_type: 'integer' } },
  aliases: ['a'],
};
const specs = vectorSpecs(fp);

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return Array.from(Float32Array.from(v.map((x) => x / n)));
}

describe('point conversion', () => {
  it('round-trips every vector kind and keeps big ids exact through JSON', () => {
    const text = '{"id":18446744073709551615,"vector":{"text":[0.1,0.2,0.3],"colbert":[[1,2],[3,4]],"bm25":{"indices":[7,3],"values":[0.5,1.5]}},"payload":{"big":9007199254740993,"f":1.5}}';
    const p = parseJson(text) as Parameters<typeof recordFromQdrant>[0];
    const r = recordFromQdrant(p);
    expect(r.id).toBe(18446744073709551615n);
    expect(r.payload).toEqual({ big: 9007199254740993n, f: 1.5 });
    expect(Array.from(decodeF32((r.vectors.text as { dense: string }).dense))).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3])));
    expect((r.vectors.colbert as { multi: string[] }).multi).toHaveLength(2);
    expect((r.vectors.bm25 as { sparse: { indices: number[] } }).sparse.indices).toEqual([7, 3]);
    const back = pointJson(r).toString();
    expect(back).toContain('"id":18446744073709551615');
    expect(back).toContain('"big":9007199254740993');
    expect(recordFromQdrant(parseJson(back) as Parameters<typeof recordFromQdrant>[0])).toEqual(r);
  });

  it('uses the plain form for the unnamed vector alone, and reads multivectors and empty vectors', () => {
    const r: PointRecord = { id: 'A1B2C3D4-0000-4000-8000-000000000001', vectors: { '': { dense: encodeF32([1, 2]) } }, payload: null };
    expect(pointJson(r).toString()).toBe('{"id":"A1B2C3D4-0000-4000-8000-000000000001","vector":[1,2]}');
    expect(recordFromQdrant({ id: 1, vector: [[1, 2], [3, 4]] }).vectors['']).toHaveProperty('multi');
    expect(recordFromQdrant({ id: 1 }).vectors).toEqual({});
  });

  it('matches ids by value, UUIDs in any case or form', () => {
    expect(idKey(5)).toBe(idKey(5n));
    expect(idKey('A1B2C3D4-0000-4000-8000-000000000001')).toBe(idKey('a1b2c3d4000040008000000000000001'));
    expect(idKey(5)).not.toBe(idKey('5'));
  });
});

describe('validatePoint', () => {
  const ok: PointRecord = {
    id: 1,
    vectors: { text: { dense: encodeF32([1, 0, 0]) }, colbert: { multi: [encodeF32([1, 2])] }, bm25: { sparse: { indices: [1, 5], values: encodeF32([1, 2]) } }, bytes: { dense: encodeF32([0, 255]) } },
    payload: {},
  };
  const err = (r: PointRecord): MemarcError => {
    try {
      validatePoint(r, specs, 'coll', 'ds');
    } catch (e) {
      return e as MemarcError;
    }
    throw new Error('no error');
  };

  it('accepts a point that fits', () => {
    expect(() => validatePoint(ok, specs, 'coll', 'ds')).not.toThrow();
  });

  it('names the point and vector on a dimension mismatch', () => {
    const e = err({ ...ok, id: 42, vectors: { text: { dense: encodeF32([1, 2]) } } });
    expect(e.code).toBe('SCHEMA_MISMATCH');
    expect(e.message).toBe('point 42 of dataset "ds": vector "text" has 2 dimensions, the target expects 3 (collection "coll")');
  });

  it('refuses unknown names, wrong kinds, bad sparse vectors, bad uint8 values and bad ids', () => {
    expect(err({ ...ok, vectors: { nope: { dense: encodeF32([1]) } } }).message).toMatch(/vector "nope" is not a vector of collection "coll" \(its vectors: "text", "colbert", "bytes", "bm25"\)/);
    expect(err({ ...ok, vectors: { text: { multi: [encodeF32([1, 2, 3])] } } }).message).toMatch(/is a multivector, the target declares a dense vector/);
    expect(err({ ...ok, vectors: { bm25: { sparse: { indices: [1, 1], values: encodeF32([1, 2]) } } } }).message).toMatch(/repeats index 1/);
    expect(err({ ...ok, vectors: { bm25: { sparse: { indices: [1], values: encodeF32([1, 2]) } } } }).message).toMatch(/1 indices but 2 values/);
    expect(err({ ...ok, vectors: { bytes: { dense: encodeF32([0.5, 1]) } } }).message).toMatch(/component 0 is 0.5, which a uint8 vector cannot hold/);
    const idErr = err({ ...ok, id: -1 });
    expect(idErr.code).toBe('MALFORMED_RECORD');
    expect(err({ ...ok, id: 'not-a-uuid' }).message).toMatch(/id string is not a UUID/);
    expect(err({ ...ok, id: 1n << 64n }).message).toMatch(/outside the unsigned 64-bit range/);
  });
});

describe('read-back rule', () => {
  it('accepts a Cosine vector renormalised by the server, within the bound', () => {
    const a = Float32Array.from(unit([0.3, -0.2, 0.9, 0.1]));
    // What a server computing the norm in float32 would store.
    let s = Math.fround(0);
    for (const x of a) s = Math.fround(s + Math.fround(x * x));
    const len = Math.fround(Math.sqrt(s));
    const live = a.map((x) => Math.fround(x / len));
    expect(cosineMismatch(a, live, 2 ** -24)).toBeNull();
  });

  it('accepts an unnormalised archive vector that the server normalised', () => {
    const a = Float32Array.from([3, 4]);
    expect(cosineMismatch(a, Float32Array.from([0.6, 0.8]), 2 ** -24)).toBeNull();
  });

  it('refuses a Cosine vector changed by more than the bound (float16 truncation, other vector)', () => {
    const a = Float32Array.from(unit([0.3, -0.2, 0.9, 0.1]));
    const f16ish = a.map((x) => x * (1 + 2 ** -11));
    expect(cosineMismatch(a, f16ish, 2 ** -24)).toMatch(/component 0 is .* bound/);
    expect(cosineMismatch(a, Float32Array.from(unit([0.3, -0.2, 0.9, 0.2])), 2 ** -24)).not.toBeNull();
    expect(cosineMismatch(a, a.subarray(0, 3), 2 ** -24)).toBe('3 components instead of 4');
  });

  it('compares non-Cosine vectors bit-exactly, sparse vectors in any order, payloads exactly', () => {
    const archive: PointRecord = {
      id: 1,
      vectors: { colbert: { multi: [encodeF32([1, 2])] }, bm25: { sparse: { indices: [5, 1], values: encodeF32([2, 1]) } } },
      payload: { a: 1, b: [1, 'x'] },
    };
    const same: PointRecord = {
      id: 1,
      vectors: { colbert: { multi: [encodeF32([1, 2])] }, bm25: { sparse: { indices: [1, 5], values: encodeF32([1, 2]) } } },
      payload: { b: [1, 'x'], a: 1 },
    };
    expect(pointMismatch(archive, same, specs)).toBeNull();
    const tiny = Math.fround(2 + 2 ** -22);
    expect(pointMismatch(archive, { ...same, vectors: { ...same.vectors, colbert: { multi: [encodeF32([1, tiny])] } } }, specs)).toMatch(/vector "colbert": sub-vector 0: component 1/);
    expect(pointMismatch(archive, { ...same, payload: { a: 2, b: [1, 'x'] } }, specs)).toBe('payload differs: a is 2, the archive has 1');
    expect(pointMismatch(archive, { ...same, vectors: { colbert: same.vectors.colbert! } }, specs)).toBe('vector "bm25": missing');
    expect(pointMismatch({ ...archive, payload: null }, { ...same, payload: {} }, specs)).toBe(null);
  });

  it('compares a stored point as the server returned it exactly as through its archive form', () => {
    const specsOf = (distance: string) => vectorSpecs({ params: { vectors: { size: 4, distance } } } as unknown as JsonObject);
    const a = Float32Array.from(unit([0.3, -0.2, 0.9, 0.1]));
    const archive: PointRecord = { id: 7, vectors: { '': { dense: encodeF32(a) } }, payload: { n: 1 } };
    const renormalised = Array.from(a.map((x) => Math.fround(x / Math.fround(1 + 2 ** -23))));
    const cases: Array<[string, number[] | number[][], JsonObject | null]> = [
      ['Cosine', Array.from(a), { n: 1 }],
      ['Cosine', renormalised, { n: 1 }],
      ['Cosine', Array.from(a.map((x) => x * (1 + 2 ** -11))), { n: 1 }],
      ['Cosine', Array.from(a).slice(0, 3), { n: 1 }],
      ['Dot', Array.from(a), { n: 1 }],
      ['Dot', renormalised, { n: 1 }],
      ['Dot', Array.from(a), { n: 2 }],
      ['Dot', [[1, 2]], { n: 1 }],
    ];
    const outcomes = cases.map(([distance, vector, payload]) => {
      const live = { id: 7, vector, payload };
      const expected = pointMismatch(archive, recordFromQdrant(live), specsOf(distance));
      expect(storedPointMismatch(archive, live, specsOf(distance))).toBe(expected);
      // As the sink holds it in flight: the vector decoded once (convert.ts DensePoint).
      expect(storedPointMismatch(densePoints([archive])![0]!, live, specsOf(distance))).toBe(expected);
      return expected === null;
    });
    // Both verdicts occur: the cases would catch a comparison that always agreed or always refused.
    expect(outcomes).toEqual([true, true, false, false, true, false, false, false]);
  });
});

describe('points held in flight with their vectors decoded (DensePoint)', () => {
  const bits = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 });
  const payload = fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxKeys: 3 }), { nil: null });
  const id = fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uuid());
  const record = fc.record({ id, bits, payload }).map(({ id, bits, payload }): PointRecord => ({ id, vectors: { '': { dense: encodeF32(new Float32Array(Int32Array.from(bits).buffer)) } }, payload }));

  it('write the same upsert text as their records, byte for byte, and keep each vector bit for bit (property)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), (records) => {
        const held = densePoints(records)!;
        expect(held).toHaveLength(records.length);
        records.forEach((r, i) => {
          const p = held[i]!;
          expect(p.id).toBe(r.id);
          expect(p.payload).toBe(r.payload);
          expect(encodeF32(p.dense)).toBe((r.vectors['']! as { dense: string }).dense);
          const t = densePointText(p);
          const out = Buffer.alloc(t.size);
          expect(out.subarray(0, t.write(out, 0)).toString()).toBe(pointJson(r).toString());
        });
      }),
      { numRuns: 300 },
    );
  });

  it('are told from records by their lack of `vectors`: a record carrying a member named `dense` is still a record', () => {
    const specs = vectorSpecs({ params: { vectors: { text: { size: 3, distance: 'Dot' } } } } as unknown as JsonObject);
    const r = { id: 1, vectors: { text: { dense: encodeF32([1, 2, 3]) } }, payload: null, dense: encodeF32([9, 9, 9]) } as PointRecord;
    expect(storedPointMismatch(r, { id: 1, vector: { text: [1, 2, 3] }, payload: null }, specs)).toBeNull();
    expect(storedPointMismatch(r, { id: 1, vector: { text: [9, 9, 9] }, payload: null }, specs)).toMatch(/vector "text"/);
  });

  it('are not made for a batch with any other vector shape, or a vector that is not whole float32s', () => {
    const plain: PointRecord = { id: 1, vectors: { '': { dense: encodeF32([1, 2]) } }, payload: null };
    expect(densePoints([plain])).not.toBeNull();
    expect(densePoints([])).toEqual([]);
    const others: PointRecord[] = [
      { id: 2, vectors: { text: { dense: encodeF32([1, 2]) } }, payload: null },
      { id: 3, vectors: { '': { dense: encodeF32([1, 2]) }, b: { dense: encodeF32([1]) } }, payload: null },
      { id: 4, vectors: { '': { multi: [encodeF32([1, 2])] } }, payload: null },
      { id: 5, vectors: { s: { sparse: { indices: [1], values: encodeF32([1]) } } }, payload: null },
      { id: 6, vectors: {}, payload: null },
      { id: 7, vectors: { '': { dense: 'AAAAAAA=' } }, payload: null }, // 5 bytes: not whole float32s
      { id: 8, vectors: { '': { dense: 'AAAAAA==' } }, payload: null }, // 4 bytes: one float32
    ];
    for (const r of others.slice(0, 6)) {
      expect(densePoints([plain, r]), String(r.id)).toBeNull();
      expect(densePoints([r, plain]), String(r.id)).toBeNull();
    }
    // The last one decodes to 4 bytes: whole, and held.
    expect(densePoints([others[6]!])![0]!.dense).toHaveLength(1);
  });
});

describe('retry and paging arithmetic', () => {
  it('honours Retry-After in seconds and as a date, capped', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffMs({ attempts: 5, baseMs: 100, maxMs: 1000 }, 1, '3')).toBe(1000);
  });

  it('backs off exponentially with jitter inside [ceiling/2, ceiling]', () => {
    const p = { attempts: 8, baseMs: 100, maxMs: 1000 };
    expect(backoffMs(p, 1, null, () => 0)).toBe(50);
    expect(backoffMs(p, 3, null, () => 1)).toBe(400);
    expect(backoffMs(p, 10, null, () => 1)).toBe(1000);
  });

  it('sizes scroll pages from the observed bytes per point', () => {
    expect(nextLimit(16, 33_000, 256, 8 * 1024 * 1024)).toBe(32); // grows at most 2x
    expect(nextLimit(256, 33_000, 256, 8 * 1024 * 1024)).toBe(254);
    expect(nextLimit(256, 4_000_000, 256, 8 * 1024 * 1024)).toBe(2);
    expect(nextLimit(256, 40_000_000, 256, 8 * 1024 * 1024)).toBe(1);
  });
});

describe('collection creation and replace planning', () => {
  it('recreates the schema with optimizers_config, without nulls, deferring indexing on request', () => {
    const body = createBody(fp, { indexingThreshold: 0 });
    expect(body.optimizers_config).toEqual({ indexing_threshold: 0 });
    expect(body).not.toHaveProperty('optimizer_config');
    expect(body).not.toHaveProperty('quantization_config');
    expect(body.sparse_vectors).toEqual({ bm25: { modifier: 'idf' } });
    expect(payloadIndexes(fp)).toEqual([
      { field_name: 'tenant', field_schema: { type: 'keyword', is_tenant: true } },
      { field_name: 'n', field_schema: 'integer' },
    ]);
  });

  it('switches an alias atomically and turns a collection into an alias', () => {
    const aliases = new Map([['docs', 'docs-v1']]);
    expect(targetState('docs', false, aliases)).toEqual({ kind: 'alias', collection: 'docs-v1' });
    expect(targetState('other', true, aliases)).toEqual({ kind: 'collection' });
    expect(switchActions('docs', 'docs-v2', { kind: 'alias', collection: 'docs-v1' })).toEqual([
      { delete_alias: { alias_name: 'docs' } },
      { create_alias: { alias_name: 'docs', collection_name: 'docs-v2' } },
    ]);
    expect(versionedName('docs', 'AB:cd0123456789ff', () => false)).toBe('docs-memarc-abcd01234567');
    expect(versionedName('docs', 'abc', (n) => n === 'docs-memarc-abc')).toBe('docs-memarc-abc-2');
  });

  it('reads connection options from the environment', () => {
    expect(qdrantOptionsFromEnv({ QDRANT_URL: 'http://q:6333', QDRANT_API_KEY: 'k3y' })).toEqual({ url: 'http://q:6333', apiKey: 'k3y' });
    expect(qdrantOptionsFromEnv({})).toEqual({ url: 'http://localhost:6333' });
  });
});

describe('TaskPool', () => {
  it('keeps at most `limit` tasks in flight and waits for all on drain', async () => {
    const pool = new TaskPool(3);
    let running = 0;
    let peak = 0;
    let finished = 0;
    for (let i = 0; i < 10; i++) {
      await pool.submit(async () => {
        running++;
        peak = Math.max(peak, running);
        await delay(5);
        running--;
        finished++;
      });
    }
    await pool.drain();
    expect(peak).toBe(3);
    expect(finished).toBe(10);
  });

  it('rethrows the first failure on the next submit and on drain, and starts nothing after it', async () => {
    const pool = new TaskPool(2);
    await pool.submit(async () => {
      await delay(5);
      throw new Error('first');
    });
    await pool.submit(async () => {
      await delay(20);
      throw new Error('second');
    });
    // Both slots are busy: this submit waits, sees the first failure, and never starts its task.
    let started = false;
    await expect(pool.submit(async () => void (started = true))).rejects.toThrow('first');
    await expect(pool.drain()).rejects.toThrow('first');
    expect(started).toBe(false);
  });
});

describe('recordFromQdrant: a vector that is not numbers', () => {
  it.each([
    ['a string element', { id: 7, vector: [0.5, 'x', 1] }, '""', /point 7: vector "" holds "x" at element 1/],
    ['an object element', { id: 7, vector: { text: [0.5, { x: 1 }] } }, '"text"', /vector "text" holds an object at element 1/],
    ['a big integer element', { id: 'a0b1c2d3-0000-4000-8000-000000000001', vector: [1, 2n ** 70n] }, '""', /holds \d+ at element 1|holds bigint at element 1/],
    ['a multivector row of strings', { id: 3, vector: { m: [[1, 2], ['a', 'b']] } }, '"m"', /vector "m" holds "a" at element 0/],
    ['sparse values that are not numbers', { id: 3, vector: { s: { indices: [1, 4], values: [0.5, true] } } }, '"s"', /vector "s" holds true at element 1/],
    ['sparse indices that are not whole numbers', { id: 3, vector: { s: { indices: [1.5], values: [0.5] } } }, '"s"', /sparse indices that are not whole numbers/],
    ['an unknown shape', { id: 3, vector: { s: 'dense' } }, '"s"', /vector "s" has an unknown shape/],
  ] as const)('%s is a STORE_ERROR naming the point and the vector, not NaN in the archive', (_what, point, name, message) => {
    let err: unknown;
    try {
      recordFromQdrant(point as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('STORE_ERROR');
    expect((err as MemarcError).message).toContain(`vector ${name}`);
    expect((err as MemarcError).message).toMatch(message);
  });

  it('null (how the server prints a NaN it holds) is kept as NaN, spec section 15.2', () => {
    const r = recordFromQdrant({ id: 1, vector: [1, null as unknown as number, 2] });
    const back = Array.from(decodeF32((r.vectors['']! as { dense: string }).dense));
    expect(back[0]).toBe(1);
    expect(Number.isNaN(back[1])).toBe(true);
    expect(back[2]).toBe(2);
  });

  it('numbers of every float32 kind still convert exactly', () => {
    const xs = [0, -0, 1.5, -3.4028234663852886e38, 1.401298464324817e-45, Math.fround(0.1)];
    const r = recordFromQdrant({ id: 1, vector: xs });
    expect(Array.from(decodeF32((r.vectors['']! as { dense: string }).dense))).toEqual(xs);
  });
});
