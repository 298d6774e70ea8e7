/**
 * What Qdrant stores for a payload number it is sent (spec/FORMAT.md, section 15.3).
 *
 * Qdrant reads request bodies with serde_json without its `float_roundtrip` feature. Integers are
 * kept exactly as u64 or i64; every other number goes through serde_json's fast float rule, which
 * is not always correctly rounded: the decimal digits are gathered into a u64 significand (digits
 * after the 19th or 20th, where the next one would overflow a u64, are dropped), the significand is
 * converted to the nearest double, and that double is multiplied or divided once by the double
 * nearest 10^|e| (10^308 at a time below 1e-308). Two roundings instead of one, so a value such as
 * 90.28571428571429 is stored 1 ulp off, as 90.28571428571428. Doubles are printed back with ryu
 * in Rust's form (`5.0`, `1e-300`, `1e21`). Reproducing both lets the import predict the stored
 * number exactly: tests/qdrant/server-numbers.test.ts checks the rule against every value of the
 * recorded exchanges and the 437 of 3,000 values that a Qdrant 1.16.3 changed.
 *
 * Hand-written because no npm package implements serde_json's non-round-trip rule; it is a few
 * lines of arithmetic that JavaScript's doubles reproduce bit for bit (`Number(bigint)` and `*`,
 * `/` round to nearest even, as Rust's `as f64` and float operators do).
 */

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN_ABS = 1n << 63n;
/** Rust's POW10 literals: the doubles nearest 10^0 … 10^308. */
const POW10: number[] = Array.from({ length: 309 }, (_, i) => Number(`1e${i}`));

/** A number as serde_json holds it: an exact u64/i64, or a double. */
export type ServerNumber = { int: bigint } | { float: number };

/**
 * The number serde_json (without float_roundtrip) parses from a JSON number lexeme, or null when
 * it refuses it (a double out of range).
 */
export function serdeNumber(lexeme: string): ServerNumber | null {
  return serdeSmall(lexeme) ?? serdeAny(lexeme);
}

/**
 * serdeNumber of a lexeme without an exponent part whose digits make a significand of at most
 * 2^53 − 1 (every payload number of the whole job's shape, 17-digit doubles included): the same
 * arithmetic in doubles, which hold such a significand exactly, so the same result bit for bit;
 * undefined for any other lexeme. serdeAny's BigInt steps, one per digit, had been a twentieth
 * of what a verified import allocated (bench/RESULTS.md, "Session 12").
 */
function serdeSmall(lexeme: string): ServerNumber | undefined {
  const len = lexeme.length;
  let i = 0;
  const negative = lexeme.charCodeAt(0) === 0x2d;
  if (negative) i = 1;
  let significand = 0;
  let exponent = 0;
  let isFloat = false;
  let c = 0;
  for (; i < len && (c = lexeme.charCodeAt(i) - 48) >= 0 && c <= 9; i++) {
    significand = significand * 10 + c;
    if (significand > Number.MAX_SAFE_INTEGER) return undefined;
  }
  if (i < len && lexeme.charCodeAt(i) === 0x2e) {
    isFloat = true;
    for (i++; i < len && (c = lexeme.charCodeAt(i) - 48) >= 0 && c <= 9; i++) {
      significand = significand * 10 + c;
      if (significand > Number.MAX_SAFE_INTEGER) return undefined;
      exponent--;
    }
  }
  if (i !== len || i === (negative ? 1 : 0)) return undefined;
  if (!isFloat) {
    if (!negative) return { int: BigInt(significand) };
    return significand === 0 ? { float: -0 } : { int: -BigInt(significand) };
  }
  if (exponent < -308) return undefined;
  const f = exponent === 0 ? significand : significand / POW10[-exponent]!;
  return { float: negative ? -f : f };
}

