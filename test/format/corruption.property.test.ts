/**
 * Corruption anywhere (property): a changed byte or a cut at any offset of the golden archive is
 * either refused with a MemarcError (never a bare Error), or, for a byte the format leaves
 * unchecked (tar padding), read with exactly the golden records and digests. Never different data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemarcError } from '../../src/errors.ts';
import { stringifyJson } from '../../src/format/json.ts';
import { layout } from '../../fixtures/forge.ts';
import { golden, readAll, type ReadResult } from './support.ts';

const g = golden();
const content = (r: ReadResult) => JSON.stringify({ records: [...r.records].map(([k, v]) => [k, v.map(stringifyJson)]), digests: r.digests ? [...r.digests] : null });
let baseline = '';

async function check(buf: Buffer, what: string): Promise<'refused' | 'same'> {
  const r = await readAll(buf);
  if (r.error) {
    expect(r.error, `${what}: ${String(r.error)}`).toBeInstanceOf(MemarcError);
    expect(r.trailer, what).toBeNull();
    return 'refused';
  }
  baseline ||= content(await readAll(g));
  expect(content(r), `${what} was read as different data`).toBe(baseline);
  return 'same';
}

const flip = (off: number, mask: number) => {
  const b = Buffer.from(g);
  b[off]! ^= mask;
  return b;
};

describe('corruption anywhere (property)', () => {
  it('a changed byte at a random offset: refused, or the very same data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: g.length - 1 }), fc.integer({ min: 1, max: 255 }), async (off, mask) => {
        await check(flip(off, mask), `byte ${off} ^ ${mask}`);
      }),
      { numRuns: 400 },
    );
  });

  it('every byte of a shard\'s pax and ustar header blocks changed in turn: refused, or the same data', async () => {
    const shard = layout(g).entries.find((e) => e.name.endsWith('node-000002.ndjson.gz'))!;
    const outcomes = new Set<string>();
    for (let off = shard.start; off < shard.bodyAt; off++) {
      // Bytes past the pax record text and in unused ustar fields are padding; the rest are checked.
      outcomes.add(await check(flip(off, 0x20), `byte ${off}`));
    }
    expect(outcomes).toContain('refused');
  });

  it('a cut at a random offset: TRUNCATED or MISSING_TRAILER, never success', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: g.length - 1 }), async (cut) => {
        const r = await readAll(g.subarray(0, cut));
        expect(r.error, `cut at ${cut}`).toBeInstanceOf(MemarcError);
        expect(['TRUNCATED', 'MISSING_TRAILER']).toContain((r.error as MemarcError).code);
      }),
      { numRuns: 300 },
    );
  });
});
