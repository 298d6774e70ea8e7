/**
 * Exact doubles. A compact reply prints doubles with `%.15g`, which loses up to two digits
 * (0.1 + 0.2 comes back as 0.3), and no FalkorDB function prints more (`toString` and `toJSON`
 * are shorter still). So the export asks the server for each double property's binary form:
 * e = ⌊log2|x|⌋ (possibly off by one) and m = x · 2^(60−e) as an int64, exact because
 * multiplying by a power of two is exact and m keeps all 53 significant bits; x = m · 2^(e−60).
 * Values below 1 are scaled in two steps so that 2^(60−e) never overflows (subnormals included).
 *
 * Only top-level double properties get this; doubles inside arrays keep the 15 significant
 * digits of the compact text. (FalkorDB evaluates every branch of a CASE, so a per-element
 * expression over arrays must be type-safe for every element; the nested forms we tried made
 * 4.16 hang, so arrays are left alone.) Zero, NaN and infinities are exact in the text already.
 */
const E = (v: string): string => `toInteger(floor(log(abs(${v})) / log(2)))`;
const M = (v: string): string =>
  `toInteger(CASE WHEN ${E(v)} < 0 THEN ${v} * 2.0^600 * 2.0^(-540 - ${E(v)}) ELSE ${v} * 2.0^(60 - ${E(v)}) END)`;

/** A RETURN expression: `[[key, e, m], …]` for the finite non-zero double properties of `x`. */
export function exactDoublesExpr(x: string): string {
  const v = `${x}[k]`;
  return `[k IN keys(${x}) WHERE typeOf(${v}) = 'Float' AND ${v} <> 0.0 AND ${v} = ${v} AND abs(${v}) < 1.0/0.0 | [k, ${E(v)}, ${M(v)}]]`;
}

/** Rebuilds x from e and m. */
export function fromParts(e: number, m: bigint): number {
  const mant = Number(m); // exact: m has at most 53 significant bits
  return e < 0 ? mant * 2 ** (e - 60 + 600) * 2 ** -600 : mant * 2 ** (e - 60);
}
