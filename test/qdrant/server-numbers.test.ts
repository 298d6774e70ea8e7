/**
 * The rule by which Qdrant stores payload numbers (src/adapters/qdrant/server-numbers.ts), checked
 * against what a real Qdrant 1.16.3 did: the recorded exchanges, and the 437 of 3,000 ordinary
 * values that it stored 1 ulp off.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { comparePayload, predictPayload } from '../../src/adapters/qdrant/payload-compare.ts';
import { formatF64, serdeAny, serdeNumber, storedLexeme } from '../../src/adapters/qdrant/server-numbers.ts';
import { isRawNumber, numberLexeme, parseJsonLexemes, rawNumber } from '../../src/format/json.ts';

/** The values of the real-server trial: i/7, i*0.1 and 1/(i+1) for i < 1000, written in their shortest form. */
function trialValues(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 1000; i++) out.push(i / 7, i * 0.1, 1 / (i + 1));
  return out;
}

const storedValue = (x: number): number => {
  const n = serdeNumber(String(x))!;
  return 'int' in n ? Number(n.int) : n.float;
};

describe("serde_json's float rule", () => {
  it('changes exactly the 437 of 3,000 values that Qdrant 1.16.3 changed, each by 1 ulp', () => {
    const changed = trialValues().filter((x) => storedValue(x) !== x);
    expect(changed).toHaveLength(437);
    for (const x of changed) {
      const s = storedValue(x);
      const ulp = Math.abs(x) * 2 ** -52;
      expect(Math.abs(s - x)).toBeLessThanOrEqual(ulp);
    }
    expect(storedLexeme('90.28571428571429')).toBe('90.28571428571428');
    // The bench's first failing point on the real server was 632/7.
    expect(Array.from({ length: 1000 }, (_, i) => i).find((i) => storedValue(i / 7) !== i / 7)).toBe(632);
  });

  it('is stable: writing the printed value again changes nothing', () => {
    for (const x of trialValues()) {
      const printed = storedLexeme(String(x))!;
      expect(storedLexeme(printed)).toBe(printed);
    }
  });

  it('keeps integers exact, turns -0 and out-of-range integers into doubles, refuses infinities', () => {
    expect(storedLexeme('12345678901234567891')).toBe('12345678901234567891');
    expect(storedLexeme('18446744073709551615')).toBe('18446744073709551615');
    expect(storedLexeme('18446744073709551616')).toBe('1.8446744073709552e19');
    expect(storedLexeme('-9223372036854775808')).toBe('-9223372036854775808');
    expect(storedLexeme('-9223372036854775809')).toBe('-9.223372036854776e18');
    expect(storedLexeme('-0')).toBe('-0.0');
    expect(storedLexeme('-0.0')).toBe('-0.0');
    expect(storedLexeme('5.0')).toBe('5.0');
    expect(storedLexeme('1.50')).toBe('1.5');
    expect(storedLexeme('1E5')).toBe('100000.0');
    expect(storedLexeme('1e400')).toBeNull();
    expect(storedLexeme('1e-400')).toBe('0.0');
  });

  it("prints doubles in Rust's layout", () => {
    expect([5, 1e15, 1e16, 1e21, 0.0001, 0.00001, 1e-6, 1.5e300, 5e-324, -0, 0.1].map(formatF64)).toEqual([
      '5.0', '1000000000000000.0', '1e16', '1e21', '0.0001', '0.00001', '1e-6', '1.5e300', '5e-324', '-0.0', '0.1',
    ]);
  });

  it('predicts every payload number of the recorded exchanges as the real server printed it', () => {
    const rec = JSON.parse(readFileSync(new URL('../qdrant-emulator/recorded/qdrant-1.16.3.json', import.meta.url), 'utf8')) as {
      exchanges: Array<{ name: string; body: string | null; response: string }>;
    };
    const sent = new Map<string, unknown>();
    for (const ex of rec.exchanges) {
      if (ex.body === null || !/^upsert (points|columnar)/.test(ex.name)) continue;
      const body = parseJsonLexemes(ex.body) as { points?: Array<{ id: unknown; payload?: unknown }>; batch?: { ids: unknown[]; payloads: unknown[] } };
      for (const p of body.points ?? []) sent.set(String(p.id).toLowerCase(), p.payload ?? {});
      body.batch?.ids.forEach((id, i) => sent.set(String(id), body.batch!.payloads[i]));
    }
    const scroll = rec.exchanges.find((e) => e.name === 'scroll default')!;
    const points = (parseJsonLexemes(scroll.response) as { result: { points: Array<{ id: unknown; payload: unknown }> } }).result.points;
    let numbers = 0;
    const count = (v: unknown): void => {
      if (typeof v === 'number' || typeof v === 'bigint' || isRawNumber(v)) numbers++;
      else if (v && typeof v === 'object') Object.values(v).forEach(count);
    };
    for (const p of points) {
      const archive = sent.get(String(p.id));
      expect(archive, String(p.id)).toBeDefined();
      expect(comparePayload(archive, p.payload)).toEqual({ problem: null, changes: [] });
      count(p.payload);
    }
    expect(numbers).toBeGreaterThanOrEqual(12);
  });
});

