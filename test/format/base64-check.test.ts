/**
 * The base64 checks that decode natively and count the bytes (src/format/validate.ts
 * base64Alphabet, and the canonical-vector check built on it) against their definitions: a regex
 * over the characters, and decoding then re-encoding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeF32 } from '../../src/format/records.ts';
import { base64Alphabet, recordProblem } from '../../src/format/validate.ts';

const padding = (s: string): number => (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
/** Every character before the final padding is in the standard or the URL alphabet. */
const alphabetReference = (s: string): boolean => s.length % 4 === 0 && /^[A-Za-z0-9+/_-]*$/.test(s.slice(0, s.length - padding(s)));
/** The text that encoding its own bytes gives back, of whole float32 values. */
const canonicalReference = (s: string): boolean => {
  if (s.length % 4 !== 0) return false;
  const bytes = Buffer.from(s, 'base64');
  return bytes.length % 4 === 0 && bytes.toString('base64') === s;
};
const denseAccepted = (dense: string): boolean => recordProblem('point', { id: 1, vectors: { v: { dense } }, payload: null }) === null;

// Mostly base64, with every kind of character that breaks it.
const char = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...'ABCQgwz09+/') },
  { weight: 3, arbitrary: fc.constant('=') },
  { weight: 1, arbitrary: fc.constantFrom('-', '_', '"', '\\', '\n', ' ', '\t', '\u0000', '\u001f', 'é', '\u2028', '\ud800', '🙂', '%', '.') },
);
const text = fc.array(char, { maxLength: 24 }).map((cs) => cs.join(''));
const nearlyCanonical = fc
  .tuple(fc.array(fc.float(), { minLength: 0, maxLength: 5 }), fc.nat(40), char)
  .map(([xs, at, c]) => {
    const s = encodeF32(xs);
    return at % 3 === 0 ? s : s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + 1);
  });

describe('base64 checks that count decoded bytes', () => {
  it('base64Alphabet is the regex over the characters before the padding', () => {
    fc.assert(fc.property(fc.oneof(text, nearlyCanonical), (s) => {
      expect(base64Alphabet(s), JSON.stringify(s)).toBe(alphabetReference(s));
    }), { numRuns: 20_000 });
  });

  it('a dense vector is accepted exactly when decoding and re-encoding give its text back', () => {
    fc.assert(fc.property(fc.oneof(text, nearlyCanonical), (s) => {
      expect(denseAccepted(s), JSON.stringify(s)).toBe(canonicalReference(s));
    }), { numRuns: 20_000 });
  });

  it('refuses non-zero bits under the padding, and the URL alphabet', () => {
    expect(denseAccepted('AACAPw==')).toBe(true); // 1.0 (0x3f800000)
    expect(denseAccepted('AAAAAAAAAAA=')).toBe(true); // 8 bytes: two floats
    expect(denseAccepted('AAAAAAAAAA==')).toBe(false); // 7 bytes
    for (const s of ['AACAPx==', 'AACAP/==', 'AACAPw', 'AA-APw==', 'AA_APw==', 'AACA Pw=', ' AACAPw=']) expect(denseAccepted(s), s).toBe(false);
  });

  it('checks texts longer than the decoding scratch room the same way', () => {
    const long = encodeF32(new Float32Array(30_000).map((_, i) => i / 3));
    expect(base64Alphabet(long)).toBe(true);
    expect(denseAccepted(long)).toBe(true);
    const broken = long.slice(0, 50_000) + '"' + long.slice(50_001);
    expect(base64Alphabet(broken)).toBe(false);
    expect(denseAccepted(broken)).toBe(false);
  });
});
