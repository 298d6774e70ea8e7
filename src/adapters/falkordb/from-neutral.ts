/**
 * A graph of another store (a Neo4j graph) restored into FalkorDB: a conversion (spec/FORMAT.md
 * 4.6, 15.4 "graph → FalkorDB"). It wraps the FalkorDB dataset sink: the target's indexes and
 * constraints come from the neutral schema (the native configuration is the other store's),
 * every record is mapped to values FalkorDB holds, and the read-back is verified against the
 * digest of the mapped records (the archive's own digest cannot hold where a type changes).
 *
 * What maps approximately is counted by kind and reported, by the dry run before anything is
 * written:
 *
 * | archive value                      | FalkorDB                              | approximate when            |
 * |------------------------------------|---------------------------------------|-----------------------------|
 * | `timestamp`, `timeofday`           | `localdatetime`, `localtime`          | a fraction of a second is dropped |
 * | `zoneddatetime`, `zonedtime`       | the UTC local date-time / time        | always (the zone is dropped) |
 * | `isoduration`                      | `duration` in seconds                 | months (as 31 days, a year 365) or nanoseconds |
 * | `bytes`                            | a list of integers 0…255              | always                      |
 * | a point (WGS-84)                   | a point (float32 coordinates)         | a coordinate is not a float32 |
 * | a 3D or cartesian point            | a point without height / a list [x, y(, z)] | always                |
 * | a list of doubles under a vector index | `vecf32`                          | always (the type; values rounded to float32) |
 *
 * A conversion keeps no resume checkpoint (the mapped digest needs every record): an interrupted
 * one is rolled back.
 */
import { descriptorFamily, type AbortOutcome, type CommitReport, type DatasetDescriptor, type DatasetSink, type DatasetTotals, type OpenResult, type PublishResult, type ShardRef, type SinkContext } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import { encodeF32, untypedDouble, type EdgeRecord, type JsonObject, type NodeRecord, type RecordByKind, type RecordKind, type TypedValue } from '../../format/records.ts';
import type { ConstraintSpec, IndexSpec } from './schema.ts';

/** Whether a dataset is another store's graph, which this module converts. */
export function isForeignGraph(d: DatasetDescriptor): boolean {
  return d.kind !== 'falkordb.graph' && descriptorFamily(d) === 'graph';
}

type Neutral = Record<string, unknown> & { entity?: string; label?: string; properties?: unknown; type?: string; dimension?: unknown; similarity?: unknown };

/** FalkorDB's schema (the fingerprint form) from a neutral graph schema, and what it cannot make. */
export function falkorSchema(schema: JsonObject | undefined): { indexes: IndexSpec[]; constraints: ConstraintSpec[]; notRestored: string[] } {
  const s = (schema ?? {}) as { indexes?: Neutral[]; constraints?: Neutral[] };
  const indexes: IndexSpec[] = [];
  const constraints: ConstraintSpec[] = [];
  const notRestored: string[] = [];
  const names = (x: Neutral): string[] | null => (typeof x.label === 'string' && x.label && Array.isArray(x.properties) && x.properties.length > 0 && x.properties.every((p) => typeof p === 'string' && p) ? (x.properties as string[]) : null);
  const entity = (x: Neutral) => (x.entity === 'relationship' ? 'relationship' : 'node') as 'node' | 'relationship';
  for (const x of Array.isArray(s.indexes) ? s.indexes : []) {
    const ps = names(x);
    const what = `${String(x.type)} index on ${String(x.label)}(${Array.isArray(x.properties) ? x.properties.join(', ') : ''})`;
    if (!ps) {
      notRestored.push(`${what}: incomplete in the archive`);
      continue;
    }
    if (x.type === 'range' || x.type === 'fulltext') {
      if (x.type === 'range' && ps.length > 1) notRestored.push(`${what} as one range index per property (FalkorDB has no composite index)`);
      for (const p of ps) indexes.push({ type: x.type, entity: entity(x), label: x.label!, property: p });
    } else if (x.type === 'vector') {
      const sim = x.similarity === 'cosine' ? 'cosine' : x.similarity === 'euclid' ? 'euclidean' : null;
      if (typeof x.dimension !== 'number' || !Number.isInteger(x.dimension) || x.dimension < 1 || !sim || ps.length !== 1) {
        notRestored.push(`${what}: FalkorDB needs one property, a dimension and cosine or euclid similarity`);
        continue;
      }
      indexes.push({ type: 'vector', entity: entity(x), label: x.label!, property: ps[0]!, options: { dimension: x.dimension, similarityFunction: sim } });
    } else {
      notRestored.push(`${what}: FalkorDB has no such index`);
    }
  }
  for (const x of Array.isArray(s.constraints) ? s.constraints : []) {
    const ps = names(x);
    const what = `${String(x.type)} constraint on ${String(x.label)}(${Array.isArray(x.properties) ? x.properties.join(', ') : ''})`;
    if (!ps || (x.type !== 'unique' && x.type !== 'mandatory')) {
      notRestored.push(`${what}: FalkorDB has no such constraint`);
      continue;
    }
    constraints.push({ type: x.type, entity: entity(x), label: x.label!, properties: ps });
    // FalkorDB enforces a unique constraint through a range index on its properties, which
    // must exist first ("missing supporting exact-match index"): add the ones the schema lacks.
    if (x.type === 'unique') {
      for (const p of ps) {
        if (!indexes.some((i) => i.type === 'range' && i.entity === entity(x) && i.label === x.label && i.property === p)) indexes.push({ type: 'range', entity: entity(x), label: x.label!, property: p });
      }
    }
  }
  return { indexes, constraints, notRestored };
}

