import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addPointId } from '../../src/format/key-set.ts';
import { PointIdGuard } from '../../src/format/point-ids.ts';
import { SpillFile } from '../../src/format/spill-file.ts';
import { MemarcError } from '../../src/errors.ts';

type Id = number | bigint | string;

/** The id's identity: integers by value, UUIDs without regard to case. */
function canon(id: Id): string {
  return typeof id === 'string' ? `u:${id.replace(/-/g, '').toLowerCase()}` : `n:${BigInt(id)}`;
}

function uuidOf(n: bigint): string {
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A guard whose spill files are counted. */
function counted(): { guard: PointIdGuard; files: () => number } {
  let files = 0;
  const guard = new PointIdGuard({
    spillFile: () => {
      files++;
      return SpillFile.create();
    },
  });
  return { guard, files: () => files };
}

describe('PointIdGuard', () => {
  it('holds no set while ids come in Qdrant scroll order (integers, then UUIDs), past its buffer into a file', () => {
    const { guard, files } = counted();
    for (let i = 0; i < 10_000; i++) expect(addPointId(guard, i * 3)).toBe(true);
    expect(addPointId(guard, 2n ** 64n - 1n)).toBe(true);
    for (let i = 1; i < 10_000; i++) expect(addPointId(guard, uuidOf(BigInt(i) << 64n))).toBe(true);
    expect(guard.inOrder).toBe(true);
    expect(files()).toBe(1);
    guard.close();
  });

  it('refuses a repeat of the last id without leaving the ordered mode', () => {
    const g = new PointIdGuard();
    expect(addPointId(g, 7)).toBe(true);
    expect(addPointId(g, 7n)).toBe(false);
    expect(addPointId(g, '0000000a-0000-0000-0000-00000000000A')).toBe(true);
    expect(addPointId(g, '0000000a-0000-0000-0000-00000000000a')).toBe(false);
    expect(g.inOrder).toBe(true);
    g.close();
  });

  it('once out of order, refuses a repeat of any earlier id, from the file and from the buffer', () => {
    const { guard, files } = counted();
    for (let i = 0; i < 10_000; i++) addPointId(guard, i);
    expect(files()).toBe(1);
    expect(addPointId(guard, 5)).toBe(false); // breaks the order: the set is built from file and buffer
    expect(guard.inOrder).toBe(false);
    expect(addPointId(guard, 9_999)).toBe(false); // in the buffer, not yet written
    expect(addPointId(guard, 3_900)).toBe(false); // in the file
    expect(addPointId(guard, 10_000)).toBe(true);
    expect(addPointId(guard, 4_294_967_296 + 5)).toBe(true);
    expect(addPointId(guard, 5)).toBe(false);
    guard.close();
    guard.close();
  });

  it('property: in any order, accepts exactly the ids not seen before', () => {
    const small = fc.oneof(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }).map((n) => BigInt(n)),
      fc.bigInt({ min: 2n ** 32n - 3n, max: 2n ** 32n + 3n }),
      fc.bigInt({ min: 2n ** 64n - 4n, max: 2n ** 64n - 1n }),
      fc.integer({ min: 0, max: 40 }).map((n) => uuidOf(BigInt(n) * 0x1000000010000000n)),
      fc.integer({ min: 0, max: 40 }).map((n) => uuidOf(BigInt(n) << 100n).toUpperCase()),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9000 }), fc.array(small, { maxLength: 60 }), (ordered, rest) => {
        const g = new PointIdGuard();
        const seen = new Set<string>();
        // An ordered run first (crossing the 64 KiB buffer when long), then anything.
        const ids: Id[] = [...Array.from({ length: ordered }, (_, i) => i * 2), ...rest];
        const want: boolean[] = [];
        const got: boolean[] = [];
        for (const id of ids) {
          want.push(!seen.has(canon(id)));
          seen.add(canon(id));
          got.push(addPointId(g, id));
        }
        g.close();
        expect(got).toEqual(want);
      }),
      { numRuns: 150 },
    );
  });

  it('a temporary file that cannot be made is an IO error (exit 3), naming the place', () => {
    const g = new PointIdGuard({ spillFile: () => SpillFile.create('/nonexistent-memarc-dir/x') });
    let caught: unknown;
    try {
      for (let i = 0; i < 5_000; i++) addPointId(g, i);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MemarcError);
    expect((caught as MemarcError).code).toBe('IO');
    expect((caught as Error).message).toContain('/nonexistent-memarc-dir/x');
  });
});
