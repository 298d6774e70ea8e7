/**
 * Exact doubles. A compact reply prints doubles with `%.15g`, which loses up to two digits
 * (0.1 + 0.2 comes back as 0.3), and no FalkorDB function prints more (`toString` and `toJSON`
 * are shorter still). So the export asks the server for each double's binary form instead:
 * e = ⌊log2|x|⌋ (possibly off by one) and m = x · 2^(60−e) as an int64, which is exact because
 * multiplying by a power of two is exact and m keeps all 53 significant bits. x = m · 2^(e−60).
 * Values below 1 are scaled in two steps so that 2^(60−e) never overflows, subnormals included.
 *
 * This covers top-level double properties and doubles inside arrays up to two levels deep;
 * doubles nested deeper keep the 15 significant digits of the compact text.
 */
// FalkorDB evaluates every branch of a CASE, so each branch must be type-safe for any input:
// F(v) is v when it is a finite non-zero double and 1.0 otherwise, L(v) is v when it is a list.
// Zeros, NaN and infinities come back as the parts of 1.0, which the client ignores because they
// disagree with the compact text; their text form is exact anyway.
const F0 = (v: string): string => `(CASE typeOf(${v}) WHEN 'Float' THEN ${v} ELSE 1.0 END)`;
const F = (v: string): string =>
  `(CASE WHEN ${F0(v)} = 0.0 OR ${F0(v)} <> ${F0(v)} OR abs(${F0(v)}) = 1.0/0.0 THEN 1.0 ELSE ${F0(v)} END)`;
const L = (v: string): string => `(CASE typeOf(${v}) WHEN 'List' THEN ${v} ELSE [] END)`;
const E = (f: string): string => `toInteger(floor(log(abs(${f})) / log(2)))`;
const M = (f: string): string =>
  `toInteger(CASE WHEN ${E(f)} < 0 THEN ${f} * 2.0^600 * 2.0^(-540 - ${E(f)}) ELSE ${f} * 2.0^(60 - ${E(f)}) END)`;
const D = (v: string): string => `CASE WHEN typeOf(${v}) = 'Float' THEN [${E(F(v))}, ${M(F(v))}] ELSE null END`;
const X = (v: string): string =>
  `CASE typeOf(${v}) WHEN 'Float' THEN ${D(v)} ELSE [x1 IN ${L(v)} | CASE typeOf(x1) WHEN 'List' THEN [x2 IN ${L('x1')} | ${D('x2')}] ELSE ${D('x1')} END] END`;

/** A RETURN expression: `[[key, exact], …]` for the Float and List properties of entity `e`. */
export function exactDoublesExpr(e: string): string {
  return `[k IN keys(${e}) WHERE typeOf(${e}[k]) IN ['Float', 'List'] | [k, ${X(`${e}[k]`)}]]`;
}

/** Rebuilds x from [e, m]. */
export function fromParts(e: number, m: bigint): number {
  const mant = Number(m); // exact: m has at most 53 significant bits
  return e < 0 ? mant * 2 ** (e - 60 + 600) * 2 ** -600 : mant * 2 ** (e - 60);
}
