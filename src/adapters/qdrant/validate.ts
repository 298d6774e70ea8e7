/**
 * Checks a record against the target's vectors before anything is sent, so that a bad batch is
 * refused whole with an error naming the point, instead of half-written and refused by the server.
 */
import { MemarcError } from '../../errors.ts';
import { decodeF32, type PointRecord, type VectorValue } from '../../format/records.ts';
import { pointIdProblem } from '../../format/validate.ts';
import { f32Count } from '../../format/validate.ts';
import type { VectorSpec } from './fingerprint.ts';
import { vectorHazard } from './restorable.ts';


function denseProblem(b64: string, spec: VectorSpec): string | null {
  const n = f32Count(b64);
  if (n !== spec.size) return `has ${n} dimensions, the target expects ${spec.size}`;
  if (spec.datatype === 'uint8') {
    const v = decodeF32(b64);
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!(Number.isInteger(x) && x >= 0 && x <= 255)) return `component ${i} is ${x}, which a uint8 vector cannot hold`;
    }
  }
  return null;
}

function vectorProblem(v: VectorValue, spec: VectorSpec): string | null {
  if ('dense' in v) {
    if (spec.kind !== 'dense') return `is a dense vector, the target declares a ${spec.kind} vector`;
    return denseProblem(v.dense, spec);
  }
  if ('multi' in v) {
    if (spec.kind !== 'multi') return `is a multivector, the target declares a ${spec.kind} vector`;
    if (v.multi.length === 0) return 'is an empty multivector';
    for (let i = 0; i < v.multi.length; i++) {
      const p = denseProblem(v.multi[i]!, spec);
      if (p) return `sub-vector ${i} ${p}`;
    }
    return null;
  }
  if (spec.kind !== 'sparse') return `is a sparse vector, the target declares a ${spec.kind} vector`;
  const { indices, values } = v.sparse;
  if (indices.length !== f32Count(values)) return `has ${indices.length} indices but ${f32Count(values)} values`;
  const seen = new Set<number>();
  for (const ix of indices) {
    if (!Number.isInteger(ix) || ix < 0 || ix > 0xffffffff) return `has index ${ix}, which is not a u32`;
    if (seen.has(ix)) return `repeats index ${ix}`;
    seen.add(ix);
  }
  return null;
}

/** A value Qdrant would not store as it is: NaN, ±Infinity, or a Cosine vector whose length overflows. */
function hazardOf(v: VectorValue, spec: VectorSpec): string | null {
  const rows = 'sparse' in v ? [decodeF32(v.sparse.values)] : 'dense' in v ? [decodeF32(v.dense)] : v.multi.map(decodeF32);
  const h = vectorHazard(rows, 'sparse' in v ? undefined : spec);
  return h ? `cannot be restored: ${h}` : null;
}

/** Throws SCHEMA_MISMATCH (or MALFORMED_RECORD for a bad id) naming the point and the vector. */
export function validatePoint(r: PointRecord, specs: Map<string, VectorSpec>, collection: string, dataset: string): void {
  const idp = pointIdProblem(r.id);
  if (idp) {
    throw new MemarcError('MALFORMED_RECORD', `point ${JSON.stringify(String(r.id))} of dataset "${dataset}": ${idp}`, {
      hint: 'Qdrant ids are unsigned 64-bit integers or UUIDs; fix the archive or its producer',
      context: { dataset, point: String(r.id) },
    });
  }
  for (const [name, v] of Object.entries(r.vectors)) {
    const spec = specs.get(name);
    const where = `point ${String(r.id)} of dataset "${dataset}": vector ${JSON.stringify(name)}`;
    if (!spec) {
      const known = [...specs.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none';
      throw new MemarcError('SCHEMA_MISMATCH', `${where} is not a vector of collection "${collection}" (its vectors: ${known})`, {
        hint: 'the archive and the target disagree on vector names; restore into a new collection (--rename) or fix the archive',
        context: { dataset, point: String(r.id), vector: name },
      });
    }
    const p = vectorProblem(v, spec);
    const h = p === null ? hazardOf(v, spec) : null;
    if (h) {
      throw new MemarcError('SCHEMA_MISMATCH', `${where} ${h} (collection "${collection}")`, {
        hint: 'Qdrant cannot store this value as it is (spec/FORMAT.md, section 15.2); fix the point in the source, or leave it out',
        context: { dataset, point: String(r.id), vector: name },
      });
    }
    if (p) {
      throw new MemarcError('SCHEMA_MISMATCH', `${where} ${p} (collection "${collection}")`, {
        hint: 'the record does not fit the collection schema; check that the archive is the one you meant, or restore into a new collection (--rename)',
        context: { dataset, point: String(r.id), vector: name },
      });
    }
  }
}
