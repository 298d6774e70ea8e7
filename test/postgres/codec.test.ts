/**
 * The binary cell codec (src/adapters/postgres/codec.ts) on its own: encode then decode gives the
 * cell back for any value of each type (fast-check), and the COPY framing survives any chunking.
 * The server's side of the same forms is covered by the round trips against a real server.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecOf, type PgType } from '../../src/adapters/postgres/codec.ts';
import { copyHeader, copyRows, copyTrailer, encodeTuple } from '../../src/adapters/postgres/copy-binary.ts';
import { encodeF32 } from '../../src/format/records.ts';

const t = (name: string, elem?: PgType): PgType => ({ name, oid: 1, typtype: 'b', ...(elem ? { elem } : {}) });
const round = (type: PgType, v: unknown) => {
  const c = codecOf(type)!;
  return c.decode(c.encode(v as never));
};

describe('postgres cell codec', () => {
  it('numeric: any decimal text, any scale, comes back with the same digits', () => {
    const decimal = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.integer({ min: 0, max: 30 })).map(([neg, digits, scale]) => {
      const s = digits.toString().padStart(scale + 1, '0');
      const text = scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
      return neg && /[1-9]/.test(text) ? `-${text}` : text;
    });
    fc.assert(fc.property(decimal, (d) => {
      expect(round(t('numeric'), { decimal: d })).toEqual({ decimal: d });
    }), { numRuns: 2000 });
    for (const d of ['0', '0.00', '-0.0001', '10.50', '100000000', '0.00000001', '99999999999999999999.9999']) expect(round(t('numeric'), { decimal: d })).toEqual({ decimal: d });
  });

  it('timestamps, dates, times and intervals: exact to the microsecond, years before 1 AD included', () => {
    const micros = fc.bigInt({ min: -62_000_000_000_000_000n * 2n, max: 253_402_300_799_999_999n });
    fc.assert(fc.property(micros, (m) => {
      const c = codecOf(t('timestamptz'))!;
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(m - 946_684_800_000_000n);
      const cell = c.decode(b);
      expect(c.encode(cell).equals(b)).toBe(true);
    }), { numRuns: 2000 });
    expect(round(t('timestamp'), { timestamp: '-0043-03-15T00:00:00' })).toEqual({ timestamp: '-0043-03-15T00:00:00' });
    expect(round(t('time'), { timeofday: '23:59:59.999999' })).toEqual({ timeofday: '23:59:59.999999' });
    expect(round(t('date'), { date: -719_528 })).toEqual({ date: -719_528 });
    expect(round(t('interval'), { interval: { months: -3, days: 40, micros: 9007199254740993n } })).toEqual({ interval: { months: -3, days: 40, micros: 9007199254740993n } });
    expect(() => codecOf(t('timestamp'))!.encode({ timestamp: '2026-01-01T00:00:00.0000001' })).toThrow(/microseconds/);
  });

  it('floats keep their bits; vectors, halfvec and sparsevec too', () => {
    fc.assert(fc.property(fc.double(), (x) => {
      const c = codecOf(t('float8'))!;
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x);
      expect(c.encode(c.decode(b)).equals(b) || Number.isNaN(x)).toBe(true);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.float32Array({ minLength: 1, maxLength: 50 }), (v) => {
      const cell = { vecf32: encodeF32(v) };
      expect(round(t('vector'), cell)).toEqual(cell);
    }));
    const half = { vecf32: encodeF32([0.5, -2, 65504, 2 ** -24, -0, Infinity]) };
    expect(round(t('halfvec'), half)).toEqual(half);
    expect(() => codecOf(t('halfvec'))!.encode({ vecf32: encodeF32([0.1]) })).toThrow(/not exactly a float16/);
    const sparse = { json: { dimension: 1000, indices: [0, 7, 999], values: encodeF32([0.25, -3.5, 1e-30]) } };
    expect(round(t('sparsevec'), sparse)).toEqual(sparse);
  });

  it('arrays of any depth, with NULLs and empty ones', () => {
    const arr = t('_int4', t('int4'));
    for (const v of [[], [1, null, -3], [[1, 2], [3, null]], [[[7]]]]) expect(round(arr, v)).toEqual(v);
    expect(() => codecOf(arr)!.encode([[1], [2, 3]] as never)).toThrow(/rectangular/);
    expect(round(t('_text', t('text')), ['a', 'b,c', '"q"', null])).toEqual(['a', 'b,c', '"q"', null]);
  });

  it('COPY framing: rows come back whole however the bytes are cut', async () => {
    const rows = [[Buffer.from('a'), null, Buffer.alloc(0)], [Buffer.alloc(70_000, 7), Buffer.from('zz'), null]];
    const bytes = Buffer.concat([copyHeader(), ...rows.map(encodeTuple), copyTrailer()]);
    for (const size of [1, 3, 19, 4096, bytes.length]) {
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const got: Array<Array<Buffer | null>> = [];
      for await (const batch of copyRows(chunks())) got.push(...batch.map((r) => r.map((f) => (f ? Buffer.from(f) : null))));
      expect(got).toEqual(rows);
    }
    async function* cut() {
      yield bytes.subarray(0, bytes.length - 1);
    }
    await expect((async () => {
      for await (const _ of copyRows(cut())) { /* drain */ }
    })()).rejects.toThrow(/ended before its trailer/);
  });
});
