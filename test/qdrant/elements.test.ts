/**
 * ArrayElements (src/adapters/qdrant/elements.ts): the elements of one array of an answer, split
 * out of the answer's bytes as they arrive in chunks. Whatever the chunks (cut anywhere, inside a
 * string, an escape or a character's UTF-8), the elements and the text around the array must be
 * exactly those of the whole text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrayElements } from '../../src/adapters/qdrant/elements.ts';
import { anyString } from '../format/arbitraries.ts';

/** Splits the UTF-8 of `text` (or the bytes given) at the given cut points and feeds the chunks. */
function split(text: string | Buffer, path: string[], cuts: number[]): { values: string[]; skeleton: string; found: boolean } {
  const s = new ArrayElements<string>(path, (t) => t);
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let at = 0;
  for (const c of [...new Set(cuts.map((x) => Math.floor(x * bytes.length)))].sort((a, b) => a - b)) {
    s.push(bytes.subarray(at, c));
    at = c;
  }
  s.push(bytes.subarray(at));
  const { skeleton, found } = s.end();
  return { values: s.values, skeleton, found };
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

/** JSON values whose strings hold quotes, backslashes, brackets and astral characters. */
const nasty = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(anyString(8), fc.constantFrom('"', '\\', '\\"', '[', ']', '{', '}', 'points', 'result', '\\\\"]')),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(anyString(6), fc.constantFrom('points', 'result', 'payload', '"', '\\')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Object elements (the only ones split), with members named like the path. */
const element = fc.oneof(fc.dictionary(fc.oneof(anyString(6), fc.constantFrom('points', 'result', 'id')), nasty, { maxKeys: 5 }), fc.array(nasty, { maxLength: 3 }));

describe('ArrayElements', () => {
  it('splits a scroll answer into the same elements and skeleton, however the text is cut', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), nasty, nasty, cuts, (points, next, extra, at) => {
        const doc = { result: { points, next_page_offset: next }, status: 'ok', extra, time: 0.5 };
        const text = JSON.stringify(doc);
        const r = split(text, ['result', 'points'], at);
        expect(r.found).toBe(true);
        // Texts, not parsed values: V8's JSON.parse misreads some escaped member names (json.ts).
        expect(r.values).toEqual(points.map((p) => JSON.stringify(p)));
        expect(r.skeleton).toBe(JSON.stringify({ ...doc, result: { points: [], next_page_offset: next } }));
      }),
      { numRuns: 300 },
    );
  });

  it('splits a retrieve answer at any cut points, including inside strings and escapes', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), cuts, (points, at) => {
        const text = JSON.stringify({ result: points, status: { note: ['result', '[', '"'] }, time: 1 });
        const r = split(text, ['result'], at);
        expect(r.values).toEqual(points.map((p) => JSON.stringify(p)));
        expect(r.skeleton).toBe(JSON.stringify({ result: [], status: { note: ['result', '[', '"'] }, time: 1 }));
      }),
      { numRuns: 300 },
    );
  });

  it('finds the array only at its path: not a member of the same name deeper down, nor a string in an array', () => {
    const text = JSON.stringify({ a: { points: [{ x: 1 }] }, decoy: ['result', ['points']], result: { other: { points: [{ no: 1 }] }, points: [{ id: 7 }, { id: 8 }] } });
    const r = split(text, ['result', 'points'], [0.13, 0.5, 0.51, 0.9]);
    expect(r.values.map((v) => JSON.parse(v) as unknown)).toEqual([{ id: 7 }, { id: 8 }]);
    expect(JSON.parse(r.skeleton)).toEqual({ a: { points: [{ x: 1 }] }, decoy: ['result', ['points']], result: { other: { points: [{ no: 1 }] }, points: [] } });
  });

  it('keeps an answer of another shape whole, with nothing split', () => {
    for (const doc of [{ status: { error: 'Not found: points [1, 2]' }, time: 0 }, { result: [1, 2, 3] }, { result: { points: 'none' } }]) {
      const text = JSON.stringify(doc);
      const r = split(text, ['result', 'points'], [0.3, 0.6]);
      expect(r.values).toEqual([]);
      expect(JSON.parse(r.skeleton)).toEqual(doc);
    }
    // A scalar in the array would be in neither the elements nor the skeleton: the answer is refused
    // (the request fails as a malformed answer), wherever the chunks are cut.
    for (const doc of [{ result: [1, 'two', null] }, { result: [{ id: 1 }, 2] }, { result: ['[', { id: 1 }] }, { result: [{ id: 1 }, true, { id: 2 }] }]) {
      const text = JSON.stringify(doc);
      for (const cut of [0.05, 0.3, 0.5, 0.9]) expect(() => split(text, ['result'], [cut]), `${text} ${cut}`).toThrow(/the array at result holds a value that is not an object or an array/);
    }
    // Commas and whitespace between elements are no values.
    const spaced = split('{"result": [ {"id":1} ,\n {"id":2}\t] }', ['result'], [0.3, 0.6]);
    expect(spaced.values).toHaveLength(2);
  });

  it('leaves a cut-off answer malformed, so that its parse fails', () => {
    const text = JSON.stringify({ result: [{ id: 1, payload: { t: 'a"b' } }, { id: 2 }] });
    for (const end of [10, 25, 32, text.length - 3, text.length - 1]) {
      const r = split(text.slice(0, end), ['result'], [0.5]);
      expect(() => JSON.parse(r.skeleton)).toThrow(SyntaxError);
    }
  });

  it('holds one element and one piece, not the answer: 2,000 elements of 16 KB fed in 64 KiB pieces', () => {
    const one = JSON.stringify({ id: 0, vector: Array.from({ length: 768 }, (_, i) => i / 7) });
    const s = new ArrayElements<number>(['result'], (t) => t.length);
    let held = 0;
    const text = `{"result":[${Array.from({ length: 2000 }, () => one).join(',')}],"status":"ok"}`;
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += 65536) {
      s.push(bytes.subarray(at, at + 65536));
      held = Math.max(held, s.heldBytes);
    }
    expect(s.values).toHaveLength(2000);
    expect(s.values.every((n) => n === one.length)).toBe(true);
    expect(held).toBeLessThan(one.length + 1);
    expect(JSON.parse(s.end().skeleton)).toEqual({ result: [], status: 'ok' });
  });

  it('decodes bytes that are not UTF-8 as a decoder of the whole answer does (U+FFFD), in elements and around them', () => {
    const bad = Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]);
    const bytes = Buffer.concat([Buffer.from('{"result":[{"t":"a'), bad, Buffer.from('"},{"u":"é"}],"s":"'), bad, Buffer.from('"}')]);
    const whole = bytes.toString('utf8');
    for (const at of [[0.1], [0.5, 0.52, 0.53], [0.9]]) {
      const r = split(bytes, ['result'], at);
      expect(r.values).toEqual(['{"t":"a' + Buffer.from(bad).toString('utf8') + '"}', '{"u":"é"}']);
      expect(r.skeleton).toBe(whole.replace(/\[.*\]/, '[]'));
    }
  });
});
