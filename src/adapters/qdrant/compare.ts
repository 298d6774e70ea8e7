/**
 * Semantic comparison of two collection fingerprints (an archive's and a live target's).
 *
 * Rules, so that a newer server or a harmless default never blocks a restore:
 * - Volatile members (point counts, statuses, segment counts) and aliases are ignored.
 * - A setting present on one side only is a server-added default and is ignored; null counts as
 *   absent. A single unnamed vector and a map with the one name "" are the same thing.
 * - Where presence is itself the schema it is compared: the set of dense and sparse vector names,
 *   whether a vector is a multivector, its datatype (absent means float32), a sparse vector's
 *   modifier (absent means none), the set of indexed payload fields and their types, and whether
 *   the collection is quantized at all.
 * Every other difference is real and explained in one line that names both values.
 */
import { canonicalJson } from '../../format/canonical.ts';
import type { Json, JsonObject } from '../../format/records.ts';
import { isPlainObject, namedVectors } from './fingerprint.ts';

export interface FingerprintDifference {
  /** Dotted location of the difference, e.g. `params.vectors."".size`. */
  path: string;
  archive: Json | undefined;
  target: Json | undefined;
  /** One line for the user: `vector "": size 768 in the archive, 384 in the target`. */
  message: string;
}

const VOLATILE_TOP = new Set(['status', 'optimizer_status', 'points_count', 'vectors_count', 'indexed_vectors_count', 'segments_count', 'aliases', 'update_queue', 'warnings']);
const HANDLED_PARAMS = new Set(['vectors', 'sparse_vectors']);
const HANDLED_TOP = new Set(['params', 'payload_schema', 'quantization_config']);

function fmt(v: Json | undefined): string {
  if (v === undefined || v === null) return 'absent';
  if (typeof v === 'string') return v;
  return canonicalJson(v);
}

function absent(v: Json | undefined): boolean {
  return v === undefined || v === null;
}

function equalJson(a: Json, b: Json): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

class Collector {
  readonly out: FingerprintDifference[] = [];

  /** A difference in a value; `subject` names the thing, `field` the setting. */
  value(path: string, subject: string, field: string, a: Json | undefined, b: Json | undefined): void {
    const what = field ? `${field} ` : '';
    this.out.push({ path, archive: a, target: b, message: `${subject}: ${what}${fmt(a)} in the archive, ${fmt(b)} in the target` });
  }

  presence(path: string, subject: string, a: Json | undefined, b: Json | undefined): void {
    const where = absent(a) ? 'absent in the archive, present in the target' : 'present in the archive, absent in the target';
    this.out.push({ path, archive: a, target: b, message: `${subject}: ${where}` });
  }

  /** Deep compare where a member absent on either side is a default and not a difference. */
  loose(path: string, subject: string, field: string, a: Json | undefined, b: Json | undefined): void {
    if (absent(a) || absent(b)) return;
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
        this.loose(`${path}.${k}`, subject, field ? `${field}.${k}` : k, a[k], b[k]);
      }
      return;
    }
    if (!equalJson(a!, b!)) this.value(path, subject, field, a, b);
  }
}

function q(name: string): string {
  return JSON.stringify(name);
}

function compareVectors(c: Collector, a: Json | undefined, b: Json | undefined): void {
  const va = namedVectors(a);
  const vb = namedVectors(b);
  for (const name of new Set([...Object.keys(va), ...Object.keys(vb)])) {
    const pa = va[name];
    const pb = vb[name];
    const subject = `vector ${q(name)}`;
    const path = `params.vectors.${q(name)}`;
    if (!pa || !pb) {
      c.presence(path, subject, pa, pb);
      continue;
    }
    for (const k of ['size', 'distance'] as const) {
      if (!equalJson(pa[k] ?? null, pb[k] ?? null)) c.value(`${path}.${k}`, subject, k, pa[k], pb[k]);
    }
    const da = pa.datatype ?? 'float32';
    const db = pb.datatype ?? 'float32';
    if (da !== db) c.value(`${path}.datatype`, subject, 'datatype', da, db);
    const ma = pa.multivector_config;
    const mb = pb.multivector_config;
    if (absent(ma) !== absent(mb)) c.value(`${path}.multivector_config`, subject, 'multivector_config', ma, mb);
    else c.loose(`${path}.multivector_config`, subject, 'multivector_config', ma, mb);
    for (const k of Object.keys({ ...pa, ...pb })) {
      if (['size', 'distance', 'datatype', 'multivector_config'].includes(k)) continue;
      c.loose(`${path}.${k}`, subject, k, pa[k], pb[k]);
    }
  }
}