describe('payload comparison', () => {
  it('keeps integer and float apart, and -0.0 apart from 0', () => {
    expect(comparePayload({ a: rawNumber('1.0') }, { a: 1 }).problem).toBe('a is 1, the archive has 1.0');
    expect(comparePayload({ a: 1 }, { a: rawNumber('1.0') }).problem).toBe('a is 1.0, the archive has 1');
    expect(comparePayload({ a: rawNumber('-0.0') }, { a: rawNumber('0.0') }).problem).toMatch(/a is 0.0/);
    expect(comparePayload({ a: [rawNumber('5.0'), 12345678901234567891n] }, { a: [rawNumber('5.0'), 12345678901234567891n] })).toEqual({ problem: null, changes: [] });
    expect(comparePayload({ b: { c: 'x' } }, { b: { c: 'y' } }).problem).toBe('b.c is "y", the archive has "x"');
    expect(comparePayload(null, {})).toEqual({ problem: null, changes: [] });
  });

  it('accepts the double the server makes of a value and reports it; refuses any other', () => {
    const ok = comparePayload({ s: 90.28571428571429 }, { s: 90.28571428571428 });
    expect(ok).toEqual({ problem: null, changes: [{ path: 's', archive: '90.28571428571429', stored: '90.28571428571428' }] });
    // One ulp the other way is not what the server does: a real difference.
    expect(comparePayload({ s: 90.28571428571429 }, { s: 90.2857142857143 }).problem).toMatch(/s is 90.2857142857143/);
    expect(comparePayload({ s: 0.1 }, { s: 0.1 })).toEqual({ problem: null, changes: [] });
  });

  it('predicts the changes and the refusals before anything is written', () => {
    const p = predictPayload({ a: [632 / 7, 0.5], b: { c: rawNumber('1e400') } });
    expect(p.changes).toEqual([{ path: 'a[0]', archive: String(632 / 7), stored: storedLexeme(String(632 / 7)) }]);
    expect(p.refused).toBe("b.c is 1e400, which Qdrant refuses (out of a double's range)");
    expect(numberLexeme(rawNumber('-0.0'))).toBe('-0.0');
  });
});

describe('serdeNumber in doubles where the significand fits', () => {
  /** A result as bits: -0 and 0, and each double, told apart. */
  const same = (n: ReturnType<typeof serdeNumber>) => (n === null ? 'null' : 'int' in n ? `int ${n.int}` : `float ${Object.is(n.float, -0) ? '-0' : n.float}`);

  it('gives what the BigInt path gives, bit for bit, on 60,000 lexemes around its limits', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rnd() * 10))).join('');
    const lexemes: string[] = ['0', '-0', '0.0', '-0.0', '1', '-1', '9007199254740991', '9007199254740992', '-9007199254740991', '0.9007199254740991', '0.9007199254740992', '123456789012345.6', '1.5e3', '1E-7', '-2.5e+10', `0.${'0'.repeat(320)}1`, `0.${'0'.repeat(300)}1`, '18446744073709551615', '18446744073709551616', '-9223372036854775808', '-9223372036854775809'];
    for (let k = 0; k < 60_000; k++) {
      const whole = k % 5 === 0 ? '0' : String(1 + Math.floor(rnd() * 9)) + digits(Math.floor(rnd() * 12));
      const frac = k % 3 === 0 ? '' : `.${digits(1 + Math.floor(rnd() * 18))}`;
      const exp = k % 11 === 0 ? `e${rnd() < 0.5 ? '-' : ''}${Math.floor(rnd() * 40)}` : '';
      lexemes.push(`${rnd() < 0.3 ? '-' : ''}${whole}${frac}${exp}`);
    }
    let fast = 0;
    for (const lx of lexemes) {
      expect(same(serdeNumber(lx)), lx).toBe(same(serdeAny(lx)));
      if (!/e/i.test(lx) && lx.replace(/[-.]/g, '').replace(/^0+/, '').length <= 15) fast++;
    }
    // Most of them took the double path (no exponent, at most 15 significant digits).
    expect(fast).toBeGreaterThan(20_000);
  });
});
