/**
 * Turns node and edge records into UNWIND write queries. Every value travels as a parameter.
 * Labels and relationship types cannot be parameters, so records are grouped by label set (or
 * type) and the names are quoted as identifiers. Plain values (strings, booleans, integers,
 * doubles, arrays of those) go in one map per row (`SET n += r.p`); values that need a function
 * to be made (vecf32, point, temporal, NaN and infinities, and arrays holding any of them) get a
 * slot `r.sN` and a SET clause, so rows are also grouped by which properties need which function.
 */
import { MemarcError } from '../../errors.ts';
import { decodeF32, untypedDouble, type TypedValue } from '../../format/records.ts';
import { setMember } from '../../format/json.ts';
import { checkIdent, CypherDouble, quoteIdent, type ParamValue } from './params.ts';
import { toServer, type TemporalTag } from './temporal.ts';

type Special = { expr: (slot: string) => string; arg: ParamValue | undefined };

/** A value as a plain parameter, or null when it (or an array element) needs a function (special). */
function plainValue(v: TypedValue, where: string): ParamValue | null {
  switch (typeof v) {
    case 'string': case 'boolean': case 'bigint': return v;
    case 'number':
      if (!Number.isSafeInteger(v)) throw new MemarcError('MALFORMED_RECORD', `${where}: integer ${v} is not exact`);
      return v;
  }
  if (Array.isArray(v)) {
    const out: ParamValue[] = [];
    for (const x of v) {
      const p = plainValue(x, where);
      if (p === null) return null;
      out.push(p);
    }
    return out;
  }
  if ('double' in v) {
    const x = untypedDouble(v.double);
    return Number.isFinite(x) ? new CypherDouble(x) : null;
  }
  return null;
}

/**
 * An array holding values that need a function (points, vecf32, temporal values, NaN and
 * infinities): one parameter holds the elements' arguments, and the expression builds the array
 * element by element, `[point(r.s0[0]), r.s0[1], [date(r.s0[2][0])]]`. Rows are grouped by their
 * SET clauses, so arrays of the same shape share a query.
 */
function arraySpecial(v: TypedValue[], where: string): Special {
  const build = (x: TypedValue, ref: string): { expr: string; arg: ParamValue } => {
    const plain = plainValue(x, where);
    if (plain !== null) return { expr: ref, arg: plain };
    if (Array.isArray(x)) {
      const parts = x.map((y, i) => build(y, `${ref}[${i}]`));
      return { expr: `[${parts.map((p) => p.expr).join(', ')}]`, arg: parts.map((p) => p.arg) };
    }
    const sp = special(x, where);
    return { expr: sp.expr(ref), arg: sp.arg ?? null };
  };
  const parts = v.map((x, i) => build(x, `{slot}[${i}]`));
  const text = `[${parts.map((p) => p.expr).join(', ')}]`;
  return { expr: (slot) => text.replaceAll('{slot}', slot), arg: parts.map((p) => p.arg) };
}

function special(v: TypedValue, where: string): Special {
  if (Array.isArray(v)) return arraySpecial(v, where);
  if (typeof v === 'object' && v !== null) {
    if ('double' in v) {
      const x = untypedDouble(v.double);
      const lit = Number.isNaN(x) ? '(0.0/0.0)' : x > 0 ? '(1.0/0.0)' : '(-1.0/0.0)';
      return { expr: () => lit, arg: undefined };
    }
    if ('vecf32' in v) return { expr: (s) => `vecf32(${s})`, arg: Array.from(decodeF32(v.vecf32), (x) => new CypherDouble(x)) };
    if ('point' in v) return { expr: (s) => `point(${s})`, arg: { latitude: new CypherDouble(v.point.latitude), longitude: new CypherDouble(v.point.longitude) } };
    for (const tag of ['datetime', 'date', 'time', 'duration'] as const) {
      if (tag in v) {
        const { fn, arg } = toServer(tag as TemporalTag, (v as Record<TemporalTag, number | bigint>)[tag]);
        return { expr: (s) => `${fn}(${s})`, arg };
      }
    }
  }
  throw new MemarcError('MALFORMED_RECORD', `${where}: unknown property value ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`);
}

export interface Group {
  /** The SET clauses after `SET e += r.p`, for the special properties. */
  setClauses: string;
  rows: Array<{ [k: string]: ParamValue }>;
  /** Index of each row's record in the input batch. */
  index: number[];
}

/**
 * Splits records into groups of equal `head` (label set or type) and special-property shape.
 * `extra(i)` adds per-row fields (endpoints). Groups keep input order within themselves.
 */
export function groupRows(
  props: Array<{ [name: string]: TypedValue }>,
  head: (i: number) => string,
  extra: (i: number) => { [k: string]: ParamValue },
  where: (i: number) => string,
  v: string,
): Map<string, Group & { head: string }> {
  const groups = new Map<string, Group & { head: string }>();
  for (let i = 0; i < props.length; i++) {
    const p: { [k: string]: ParamValue } = {};
    const row = extra(i);
    row.p = p;
    let sets = '';
    let slot = 0;
    const src = props[i]!;
    for (const name in src) {
      if (!Object.hasOwn(src, name)) continue;
      const value = src[name]!;
      const plain = plainValue(value, where(i));
      if (plain !== null) {
        checkIdent(name, 'property'); // refuse names Cypher cannot express, before the server sees them
        setMember(p, name, plain);
        continue;
      }
      const sp = special(value, where(i));
      const s = `s${slot++}`;
      if (sp.arg !== undefined) row[s] = sp.arg;
      sets += `, ${v}.${quoteIdent(name, 'property')} = ${sp.expr(`r.${s}`)}`;
    }
    const h = head(i);
    const key = h + '\u0000' + sets;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { head: h, setClauses: sets, rows: [], index: [] }));
    g.rows.push(row);
    g.index.push(i);
  }
  return groups;
}

export function labelsClause(labels: string[]): string {
  return labels.map((l) => ':' + quoteIdent(l, 'label')).join('');
}

export function nodeQuery(labels: string, setClauses: string): string {
  return `UNWIND $rows AS r CREATE (n${labels}) SET n += r.p${setClauses} RETURN id(n)`;
}

export function edgeQuery(type: string, setClauses: string): string {
  // `WITH … AS a0` lets the planner seek by id; `WHERE id(a) = r.a` would scan every node.
  return `UNWIND $rows AS r WITH r, r.a AS a0, r.b AS b0 MATCH (a), (b) WHERE id(a) = a0 AND id(b) = b0 CREATE (a)-[e:${quoteIdent(type, 'relationship type')}]->(b) SET e += r.p${setClauses} RETURN count(e), max(id(e))`;
}
