/**
 * The point digest is computed in pieces for speed; it must equal SHA-256 over the reference
 * canonical form (spec/FORMAT.md, "Canonical form") for every kind of point.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointCanonical, pointHash } from '../../src/format/digest.ts';
import { encodeF32, type PointRecord, type VectorValue } from '../../src/format/records.ts';

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

  it('changes when one bit of a vector changes', () => {
    const a: PointRecord = { id: 1, vectors: { '': { dense: encodeF32([1, 2, 3]) } }, payload: {} };
    const b: PointRecord = { id: 1, vectors: { '': { dense: encodeF32([1, 2, 3.0000002]) } }, payload: {} };
    expect(pointHash(a).equals(pointHash(b))).toBe(false);
  });
});