function compareSparse(c: Collector, a: Json | undefined, b: Json | undefined): void {
  const sa = isPlainObject(a) ? a : {};
  const sb = isPlainObject(b) ? b : {};
  for (const name of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
    const pa = sa[name];
    const pb = sb[name];
    const subject = `sparse vector ${q(name)}`;
    const path = `params.sparse_vectors.${q(name)}`;
    if (pa === undefined || pb === undefined) {
      c.presence(path, subject, pa === undefined ? undefined : (pa ?? {}), pb === undefined ? undefined : (pb ?? {}));
      continue;
    }
    const oa = isPlainObject(pa) ? pa : {};
    const ob = isPlainObject(pb) ? pb : {};
    const ma = oa.modifier ?? 'none';
    const mb = ob.modifier ?? 'none';
    if (ma !== mb) c.value(`${path}.modifier`, subject, 'modifier', ma, mb);
    c.loose(`${path}.index`, subject, 'index', oa.index, ob.index);
  }
}

function comparePayloadSchema(c: Collector, a: Json | undefined, b: Json | undefined): void {
  const sa = isPlainObject(a) ? a : {};
  const sb = isPlainObject(b) ? b : {};
  for (const field of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
    const ia = sa[field];
    const ib = sb[field];
    const subject = `payload index ${q(field)}`;
    const path = `payload_schema.${q(field)}`;
    if (!isPlainObject(ia) || !isPlainObject(ib)) {
      c.presence(path, subject, ia, ib);
      continue;
    }
    if (ia.data_type !== ib.data_type) c.value(`${path}.data_type`, subject, 'data_type', ia.data_type, ib.data_type);
    c.loose(`${path}.params`, subject, 'params', ia.params, ib.params);
  }
}

/** The differences between an archive's fingerprint and a live collection's; empty when compatible. */
export function compareFingerprints(archive: JsonObject, live: JsonObject): FingerprintDifference[] {
  const c = new Collector();
  const pa = isPlainObject(archive.params) ? archive.params : {};
  const pb = isPlainObject(live.params) ? live.params : {};
  compareVectors(c, pa.vectors, pb.vectors);
  compareSparse(c, pa.sparse_vectors, pb.sparse_vectors);
  for (const k of new Set([...Object.keys(pa), ...Object.keys(pb)])) {
    if (!HANDLED_PARAMS.has(k)) c.loose(`params.${k}`, 'params', k, pa[k], pb[k]);
  }
  comparePayloadSchema(c, archive.payload_schema, live.payload_schema);
  const qa = archive.quantization_config;
  const qb = live.quantization_config;
  if (absent(qa) !== absent(qb)) c.presence('quantization_config', 'quantization_config', qa, qb);
  else c.loose('quantization_config', 'quantization_config', '', qa, qb);
  for (const k of new Set([...Object.keys(archive), ...Object.keys(live)])) {
    if (VOLATILE_TOP.has(k) || HANDLED_TOP.has(k)) continue;
    c.loose(k, k, '', archive[k], live[k]);
  }
  return c.out;
}

/** The differences as one message, for a SCHEMA_MISMATCH error. */
export function describeDifferences(diffs: FingerprintDifference[], max = 10): string {
  const lines = diffs.slice(0, max).map((d) => `  - ${d.message}`);
  if (diffs.length > max) lines.push(`  - … and ${diffs.length - max} more`);
  return lines.join('\n');
}
