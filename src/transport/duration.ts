/**
 * Durations as operators write them for retention: `14d`, `12h`, `30m`, `90s`, `2w`, or a sum
 * such as `1d12h`. A bare number is refused: "14" could mean days or seconds, and a retention
 * policy is the wrong place to guess.
 */
import { MemarcError } from '../errors.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Milliseconds in a duration such as `14d`, `12h`, `30m` or `1d12h`. */
export function parseDuration(text: string): number {
  const src = text.trim();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y;
  let total = 0;
  let pos = 0;
  while (pos < src.length) {
    part.lastIndex = pos;
    const m = part.exec(src);
    if (!m) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = part.lastIndex;
    while (src[pos] === ' ') pos++;
  }
  if (src.length === 0 || pos !== src.length || !Number.isFinite(total)) {
    throw new MemarcError('USAGE', `"${text}" is not a duration`, {
      hint: 'write a number and a unit: 30m, 12h, 14d, 2w (units ms, s, m, h, d, w), or a sum such as 1d12h',
    });
  }
  return total;
}
