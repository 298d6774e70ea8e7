/**
 * Payload numbers in their written form in memory (src/format/json.ts) and in Qdrant answers
 * (src/adapters/qdrant/payload-lexemes.ts): what keeps them, what does not, and that the v1 digest
 * still reads them as the numbers they spell.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepPayloadLexemes, payloadSpans } from '../../src/adapters/qdrant/payload-lexemes.ts';
import { canonicalJson } from '../../src/format/canonical.ts';
import { pointHash } from '../../src/format/digest.ts';
import { holdsLexemes, isRawNumber, mayHoldLexemes, parseJson, parseJsonLexemes, parseRecordLine, stringifyJson } from '../../src/format/json.ts';
import type { Json, JsonObject, PointRecord } from '../../src/format/records.ts';

describe('record lines', () => {
  const line = '{"id":18446744073709551615,"vectors":{"":{"dense":"AACAPwAAAEA="}},"payload":{"a":1.0,"b":-0.0,"c":12345678901234567891,"d":5,"e":1e-300,"f":-0,"g":[1.50,2,{"h":5.0}],"i":0.1,"j":90.28571428571429}}';

  it('keep every payload number as written, and write it back verbatim', () => {
    const r = parseRecordLine(line) as PointRecord;
    expect(stringifyJson(r)).toBe(line);
    const p = r.payload as Record<string, unknown>;
    for (const k of ['a', 'b', 'f']) expect(isRawNumber(p[k])).toBe(true);
    expect(p.c).toBe(12345678901234567891n);
    expect(p.d).toBe(5);
    expect(p.i).toBe(0.1);
    expect(r.id).toBe(18446744073709551615n);
  });

  it('read members other than the payload as before (numbers, exact big integers)', () => {
    const r = parseRecordLine('{"id":5.0,"vectors":{"s":{"sparse":{"indices":[1.0,3],"values":"AACAPwAAAEA="}}},"payload":null}') as PointRecord;
    expect(r.id).toBe(5);
    expect((r.vectors.s as { sparse: { indices: unknown[] } }).sparse.indices).toEqual([1, 3]);
    const node = parseRecordLine('{"key":1,"labels":["A"],"props":{"x":{"double":2.0},"n":9007199254740993}}') as { props: Record<string, unknown> };
    expect(node.props).toEqual({ x: { double: 2 }, n: 9007199254740993n });
  });

  it('digest as in format 1: the canonical form reads a kept lexeme as the number it spells', () => {
    const kept = parseRecordLine(line) as PointRecord;
    const plain = parseJson(line) as PointRecord;
    expect(pointHash(kept).toString('hex')).toBe(pointHash(plain).toString('hex'));
    expect(canonicalJson(kept.payload as Json)).toBe(canonicalJson(plain.payload as Json));
    expect(canonicalJson(kept.payload as Json)).toContain('"a":1,"b":0,"c":12345678901234567891');
  });

  it('survive members nested deeper than a reviver can recurse (hostile input, never a crash)', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const r = parseRecordLine(`{"id":1,"vectors":{},"payload":{"a":1.0},"x":${deep}}`) as PointRecord;
    expect(stringifyJson(r.payload!)).toBe('{"a":1.0}');
    // A repeated member: the last one counts, as for JSON.parse.
    const twice = parseRecordLine('{"id":1,"vectors":{},"payload":{"a":1},"payload":{"b":2.0}}') as PointRecord;
    expect(stringifyJson(twice.payload!)).toBe('{"b":2.0}');
    const points = [{ payload: {} as JsonObject }];
    const answer = `{"result":[{"id":1,"payload":{"a":1.0,"deep":${deep}}}]}`;
    expect(() => keepPayloadLexemes(answer, points, 3)).not.toThrow();
  });

  it('take the fast path only when no number can differ from its default printing', () => {
    // The quick test, by the first candidate alone (for whole answers and lines).
    for (const text of ['{"a":1.0}', '{"a":-0}', '{"a":[1e5]}', '{"a":1.50}', '{"a":0.30000000000000004}', '{"a":0.0000001}', '{"a": 2E3}']) expect(mayHoldLexemes(text), text).toBe(true);
    for (const text of ['{"a":1,"b":0.5,"c":-3,"d":0}', '{"v":"AAe5AAE0=","x":"1.0 in a string"}', '{"a":[0,1,2]}']) expect(mayHoldLexemes(text), text).toBe(false);
    // The payload's test, every candidate read as a whole token.
    for (const text of ['{"a":1.0}', '{"a":-0}', '{"a":[1e5]}', '{"a":1.50}', '{"a":0.30000000000000004000}', '{"a":0.10000000000000001}', '{"a":0.0000001}', '{"a": 2E3}', '{"a":-0.0}', '{"t":"x:1.50, y","a":1}', '{"a":0.6799999999999999,"b":[1,-0 ]}'])
      expect(holdsLexemes(text), text).toBe(true);
    for (const text of ['{"a":1,"b":0.5,"c":-3,"d":0}', '{"v":"AAe5AAE0=","x":"1.0 in a string"}', '{"a":[0,1,2]}', '{"a":0.30000000000000004,"b":0.6799999999999999,"c":12345678901234567891}', '{"t":"2026-01-01T00:00:00.000Z","u":"12:30:45.120Z"}', '{"a":1e+21,"b":1e-7}'])
      expect(holdsLexemes(text), text).toBe(false);
  });

  it('parse a text the fast path takes as the reviver would (property)', () => {
    // Numbers in every written form, and strings holding number-like text.
    const numberText = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).chain((d) =>
        fc.constantFrom(String(d), d.toPrecision(17), d.toExponential(3), d.toExponential(), Number.isInteger(d) && Math.abs(d) < 1e15 ? `${d}.0` : String(d), String(d).toUpperCase()),
      ),
      fc.constantFrom('-0', '-0.0', '0.0', '1.50', '1E5', '1e+5', '0.0000001', '0.000001', '12345678901234567891', '-9007199254740993', '0.6799999999999999', '90.28571428571429'),
      fc.integer().map(String),
    );
    const stringText = fc.oneof(fc.string(), fc.constantFrom('00:00:00.000Z', 'x:1.50, y', 'a,1.0]', '[-0 ', ':0.10}', 'e:1e5')).map((t) => JSON.stringify(t));
    const value = fc.oneof(numberText, stringText, fc.array(fc.oneof(numberText, stringText), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`));
    const object = fc.array(fc.tuple(fc.string({ maxLength: 4 }), value), { maxLength: 6 }).map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
    let checked = 0;
    fc.assert(fc.property(object, (text) => {
      if (holdsLexemes(text)) return;
      checked++;
      // What the reviver would have made, to what the fast path makes.
      const revived = parseJsonLexemes(text);
      const plain = (parseRecordLine(`{"id":1,"vectors":{},"payload":${text}}`) as PointRecord).payload;
      expect(stringifyJson(plain)).toBe(stringifyJson(revived));
      expect(JSON.stringify(revived, (_k, v) => (isRawNumber(v) ? 'RAW' : typeof v === 'bigint' ? `${v}n` : v))).not.toContain('"RAW"');
    }), { numRuns: 5000 });
    // The property says something only for the texts the fast path takes: most of them.
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('payload spans of a Qdrant answer', () => {
  it('finds each point\'s payload, not payload keys inside payloads or vectors, through escaped quotes', () => {
    const text = '{"result":{"points":[' +
      '{"id":1,"payload":{"s":"a \\" \\\\","payload":{"x":1.0}},"vector":{"payload":[1.0,2.0]}},' +
      '{"id":2,"vector":[1.0]},' +
      '{"id":3,"payload":{"k":-0.0}}' +
      '],"next_page_offset":null},"status":"ok","time":0.1}';
    const spans = payloadSpans(text, 4);
    expect(spans.map(([i, s, e]) => [i, text.slice(s, e)])).toEqual([
      [0, '{"s":"a \\" \\\\","payload":{"x":1.0}}'],
      [2, '{"k":-0.0}'],
    ]);
    const points = (parseJson(text) as { result: { points: Array<{ payload?: JsonObject }> } }).result.points;
    keepPayloadLexemes(text, points, 4);
    expect(stringifyJson(points[0]!.payload!)).toBe('{"s":"a \\" \\\\","payload":{"x":1.0}}');
    expect(points[1]!.payload).toBeUndefined();
    expect(stringifyJson(points[2]!.payload!)).toBe('{"k":-0.0}');
  });

  it('finds the payloads of a retrieve answer one level up', () => {
    const text = '{"result":[{"id":7,"payload":{"f":5.0},"vector":[0.6,0.8]}],"status":"ok","time":0.1}';
    const points = (parseJson(text) as { result: Array<{ payload?: JsonObject }> }).result;
    keepPayloadLexemes(text, points, 3);
    expect(stringifyJson(points[0]!.payload!)).toBe('{"f":5.0}');
  });
});
