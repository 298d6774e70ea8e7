/** One collection: its settings, its points (a Map by id) and the id order for scrolling. */
import type { Schemas } from '@qdrant/js-client-rest';
import { CollectionSettings } from './config.ts';
import { badInput, formatError, QdrantHttpError } from './errors.ts';
import { parsePointId, type PointId } from './ids.ts';
import { SortedIds } from './sorted-ids.ts';
import { isRawNumber } from '../../src/format/json.ts';
import { storePayload } from './payload.ts';
import { toStored, vectorOutput, type StoredVector } from './vectors.ts';
// Qdrant (Rust) keeps a vector or payload key named __proto__; so must the emulator.
import { setMember } from '../../src/format/json.ts';

export interface StoredPoint {
  id: PointId;
  vectors: Record<string, StoredVector>;
  payload: Record<string, unknown>;
}

export interface PayloadIndex {
  dataType: Schemas['PayloadSchemaType'];
  params: Record<string, unknown> | undefined;
}

/** A `Record` whose vectors may still be typed arrays; encodeJson writes them as number arrays. */
export type WireRecord = Omit<Schemas['Record'], 'vector' | 'id' | 'payload'> & {
  id: PointId;
  payload?: Schemas['Payload'];
  vector?: unknown;
};

/**
 * An upsert as the server carries it out: the points that pass, and the first point's error.
 * Qdrant applies a point list point by point, so a batch that fails with 400 "Wrong input" (a
 * wrong dimension, an unknown vector name) can still have written other points of the batch; which
 * ones is not predictable (see DIFFERENCES.md). The emulator writes every point that passes, the
 * most a real server can leave behind. Errors of the body as a whole (400 "Format error", 422)
 * come before anything is written.
 */
export interface PreparedUpsert {
  points: StoredPoint[];
  error: QdrantHttpError | undefined;
}