/** serdeNumber of any lexeme, with the significand as a BigInt. Exported for the tests. */
export function serdeAny(lexeme: string): ServerNumber | null {
  let i = 0;
  const positive = lexeme.charCodeAt(0) !== 0x2d;
  if (!positive) i = 1;
  let significand = 0n;
  let exponent = 0;
  let isFloat = false;
  const digitAt = (j: number): number => {
    const c = lexeme.charCodeAt(j) - 48;
    return c >= 0 && c <= 9 ? c : -1;
  };
  // Integer digits: once the next one would overflow a u64, the rest only scale the value.
  let overflowed = false;
  for (let d; (d = digitAt(i)) >= 0; i++) {
    if (!overflowed && significand * 10n + BigInt(d) > U64_MAX) overflowed = isFloat = true;
    if (overflowed) exponent++;
    else significand = significand * 10n + BigInt(d);
  }
  // Fraction digits: checked afresh; from the first that would overflow, the rest are dropped.
  if (lexeme[i] === '.') {
    isFloat = true;
    let dropped = false;
    for (i++; digitAt(i) >= 0; i++) {
      const d = BigInt(digitAt(i));
      if (!dropped && significand * 10n + d > U64_MAX) dropped = true;
      if (!dropped) {
        significand = significand * 10n + d;
        exponent--;
      }
    }
  }
  if (lexeme[i] === 'e' || lexeme[i] === 'E') {
    isFloat = true;
    i++;
    let positiveExp = true;
    if (lexeme[i] === '+') i++;
    else if (lexeme[i] === '-') {
      positiveExp = false;
      i++;
    }
    let exp = 0;
    for (let d; (d = digitAt(i)) >= 0; i++) {
      exp = exp * 10 + d;
      if (exp > 2147483647) {
        // serde_json: an exponent beyond i32 is zero for a negative exponent or zero digits, else an error.
        if (significand !== 0n && positiveExp) return null;
        return { float: positive ? 0 : -0 };
      }
    }
    exponent = positiveExp ? exponent + exp : exponent - exp;
  }
  if (!isFloat) {
    if (positive) return { int: significand };
    // serde_json: `-0`, and negatives below i64::MIN, become doubles.
    if (significand === 0n || significand > I64_MIN_ABS) return { float: -Number(significand) };
    return { int: -significand };
  }
  let f = Number(significand);
  for (;;) {
    const pow = POW10[Math.abs(exponent)];
    if (pow !== undefined) {
      if (exponent >= 0) {
        f *= pow;
        if (!Number.isFinite(f)) return null;
      } else {
        f /= pow;
      }
      break;
    }
    if (f === 0) break;
    if (exponent >= 0) return null;
    f /= 1e308;
    exponent += 308;
  }
  return { float: positive ? f : -f };
}

/** Shortest round-trip digits and decimal exponent of a positive finite double (as ryu finds them). */
function shortestDigits(x: number): { digits: string; kk: number } {
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  return { digits: mant.replace('.', ''), kk: Number(exp) + 1 };
}

/** Rust's (ryu's) layout of shortest digits; `maxKk` and `minKk` are 16/-5 for f64, 13/-6 for f32. */
export function ryuLayout(negative: boolean, digits: string, kk: number, maxKk: number, minKk: number): string {
  const sign = negative ? '-' : '';
  const length = digits.length;
  const k = kk - length;
  if (k >= 0 && kk <= maxKk) return `${sign}${digits}${'0'.repeat(k)}.0`;
  if (kk > 0 && kk <= maxKk) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > minKk && kk <= 0) return `${sign}0.${'0'.repeat(-kk)}${digits}`;
  if (length === 1) return `${sign}${digits}e${kk - 1}`;
  return `${sign}${digits[0]}.${digits.slice(1)}e${kk - 1}`;
}

/** A finite double as serde_json prints it (`5.0`, `-0.0`, `1e-300`, `1e21`, `0.0001`). */
export function formatF64(x: number): string {
  const negative = x < 0 || Object.is(x, -0);
  if (x === 0) return negative ? '-0.0' : '0.0';
  const { digits, kk } = shortestDigits(Math.abs(x));
  return ryuLayout(negative, digits, kk, 16, -5);
}

/** A ServerNumber as serde_json prints it. */
export function formatServerNumber(n: ServerNumber): string {
  return 'int' in n ? n.int.toString() : formatF64(n.float);
}

/**
 * The lexeme Qdrant prints back for a payload number written as `lexeme`, or null if Qdrant
 * refuses the number.
 */
export function storedLexeme(lexeme: string): string | null {
  const n = serdeNumber(lexeme);
  return n === null ? null : formatServerNumber(n);
}

/** The value a lexeme spells when parsed correctly (integers exact), to tell a changed value from a respelling. */
export function exactNumber(lexeme: string): ServerNumber {
  if (/^-?\d+$/.test(lexeme) && lexeme !== '-0') return { int: BigInt(lexeme) };
  return { float: Number(lexeme) };
}

/** Whether two numbers are the same kind and value (−0 and 0 differ). */
export function sameNumber(a: ServerNumber, b: ServerNumber): boolean {
  if ('int' in a) return 'int' in b && a.int === b.int;
  return 'float' in b && Object.is(a.float, b.float);
}