// --- values -------------------------------------------------------------------------------------

const TS = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const TOD = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const ZONED = /^(-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[[^\]]+\])?$/;
const ZTIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (days_from_civil). */
function epochDays(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function offsetSeconds(o: string): number {
  if (o === 'Z') return 0;
  const [h, m, s] = o.slice(1).split(':').map(Number) as [number, number, number?];
  return (o[0] === '-' ? -1 : 1) * (h * 3600 + m * 60 + (s ?? 0));
}

function secondsOf(ts: string): { seconds: number; fraction: boolean } {
  const m = TS.exec(ts);
  if (!m) throw new MemarcError('MALFORMED_RECORD', `not a date-time: ${JSON.stringify(ts)}`);
  return { seconds: epochDays(Number(m[1]), Number(m[2]), Number(m[3])) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]), fraction: /[1-9]/.test(m[7] ?? '') };
}

export class Converter {
  private readonly counts = new Map<string, number>();
  private readonly vectorProps: Set<string>;

  constructor(indexes: IndexSpec[]) {
    this.vectorProps = new Set(indexes.filter((i) => i.type === 'vector').map((i) => `${i.entity}\0${i.label}\0${i.property}`));
  }

  private note(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  report(from: string, dry: boolean): string[] {
    const verb = dry ? 'would convert' : 'converted';
    if (this.counts.size === 0) return [`${verb} from ${from}: every value maps exactly`];
    return [...this.counts].map(([a, n]) => `${verb} from ${from} approximately: ${a} (${n} value(s); the read-back is compared with the converted values)`);
  }

  record<T extends NodeRecord | EdgeRecord>(r: T, entity: 'node' | 'relationship'): T {
    const labels = entity === 'node' ? (r as NodeRecord).labels : [(r as EdgeRecord).type];
    const props: Record<string, TypedValue> = {};
    for (const k in r.props) {
      const vector = labels.some((l) => this.vectorProps.has(`${entity}\0${l}\0${k}`));
      props[k] = this.value(r.props[k]!, vector);
    }
    return { ...r, props };
  }

  value(v: TypedValue, vector = false): TypedValue {
    if (typeof v !== 'object') return v;
    if (Array.isArray(v)) {
      if (vector && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x) && 'double' in x)) {
        this.note('a list of doubles under a vector index as a vecf32 (float32 values)');
        return { vecf32: encodeF32(v.map((x) => untypedDouble((x as { double: number | string }).double))) };
      }
      return v.map((x) => this.value(x));
    }
    const o = v as unknown as Record<string, unknown>;
    const tag = Object.keys(o)[0]!;
    const x = o[tag];
    switch (tag) {
      case 'point': {
        const p = x as Record<string, number | string | undefined>;
        if (p.crs === 'cartesian' || p.crs === 'cartesian-3d') {
          this.note('a cartesian point as a list of its coordinates');
          return [p.x, p.y, ...(p.z !== undefined ? [p.z] : [])].map((c) => ({ double: c as number }));
        }
        if (p.crs === 'wgs-84-3d') this.note('a 3D WGS-84 point without its height');
        const lat = p.latitude as number;
        const lon = p.longitude as number;
        if (Math.fround(lat) !== lat || Math.fround(lon) !== lon) this.note('point coordinates rounded to float32 (FalkorDB keeps float32)');
        return { point: { latitude: lat, longitude: lon } };
      }
      case 'timestamp': {
        const { seconds, fraction } = secondsOf(x as string);
        if (fraction) this.note('the fraction of a second of a local date-time dropped');
        return { datetime: seconds };
      }
      case 'timeofday': {
        const m = TOD.exec(x as string)!;
        if (/[1-9]/.test(m[4] ?? '')) this.note('the fraction of a second of a local time dropped');
        return { time: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) };
      }
      case 'zoneddatetime': {
        const m = ZONED.exec(x as string)!;
        this.note('a zoned date-time as the local date-time in UTC (zone dropped)');
        return { datetime: secondsOf(m[1]!).seconds - offsetSeconds(m[3]!) };
      }
      case 'zonedtime': {
        const m = ZTIME.exec(x as string)!;
        this.note('a zoned time as the local time in UTC (zone dropped)');
        const s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - offsetSeconds(m[5]!);
        return { time: ((s % 86400) + 86400) % 86400 };
      }
      case 'isoduration': {
        const d = x as { months: number | bigint; days: number | bigint; seconds: number | bigint; nanos: number };
        const months = Number(d.months);
        if (months !== 0 || d.nanos !== 0) this.note('a duration in seconds (a month as 31 days, a year as 365; nanoseconds dropped)');
        const days = Math.trunc(months / 12) * 365 + (months % 12) * 31 + Number(d.days);
        return { duration: days * 86400 + Number(d.seconds) };
      }
      case 'bytes':
        this.note('a byte array as a list of integers');
        return [...Buffer.from(x as string, 'base64')];
      default:
        return v; // double, vecf32, date and FalkorDB's own temporal tags: as they are
    }
  }
}

