/**
 * The REST endpoints memarc uses, each a function from a parsed request to a `result` value.
 * Shapes are typed against the official client's `Schemas` so tsc checks them.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import type { Collection, WireRecord } from './collection.ts';
import { badInput, formatError, rangeMessage, validationError, QdrantHttpError } from './errors.ts';
import { parsePointId, type PointId } from './ids.ts';
import { withPayloadLexemes } from './payload.ts';
import type { Storage } from './storage.ts';

export interface Request {
  method: string;
  segments: string[];
  query: URLSearchParams;
  /** Parsed JSON body; `undefined` when the request had none. */
  body: () => unknown;
  /** The body as sent (an upsert reads its payload numbers' text from it). */
  text: string;
}

export interface ServerInfo {
  version: string;
  commit: string;
}

type Handler = (req: Request, params: string[], ctx: { storage: Storage; info: ServerInfo }) => unknown;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);


function updateResult(c: Collection, req: Request): Schemas['UpdateResult'] {
  const wait = req.query.get('wait') === 'true';
  return { operation_id: c.nextOperationId(), status: wait ? 'completed' : 'acknowledged' };
}

/** Filters are not emulated: an empty filter is accepted, any condition is refused loudly. */
function refuseFilter(filter: unknown): void {
  if (filter === undefined || filter === null) return;
  if (isObject(filter)) {
    const conditions = ['must', 'should', 'must_not', 'min_should'].map((k) => filter[k]);
    if (conditions.every((c) => c === undefined || c === null || (Array.isArray(c) && c.length === 0))) return;
  }
  throw badInput('filters are not supported by the Qdrant emulator (see test/qdrant-emulator/DIFFERENCES.md)');
}

function collectionInfo(c: Collection): Schemas['CollectionInfo'] {
  const payload_schema: Schemas['CollectionInfo']['payload_schema'] = {};
  for (const [field, idx] of c.indexes) {
    const info: Schemas['PayloadIndexInfo'] = { data_type: idx.dataType, points: c.countWithField(field, idx.dataType) };
    if (idx.params) info.params = idx.params as Schemas['PayloadSchemaParams'];
    payload_schema[field] = info;
  }
  return {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: 0,
    points_count: c.points.size,
    segments_count: Math.max(1, c.settings.optimizer.default_segment_number || 2),
    config: c.settings.toConfig(),
    payload_schema,
  };
}

const PAYLOAD_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'] as const;

function createIndex(c: Collection, body: unknown): void {
  if (!isObject(body) || typeof body.field_name !== 'string') throw formatError('missing field `field_name`');
  const schema = body.field_schema;
  if (schema === undefined || schema === null) {
    throw badInput(`Unable to infer type for the field '${body.field_name}'. Please specify \`field_type\``);
  }
  if (typeof schema === 'string') {
    if (!PAYLOAD_TYPES.includes(schema as never)) throw formatError(`field_schema: unknown variant \`${schema}\``);
    c.indexes.set(body.field_name, { dataType: schema as Schemas['PayloadSchemaType'], params: undefined });
    return;
  }
  if (isObject(schema) && PAYLOAD_TYPES.includes(schema.type as never)) {
    // Qdrant 1.16 answers an integer index's params with `is_principal` filled in (null when not given).
    const params = schema.type === 'integer' ? { is_principal: null, ...schema } : { ...schema };
    c.indexes.set(body.field_name, { dataType: schema.type as Schemas['PayloadSchemaType'], params });
    return;
  }
  throw formatError('field_schema: data did not match any variant of untagged enum PayloadFieldSchema');
}

function ids(raw: unknown, field: string): PointId[] {
  if (!Array.isArray(raw)) throw formatError(`missing field \`${field}\``);
  return raw.map((id, i) => parsePointId(id, `${field}[${i}]`));
}

function scroll(c: Collection, body: unknown): { points: WireRecord[]; next_page_offset: PointId | null } {
  const req = isObject(body) ? body : {};
  refuseFilter(req.filter);
  if (req.order_by != null) throw badInput('order_by is not supported by the Qdrant emulator');
  const rawLimit = req.limit ?? 10;
  if (typeof rawLimit !== 'number' || !Number.isInteger(rawLimit) || rawLimit < 0) {
    throw formatError(`limit: invalid value: ${String(rawLimit)}, expected usize`);
  }
  if (rawLimit < 1) throw validationError('scroll_request.limit', rangeMessage(rawLimit, 1));
  const offset = req.offset == null ? undefined : parsePointId(req.offset, 'offset');
  const withPayload = req.with_payload ?? true;
  const withVector = req.with_vector ?? req.with_vectors ?? false;
  const page = c.order.page(offset, rawLimit + 1);
  const next = page.length > rawLimit ? (page[rawLimit] as PointId) : null;
  const points = page.slice(0, rawLimit).map((id) => c.record(c.points.get(id)!, withPayload, withVector));
  return { points, next_page_offset: next };
}

