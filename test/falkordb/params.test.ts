import { describe, expect, it } from 'vitest';
import { falkordbOptionsFromEnv } from '../../src/adapters/falkordb/index.ts';
import { CypherDouble, cypherPrefix, literal, quoteIdent } from '../../src/adapters/falkordb/params.ts';
import { toServer } from '../../src/adapters/falkordb/temporal.ts';
import { fromParts, fromSignificand } from '../../src/adapters/falkordb/exact-double.ts';

describe('falkordb parameter literals', () => {
  it('keeps integral doubles doubles and big integers exact', () => {
    expect(literal(new CypherDouble(1))).toBe('1.0');
    expect(literal(new CypherDouble(-0))).toBe('-0.0');
    expect(literal(new CypherDouble(1e21))).toBe('1e+21');
    expect(literal(new CypherDouble(0.30000000000000004))).toBe('0.30000000000000004');
    expect(literal(9007199254740993n)).toBe('9007199254740993');
    expect(() => literal(2n ** 63n)).toThrow(/int64/);
    expect(() => literal(1.5)).toThrow(/integer parameter expected/);
  });

  it('escapes quotes and backslashes only, and quotes map keys as identifiers', () => {
    expect(literal('a"b\\c\n$d')).toBe('"a\\"b\\\\c\n$d"');
    expect(literal({ 'x y': [1, 'z'] })).toBe('{`x y`:[1,"z"]}');
    expect(cypherPrefix({ rows: [], k: 2 })).toBe('CYPHER rows=[] k=2 ');
    expect(() => cypherPrefix({ 'bad name': 1 })).toThrow();
    expect(() => quoteIdent('a`b', 'label')).toThrow(/backtick/);
    expect(() => literal('nul\0')).toThrow(/NUL/);
  });

  it('rebuilds temporal values from calendar fields', () => {
    expect(toServer('datetime', 1704164645)).toEqual({ fn: 'localdatetime', arg: { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5 } });
    expect(toServer('date', -1)).toEqual({ fn: 'date', arg: { year: 1969, month: 12, day: 31 } });
    expect(toServer('time', 11045)).toEqual({ fn: 'localtime', arg: { hour: 3, minute: 4, second: 5 } });
    expect(toServer('duration', -93601)).toEqual({ fn: 'duration', arg: { days: -1, seconds: -7201 } });
  });

  it('rebuilds doubles from exponent and mantissa, subnormals included', () => {
    expect(fromParts(-2, 1383505805528216576n)).toBe(0.30000000000000004);
    expect(fromParts(-1074, 2n ** 60n)).toBe(5e-324);
  });

  it('rebuilds doubles from the significand and the 15-digit text', () => {
    // m as FalkorDB computes it (exact-double.ts) for 0.1 + 0.2, 5e-324, the largest double and a negative
    expect(fromSignificand(1383505805528216576, 0.3)).toBe(0.30000000000000004);
    expect(fromSignificand(1152921504606846976, 4.94065645841247e-324)).toBe(5e-324);
    expect(fromSignificand(1152921504606846848, Infinity)).toBe(Number.MAX_VALUE); // the text 1.79769313486232e+308 overflows
    expect(fromSignificand(-1383505805528216576, -2.53581374945119e270)).toBe(-(0.1 + 0.2) * 2 ** 900);
  });
});

describe('falkordbOptionsFromEnv', () => {
  it('takes FALKORDB_URL, or host, port and password as AutoMem names them', () => {
    expect(falkordbOptionsFromEnv({ FALKORDB_URL: 'redis://h:1' })).toEqual({ url: 'redis://h:1' });
    expect(falkordbOptionsFromEnv({ FALKORDB_HOST: 'db', FALKORDB_PASSWORD: 'p@ss' })).toEqual({ url: 'redis://:p%40ss@db:6379' });
    expect(falkordbOptionsFromEnv({ FALKORDB_HOST: 'db', FALKORDB_PORT: '7000' })).toEqual({ url: 'redis://db:7000' });
    expect(falkordbOptionsFromEnv({})).toBeNull();
  });
});