const isWrongInput = (err: unknown): err is QdrantHttpError => err instanceof QdrantHttpError && err.status === 400 && err.message.startsWith('Wrong input: ');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Collection {
  readonly settings: CollectionSettings;
  readonly points = new Map<PointId, StoredPoint>();
  readonly order = new SortedIds();
  readonly indexes = new Map<string, PayloadIndex>();
  private operationId = 0;

  constructor(body: unknown) {
    this.settings = new CollectionSettings(body);
  }

  nextOperationId(): number {
    return this.operationId++;
  }

  /** Parses the vectors of one point (`VectorStruct`) into stored form. */
  parseVectors(raw: unknown, field: string): Record<string, StoredVector> {
    const out: Record<string, StoredVector> = {};
    if (Array.isArray(raw)) {
      out[''] = toStored(raw, '', this.settings.spec(''), field);
    } else if (isObject(raw)) {
      if ('indices' in raw) throw badInput('Conversion between sparse and regular vectors failed');
      // serde's validation path names a map entry `?`: `points[0].vector.?.indices`.
      for (const [name, v] of Object.entries(raw)) setMember(out, name, toStored(v, name, this.settings.spec(name), `${field}.?`));
    } else {
      throw formatError(`${field}: data did not match any variant of untagged enum VectorStruct`);
    }
    return out;
  }

  /** Checks an upsert point by point; `partial: false` refuses the whole batch on the first bad point. */
  prepareUpsert(body: unknown, partial = true): PreparedUpsert {
    if (!isObject(body)) throw formatError('data did not match any variant of untagged enum PointInsertOperations');
    const out: StoredPoint[] = [];
    let error: QdrantHttpError | undefined;
    const attempt = (make: () => StoredPoint): void => {
      try {
        out.push(make());
      } catch (err) {
        if (!isWrongInput(err) || !partial) throw err;
        error ??= err;
      }
    };
    if (Array.isArray(body.points)) {
      body.points.forEach((p: unknown, i: number) => {
        if (!isObject(p)) throw formatError(`points[${i}]: invalid type: expected struct PointStruct`);
        if (!('id' in p)) throw formatError(`points[${i}]: missing field \`id\``);
        if (!('vector' in p)) throw formatError(`points[${i}]: missing field \`vector\``);
        const payload = p.payload == null ? {} : p.payload;
        if (!isObject(payload)) throw formatError(`points[${i}].payload: invalid type: expected a map`);
        const id = parsePointId(p.id, `points[${i}].id`);
        const stored = storePayload(payload) as Record<string, unknown>;
        attempt(() => ({ id, vectors: this.parseVectors(p.vector, `points[${i}].vector`), payload: stored }));
      });
      return { points: out, error };
    }
    if (isObject(body.batch)) {
      const { ids, vectors, payloads } = body.batch;
      if (!Array.isArray(ids)) throw formatError('batch: missing field `ids`');
      if (payloads != null && (!Array.isArray(payloads) || payloads.length !== ids.length)) {
        throw badInput('number of ids and payloads must be equal');
      }
      const perName: Record<string, unknown[]> = Array.isArray(vectors) ? { '': vectors } : isObject(vectors) ? (vectors as Record<string, unknown[]>) : {};
      for (const [name, list] of Object.entries(perName)) {
        if (!Array.isArray(list) || list.length !== ids.length) throw badInput(`number of ids and vectors must be equal (vector \`${name}\`)`);
      }
      ids.forEach((rawId: unknown, i: number) => {
        const payload = payloads?.[i] ?? {};
        if (!isObject(payload)) throw formatError(`batch.payloads[${i}]: invalid type: expected a map`);
        const id = parsePointId(rawId, `batch.ids[${i}]`);
        const stored = storePayload(payload) as Record<string, unknown>;
        attempt(() => {
          const v: Record<string, StoredVector> = {};
          for (const [name, list] of Object.entries(perName)) setMember(v, name, toStored(list[i], name, this.settings.spec(name), `batch.vectors.${name}[${i}]`));
          return { id, vectors: v, payload: stored };
        });
      });
      return { points: out, error };
    }
    throw formatError('data did not match any variant of untagged enum PointInsertOperations');
  }

  upsert(points: StoredPoint[]): void {
    for (const p of points) {
      if (!this.points.has(p.id)) this.order.add(p.id);
      this.points.set(p.id, p);
    }
  }

  delete(ids: PointId[]): void {
    for (const id of ids) {
      if (this.points.delete(id)) this.order.remove(id);
    }
  }

  /** `Record` as Qdrant serialises it: `payload` and `vector` are left out when not asked for. */
  record(p: StoredPoint, withPayload: unknown, withVector: unknown): WireRecord {
    const out: WireRecord = { id: p.id };
    const payload = selectPayload(p.payload, withPayload);
    if (payload !== null) out.payload = payload as Schemas['Payload'];
    const vector = this.selectVectors(p, withVector);
    if (vector !== null) out.vector = vector;
    return out;
  }

  private selectVectors(p: StoredPoint, withVector: unknown): unknown {
    if (withVector === undefined || withVector === null || withVector === false) return null;
    const names = Array.isArray(withVector) ? withVector.map(String) : Object.keys(p.vectors);
    const chosen = names.filter((n) => Object.hasOwn(p.vectors, n));
    // Qdrant answers with the bare vector only when the point's vectors are just the default one.
    if (withVector === true && chosen.length === 1 && chosen[0] === '' && this.settings.singleVector) {
      return vectorOutput(p.vectors[''] as StoredVector);
    }
    const out: Record<string, unknown> = {};
    for (const n of chosen) out[n] = vectorOutput(p.vectors[n] as StoredVector);
    return out;
  }

  /**
   * Number of points whose payload holds, at `key` (a dotted path), a value the index of type
   * `dataType` accepts (or an array with one), for payload_schema: an integer index takes only
   * i64 integers, so 12345678901234567891 is stored but not counted, as on a real server.
   */
  countWithField(key: string, dataType: Schemas['PayloadSchemaType']): number {
    const path = key.split('.');
    let n = 0;
    for (const p of this.points.values()) {
      let v: unknown = p.payload;
      for (const part of path) v = isObject(v) ? v[part] : undefined;
      const values = Array.isArray(v) ? v : [v];
      if (values.some((x) => indexAccepts(dataType, x))) n++;
    }
    return n;
  }
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Whether a payload index of this type takes the (stored) value. */
function indexAccepts(dataType: Schemas['PayloadSchemaType'], v: unknown): boolean {
  const lexeme = isRawNumber(v) ? v.rawJSON : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
  switch (dataType) {
    case 'integer':
      return lexeme !== undefined && /^-?\d+$/.test(lexeme) && BigInt(lexeme) >= I64_MIN && BigInt(lexeme) <= I64_MAX;
    case 'float':
      return lexeme !== undefined;
    case 'bool':
      return typeof v === 'boolean';
    case 'geo':
      return isObject(v) && v.lat !== undefined && v.lon !== undefined;
    case 'datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    case 'uuid':
      return typeof v === 'string' && UUID.test(v);
    default:
      return typeof v === 'string';
  }
}

/** Applies `with_payload`: bool, a list of keys, or `{include}` / `{exclude}`. */
export function selectPayload(payload: Record<string, unknown>, sel: unknown): Record<string, unknown> | null {
  if (sel === undefined || sel === null || sel === true) return payload;
  if (sel === false) return null;
  const pick = (keys: string[]) => Object.fromEntries(Object.entries(payload).filter(([k]) => keys.includes(k)));
  if (Array.isArray(sel)) return pick(sel.map(String));
  if (isObject(sel)) {
    if (Array.isArray(sel.include)) return pick(sel.include.map(String));
    if (Array.isArray(sel.exclude)) {
      const drop = sel.exclude.map(String);
      return Object.fromEntries(Object.entries(payload).filter(([k]) => !drop.includes(k)));
    }
  }
  throw formatError('with_payload: data did not match any variant of untagged enum WithPayloadInterface');
}