function retrieve(c: Collection, body: unknown): WireRecord[] {
  const req = isObject(body) ? body : {};
  const wanted = ids(req.ids, 'ids');
  const seen = new Set<PointId>();
  const out: WireRecord[] = [];
  for (const id of wanted) {
    const p = c.points.get(id);
    if (!p || seen.has(id)) continue;
    seen.add(id);
    out.push(c.record(p, req.with_payload ?? true, req.with_vector ?? req.with_vectors ?? false));
  }
  return out;
}

const ROUTES: Array<[string, string, Handler]> = [
  ['GET', '', (_r, _p, { info }): Schemas['VersionInfo'] => ({ title: 'qdrant - vector search engine', version: info.version, commit: info.commit })],
  ['GET', 'collections', (_r, _p, { storage }): Schemas['CollectionsResponse'] => ({
    collections: [...storage.collections.keys()].map((name) => ({ name })),
  })],
  ['GET', 'aliases', (_r, _p, { storage }): Schemas['CollectionsAliasesResponse'] => ({ aliases: storage.allAliases() })],
  ['POST', 'collections/aliases', (r, _p, { storage }) => {
    storage.changeAliases(r.body());
    return true;
  }],
  ['GET', 'collections/*', (_r, [name], { storage }) => collectionInfo(storage.get(name!))],
  ['GET', 'collections/*/exists', (_r, [name], { storage }): Schemas['CollectionExistence'] => ({ exists: storage.has(name!) })],
  ['PUT', 'collections/*', (r, [name], { storage }) => {
    checkCollectionName(name!);
    const body = r.body();
    storage.create(name!, body);
    return true;
  }],
  ['PATCH', 'collections/*', (r, [name], { storage }) => {
    storage.get(name!).settings.update(r.body());
    return true;
  }],
  ['DELETE', 'collections/*', (_r, [name], { storage }) => storage.delete(name!)],
  ['GET', 'collections/*/aliases', (_r, [name], { storage }): Schemas['CollectionsAliasesResponse'] => {
    storage.get(name!);
    return { aliases: storage.aliasesOf(name!) };
  }],
  ['PUT', 'collections/*/points', (r, [name], { storage }) => {
    const c = storage.get(name!);
    const prepared = c.prepareUpsert(withPayloadLexemes(r.text, r.body()), storage.partialWrites);
    c.upsert(prepared.points);
    if (prepared.error) throw prepared.error;
    return updateResult(c, r);
  }],
  ['POST', 'collections/*/points', (r, [name], { storage }) => retrieve(storage.get(name!), r.body())],
  ['GET', 'collections/*/points/*', (_r, [name, id], { storage }) => {
    const c = storage.get(name!);
    const pid = parsePointId(/^\d+$/.test(id!) ? BigInt(id!) : id, 'id');
    const p = c.points.get(pid);
    if (!p) throw new QdrantHttpError(404, `Not found: No point with id ${String(pid)} found`);
    return c.record(p, true, true);
  }],
  ['POST', 'collections/*/points/scroll', (r, [name], { storage }) => scroll(storage.get(name!), r.body())],
  ['POST', 'collections/*/points/count', (r, [name], { storage }): Schemas['CountResult'] => {
    const c = storage.get(name!);
    const body = r.body();
    refuseFilter(isObject(body) ? body.filter : undefined);
    return { count: c.points.size };
  }],
  ['POST', 'collections/*/points/delete', (r, [name], { storage }) => {
    const c = storage.get(name!);
    const body = r.body();
    if (!isObject(body)) throw formatError('data did not match any variant of untagged enum PointsSelector');
    if (body.points === undefined) {
      refuseFilter(body.filter);
      throw formatError('data did not match any variant of untagged enum PointsSelector');
    }
    c.delete(ids(body.points, 'points'));
    return updateResult(c, r);
  }],
  ['PUT', 'collections/*/index', (r, [name], { storage }) => {
    const c = storage.get(name!);
    createIndex(c, r.body());
    return updateResult(c, r);
  }],
  ['DELETE', 'collections/*/index/*', (r, [name, field], { storage }) => {
    const c = storage.get(name!);
    c.indexes.delete(field!);
    return updateResult(c, r);
  }],
];

const FORBIDDEN_NAME_CHARS = ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0'];

function checkCollectionName(name: string): void {
  if (name.length < 1 || name.length > 255) throw validationError('name', rangeMessage(name.length, 1), 'path parameters');
  const bad = FORBIDDEN_NAME_CHARS.find((ch) => name.includes(ch));
  if (bad !== undefined) throw validationError('name', `collection name cannot contain "${bad}" char`, 'path parameters');
}

/** Finds the handler for a method and path; `undefined` means 404 (actix's default, empty body). */
export function route(method: string, segments: string[]): { handler: Handler; params: string[] } | undefined {
  for (const [m, pattern, handler] of ROUTES) {
    if (m !== method) continue;
    const parts = pattern === '' ? [] : pattern.split('/');
    if (parts.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] === '*') params.push(segments[i]!);
      else if (parts[i] !== segments[i]) ok = false;
    }
    if (ok) return { handler, params };
  }
  return undefined;
}