/**
 * The FalkorDB dataset sink of a foreign graph: `inner` is a FalkorDB GraphSink, given a
 * descriptor whose fingerprint is FalkorDB's schema made from the neutral one.
 */
export function convertingSink(inner: DatasetSink, d: DatasetDescriptor): DatasetSink {
  const schema = falkorSchema(d.schema);
  const own: DatasetDescriptor = { ...d, kind: 'falkordb.graph', store: 'falkordb', fingerprint: { indexes: schema.indexes, constraints: schema.constraints } as unknown as JsonObject };
  const conv = new Converter(schema.indexes);
  const from = d.store ?? 'a graph without a native store';
  const want = new DatasetDigest({ major: d.formatMajor ?? 2 });
  let dry = false; // for the report's wording
  const noCheckpoints = (ctx: SinkContext): SinkContext => ({ ...ctx, checkpoints: null });
  return {
    inspect: inner.inspect ? (_desc, ctx) => inner.inspect!(own, noCheckpoints(ctx)) : undefined,
    async open(_desc, ctx): Promise<OpenResult | void> {
      dry = ctx.dryRun;
      if (ctx.resume) ctx.log?.(`graph "${d.name}": a conversion from ${from} keeps no checkpoint; loading from the beginning`);
      return inner.open(own, { ...noCheckpoints(ctx), resume: false });
    },
    async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal): Promise<void> {
      const out = (batch as Array<NodeRecord | EdgeRecord>).map((r) => {
        const c = conv.record(r, kind === 'node' ? 'node' : 'relationship');
        want.add(kind, c);
        return c;
      });
      await inner.write(kind, out as RecordByKind[K][], signal);
    },
    shardDone: (shard: ShardRef) => inner.shardDone(shard),
    async verify(expected: DatasetTotals): Promise<CommitReport> {
      want.dropNodeTable(); // every record is in; a big graph's node table holds a temporary file
      const r = await inner.verify({ records: expected.records, digest: want.hex() });
      const lines = [...conv.report(from, dry), ...schema.notRestored.map((n) => `${dry ? 'would not restore' : 'NOT restored'}: ${n}`)];
      return { ...r, digest: expected.digest, actions: [...lines, ...r.actions] };
    },
    undoable: () => inner.undoable(),
    publish: (): Promise<PublishResult> => inner.publish(),
    undo: () => inner.undo(),
    finish: () => inner.finish(),
    abort: (err: unknown): Promise<AbortOutcome> => {
      want.dropNodeTable();
      return inner.abort(err, false);
    },
    discard: (_desc, ctx) => inner.discard(own, ctx),
  };
}
