/**
 * The point and edge digests are computed in pieces for speed; they must equal SHA-256 over the
 * reference canonical form (spec/FORMAT.md, "Canonical form") for every kind of point and edge.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/format/canonical.ts';
import { DatasetDigest, pointCanonical, pointHash, UnknownNodeKeyError } from '../../src/format/digest.ts';
import { encodeF32, type EdgeRecord, type Json, type NodeRecord, type PointRecord, type VectorValue } from '../../src/format/records.ts';

const reference = (p: PointRecord) => createHash('sha256').update('memarc.v1.point\n').update(pointCanonical(p)).digest('hex');

const f32 = fc.array(fc.float({ noNaN: false }), { minLength: 0, maxLength: 6 }).map((xs) => encodeF32(xs));
const vector: fc.Arbitrary<VectorValue> = fc.oneof(
  f32.map((dense) => ({ dense })),
  fc.array(f32, { minLength: 1, maxLength: 3 }).map((multi) => ({ multi })),
  fc.uniqueArray(fc.nat(1000), { maxLength: 5 }).map((ix) => {
    const indices = [...ix].sort((a, b) => a - b);
    return { sparse: { indices, values: encodeF32(indices.map((i) => i / 7)) } };
  }),
);
const point: fc.Arbitrary<PointRecord> = fc.record({
  id: fc.oneof(fc.nat(), fc.bigInt({ min: 1n << 53n, max: (1n << 64n) - 1n }), fc.uuid().map((u) => u.toUpperCase())),
  vectors: fc.dictionary(fc.string({ unit: 'binary' }), vector, { maxKeys: 4 }),
  payload: fc.oneof(fc.constant(null), fc.dictionary(fc.string(), fc.jsonValue() as fc.Arbitrary<never>, { maxKeys: 4 })),
});

describe('point digest in pieces', () => {
  it('equals the hash of the reference canonical form', () => {
    fc.assert(fc.property(point, (p) => {
      expect(pointHash(p).toString('hex')).toBe(reference(p));
    }), { numRuns: 500 });
  });

  it('equals it for vector texts that are not base64, whatever character breaks them', () => {
    // The pieces path hashes a vector's text as it is only when decoding it natively proves that
    // JSON escapes none of its characters (digest.ts safeB64); every other text takes the reference path.
    const base = encodeF32([1, 2, 3, 4, 5, 6]);
    const breakers = ['"', '\\', '\u0000', '\u001f', '\n', ' ', 'é', '\u{1F600}', '\ud800', '=', '%', '-', '_', '\u2028'];
    const texts = [base, base.slice(0, -1), ...breakers.flatMap((c) => [c + base.slice(1), base.slice(0, 9) + c + base.slice(10), base.slice(0, -1) + c, base + c + c + c + c])];
    for (const dense of texts) {
      for (const vectors of [{ v: { dense } }, { m: { multi: [base, dense] } }]) {
        const p = { id: 7, vectors, payload: {} } as unknown as PointRecord;
        expect(pointHash(p).toString('hex'), JSON.stringify(dense)).toBe(reference(p));
      }
    }
    // Longer than the decoding scratch room: decoded into a buffer of its own.
    const long = encodeF32(new Float32Array(20_000).fill(0.5));
    for (const dense of [long, long.slice(0, 100) + '"' + long.slice(101)]) {
      const p = { id: 8, vectors: { '': { dense } }, payload: {} } as unknown as PointRecord;
      expect(pointHash(p).toString('hex')).toBe(reference(p));
    }
  });

  it('changes when one bit of a vector changes', () => {
    const a: PointRecord = { id: 1, vectors: { '': { dense: encodeF32([1, 2, 3]) } }, payload: {} };
    const b: PointRecord = { id: 1, vectors: { '': { dense: encodeF32([1, 2, 3.0000002]) } }, payload: {} };
    expect(pointHash(a).equals(pointHash(b))).toBe(false);
  });
});

describe('edge digest in pieces', () => {
  // The spec's rule, from canonicalJson alone: a node hashes its labels and props, an edge its
  // endpoints' node hashes (hex), props and type; the dataset digest is their sum mod 2^256.
  const sha = (text: string): Buffer => createHash('sha256').update(text).digest();
  const sum = (hashes: Buffer[]): string => {
    let s = 0n;
    for (const h of hashes) s = (s + BigInt('0x' + h.toString('hex'))) % (1n << 256n);
    return s.toString(16).padStart(64, '0');
  };
  const propValue = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ double: d })), fc.array(fc.string(), { maxLength: 3 }));
  const props = fc.dictionary(fc.string(), propValue, { maxKeys: 4 });
  const graph = fc.record({
    keys: fc.uniqueArray(fc.oneof(fc.nat(200_000), fc.string({ minLength: 1 })), { minLength: 1, maxLength: 8, selector: (k) => `${typeof k}:${k}` }),
    nodeProps: fc.array(props, { minLength: 8, maxLength: 8 }),
    edges: fc.array(fc.record({ s: fc.nat(7), d: fc.nat(7), type: fc.string(), props }), { maxLength: 10 }),
  });

  it('equals the hash of the reference canonical form, for any edge', () => {
    fc.assert(
      fc.property(graph, (g) => {
        const digest = new DatasetDigest({ major: 1 });
        const nodeHash = new Map<unknown, Buffer>();
        const hashes: Buffer[] = [];
        g.keys.forEach((key, i) => {
          const n: NodeRecord = { key, labels: ['Memory'], props: g.nodeProps[i]! as never };
          digest.add('node', n);
          const h = sha('memarc.v1.node\n' + canonicalJson({ labels: n.labels, props: n.props } as Json));
          nodeHash.set(key, h);
          hashes.push(h);
        });
        for (const e of g.edges) {
          const src = g.keys[e.s % g.keys.length]!;
          const dst = g.keys[e.d % g.keys.length]!;
          const r: EdgeRecord = { src, dst, type: e.type, props: e.props as never };
          digest.add('edge', r);
          hashes.push(sha('memarc.v1.edge\n' + canonicalJson({ dst: nodeHash.get(dst)!.toString('hex'), props: r.props, src: nodeHash.get(src)!.toString('hex'), type: r.type } as Json)));
        }
        expect(digest.hex()).toBe(sum(hashes));
        digest.dropNodeTable();
      }),
      { numRuns: 300 },
    );
  });

  it('an edge to a key no node has is refused', () => {
    const digest = new DatasetDigest({ major: 1 });
    digest.add('node', { key: 1, labels: [], props: {} });
    expect(() => digest.add('edge', { src: 1, dst: 2, type: 'T', props: {} })).toThrow(UnknownNodeKeyError);
    expect(() => digest.add('edge', { src: 3, dst: 1, type: 'T', props: {} })).toThrow(UnknownNodeKeyError);
    digest.dropNodeTable();
  });
});
