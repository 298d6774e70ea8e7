/**
 * No archive makes the reader fail with anything but a typed error (property, issue 9): archives
 * built from the golden one with a member nested to any depth (0 to 100,000, arrays or objects)
 * in a record, a vector, a graph value, the header or the trailer, a string of any size around
 * the line limit, and then, or not, a byte changed or the end cut off. Reading them, decoded or
 * not, gives their records or a MemarcError whose code is not INTERNAL; never a RangeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MemarcError } from '../../src/errors.ts';
import { DEFAULT_LIMITS } from '../../src/format/reader.ts';
import { pack, reseal, unpack } from '../../fixtures/forge.ts';
import { DEEP, editJson, editLine, NODE_SHARD_1, SHARD } from '../../fixtures/negatives.ts';
import { golden, readAll } from './support.ts';

const g = golden();

const deepText = (depth: number, arrays: boolean) => (arrays ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

/** Where a member goes: a line edit of a shard, or a member of header.json or trailer.json. */
const PLACES = {
  'record member': [SHARD, 0, (l: string, v: string) => l.replace('{', `{"zz":${v},`)],
  'payload member': [SHARD, 0, (l: string, v: string) => l.replace('"payload":{', `"payload":{"zz":${v},`)],
  'sparse vector member': [SHARD, 0, (l: string, v: string) => l.replace('"values":"AAAAPwAAgD4AAIA/"}', `"values":"AAAAPwAAgD4AAIA/","zz":${v}}`)],
  'graph point member': [NODE_SHARD_1, 1, (l: string, v: string) => l.replace('"props":{', `"props":{"at":{"point":{"latitude":1,"longitude":2,"zz":${v}}},`)],
  'graph property': [NODE_SHARD_1, 1, (l: string, v: string) => l.replace('"props":{', `"props":{"zz":${v},`)],
} as const;

const depth = fc.oneof(fc.integer({ min: 0, max: 140 }), fc.constantFrom(1_000, 5_000, 100_000));
const size = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: -16, max: 16 }).map((d) => DEFAULT_LIMITS.maxLineBytes - 60 + d));
const corruption = fc.oneof(
  fc.constant(null),
  fc.record({ flip: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }),
);

async function build(place: string, d: number, arrays: boolean, bytes: number): Promise<Buffer> {
  const value = bytes > 0 ? `[${deepText(d, arrays)},"${'s'.repeat(bytes)}"]` : deepText(d, arrays);
  if (place === 'header' || place === 'trailer') {
    const es = await unpack(g);
    const edited = editJson(es, `${place}.json`, (doc) => void (doc.zz = DEEP), value);
    return pack(place === 'header' ? reseal(edited) : edited);
  }
  const [shard, line, edit] = PLACES[place as keyof typeof PLACES];
  return editLine(g, shard, line, (l) => edit(l, value));
}

function corrupt(archive: Buffer, c: { flip: number; mask: number } | { cut: number } | null): Buffer {
  if (!c) return archive;
  if ('cut' in c) return archive.subarray(0, Math.floor(c.cut * archive.length));
  const out = Buffer.from(archive);
  out[Math.floor(c.flip * out.length)]! ^= c.mask;
  return out;
}

describe('no archive makes the reader fail untyped (property)', () => {
  it('deep and large members anywhere, with or without corruption: records, or a typed error that is not INTERNAL', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(PLACES), 'header', 'trailer'), depth, fc.boolean(), size, corruption, async (place, d, arrays, bytes, c) => {
        const archive = corrupt(await build(place, d, arrays, bytes), c);
        for (const decode of [true, false]) {
          const r = await readAll(archive, { decode });
          if (r.error === null) {
            expect(r.trailer).not.toBeNull();
            seen.add('read');
            continue;
          }
          expect(r.error, `${place} depth ${d} +${bytes}: ${String(r.error)}`).toBeInstanceOf(MemarcError);
          const err = r.error as MemarcError;
          expect(err.code).not.toBe('INTERNAL');
          expect(err.exitCode).not.toBe(EXIT_CODES.INTERNAL);
          expect(r.trailer).toBeNull();
          seen.add(err.code);
        }
      }),
      { numRuns: 120 },
    );
    // The generator reaches both outcomes and the nesting refusals; not a property that cannot fail.
    expect(seen).toContain('MALFORMED_RECORD');
    expect(seen).toContain('MALFORMED_ARCHIVE');
  }, 300_000);
});
