/** One collection: its settings, its points (a Map by id) and the id order for scrolling. */
import type { Schemas } from '@qdrant/js-client-rest';
import { CollectionSettings } from './config.ts';
import { badInput, formatError } from './errors.ts';
import { parsePointId, type PointId } from './ids.ts';
import { SortedIds } from './sorted-ids.ts';
import { toStored, vectorOutput, type StoredVector } from './vectors.ts';

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
  payload: Schemas['Payload'] | null;
  vector: unknown;
};

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
      for (const [name, v] of Object.entries(raw)) out[name] = toStored(v, name, this.settings.spec(name), `${field}.${name}`);
    } else {
      throw formatError(`${field}: data did not match any variant of untagged enum VectorStruct`);
    }
    return out;
  }

  /** Validates a whole upsert before storing any of it, as one Qdrant operation does. */
  prepareUpsert(body: unknown): StoredPoint[] {
    if (!isObject(body)) throw formatError('data did not match any variant of untagged enum PointInsertOperations');
    const out: StoredPoint[] = [];
    if (Array.isArray(body.points)) {
      body.points.forEach((p: unknown, i: number) => {
        if (!isObject(p)) throw formatError(`points[${i}]: invalid type: expected struct PointStruct`);
        if (!('id' in p)) throw formatError(`points[${i}]: missing field \`id\``);
        if (!('vector' in p)) throw formatError(`points[${i}]: missing field \`vector\``);
        const payload = p.payload == null ? {} : p.payload;
        if (!isObject(payload)) throw formatError(`points[${i}].payload: invalid type: expected a map`);
        out.push({ id: parsePointId(p.id, `points[${i}].id`), vectors: this.parseVectors(p.vector, `points[${i}].vector`), payload });
      });
      return out;
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
        const v: Record<string, StoredVector> = {};
        for (const [name, list] of Object.entries(perName)) v[name] = toStored(list[i], name, this.settings.spec(name), `batch.vectors.${name}[${i}]`);
        const payload = payloads?.[i] ?? {};
        if (!isObject(payload)) throw formatError(`batch.payloads[${i}]: invalid type: expected a map`);
        out.push({ id: parsePointId(rawId, `batch.ids[${i}]`), vectors: v, payload });
      });
      return out;
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

  /** `Record` as Qdrant serialises it: `payload` and `vector` are null when not asked for. */
  record(p: StoredPoint, withPayload: unknown, withVector: unknown): WireRecord {
    return { id: p.id, payload: selectPayload(p.payload, withPayload), vector: this.selectVectors(p, withVector) };
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

  /** Number of points whose payload holds a value at `key` (a dotted path), for payload_schema. */
  countWithField(key: string): number {
    const path = key.split('.');
    let n = 0;
    for (const p of this.points.values()) {
      let v: unknown = p.payload;
      for (const part of path) v = isObject(v) ? v[part] : undefined;
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) n++;
    }
    return n;
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
