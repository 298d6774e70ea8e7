/**
 * A graph of another store (FalkorDB) restored into Neo4j: a conversion (spec/FORMAT.md 4.6,
 * 15.4 "graph → Neo4j"). Every value goes through the same mapping the write uses
 * (values.ts toNeo4j) and back through the export's (toArchive), so the sink knows the exact
 * archive form Neo4j will hold and verifies the read-back against that, not against the
 * archive's digest, which a conversion cannot keep where a type changes. Every approximate
 * mapping is counted by kind and reported (the dry run lists them before anything is written).
 */
import { MemarcError } from '../../errors.ts';
import type { DatasetDescriptor } from '../../core/adapter.ts';
import type { EdgeRecord, NodeRecord, TypedValue } from '../../format/records.ts';
import { toArchive, toNeo4j, UnstorableValue, type Approximation } from './values.ts';

export interface Conversion {
  from: string;
  noted(a: Approximation): void;
  /** Lines for the report: what maps approximately (dry: "would"), and what of the schema is not restored. */
  report(dry: boolean): string[];
}

export function graphConversion(d: DatasetDescriptor): Conversion {
  const counts = new Map<Approximation, number>();
  const from = d.store ?? 'an unnamed store';
  const schema = d.schema as { indexes?: Array<Record<string, unknown>>; constraints?: Array<Record<string, unknown>> } | undefined;
  return {
    from,
    noted(a) {
      counts.set(a, (counts.get(a) ?? 0) + 1);
    },
    report(dry) {
      const out: string[] = [];
      if (counts.size === 0) out.push(`${dry ? 'would convert' : 'converted'} from ${from}: every value maps exactly`);
      for (const [a, n] of counts) out.push(`${dry ? 'would convert' : 'converted'} from ${from} approximately: ${a} (${n} value(s); the read-back is compared with the converted values)`);
      const idx = schema?.indexes?.length ?? 0;
      const con = schema?.constraints?.length ?? 0;
      if (idx + con > 0) out.push(`the ${idx} index(es) and ${con} constraint(s) of the ${from} schema are NOT created in Neo4j by a conversion; create them by hand`);
      return out;
    },
  };
}

function convertValue(v: TypedValue, c: Conversion): TypedValue {
  return toArchive(toNeo4j(v, { approx: (a) => c.noted(a) }));
}

/** The record as Neo4j will hold it, in archive form. */
export function convertedRecord<T extends NodeRecord | EdgeRecord>(c: Conversion, r: T, where: () => string): T {
  const props: Record<string, TypedValue> = {};
  for (const k in r.props) {
    try {
      props[k] = convertValue(r.props[k]!, c);
    } catch (err) {
      if (!(err instanceof UnstorableValue)) throw err;
      throw new MemarcError('STORE_ERROR', `${where()}, property "${k}": Neo4j cannot store ${err.message} (a conversion from ${c.from})`, {
        hint: 'Neo4j properties are single values or lists of one type, never nested; change the value in the source store',
      });
    }
  }
  return { ...r, props };
}
