/** The Qdrant REST calls memarc makes, typed and named for messages. */
import type { Json, JsonObject } from '../../format/records.ts';
import type { PointText, QdrantPoint, QdrantId } from './convert.ts';
import { fingerprintOf, type CollectionInfo } from './fingerprint.ts';
import { BodyChunks, JsonPieces, seg, type LentBytes, type QdrantHttp } from './http.ts';
import { DECLINED } from './elements.ts';
import { scannedPoint } from './point-scan.ts';
import { keepPayloadLexemes } from './payload-lexemes.ts';
import { parseJsonFloatMember, stringifyJson } from '../../format/json.ts';
import { MemarcError } from '../../errors.ts';

export interface ScrollPage {
  points: QdrantPoint[];
  next: QdrantId | null;
  bytes: number;
}

/**
 * One point of a scroll or retrieve answer, from its own text (the answer is split as it arrives,
 * http.ts): its payload numbers keep their written form.
 */
function pointOf(text: string): QdrantPoint {
  const p = parseJsonFloatMember(text, 'vector') as QdrantPoint;
  keepPayloadLexemes(text, [p], 1);
  return p;
}

/** A point read from its bytes with its vector as float32s (point-scan.ts), or DECLINED: then parsed from its text. */
function scannedOrDeclined(b: Buffer, start: number, end: number): QdrantPoint | typeof DECLINED {
  return scannedPoint(b, start, end, pointOf) ?? DECLINED;
}

export class QdrantApi {
  readonly http: QdrantHttp;

  constructor(http: QdrantHttp) {
    this.http = http;
  }

  async serverVersion(signal?: AbortSignal): Promise<string | undefined> {
    const r = await this.http.call<{ version?: string } | undefined>('GET', '/', undefined, { what: 'read the server version', idempotent: true, signal });
    return typeof r?.version === 'string' ? r.version : undefined;
  }

  async listCollections(signal?: AbortSignal): Promise<string[]> {
    const r = await this.http.call<{ collections: Array<{ name: string }> }>('GET', '/collections', undefined, { what: 'list collections', idempotent: true, signal });
    return r.collections.map((c) => c.name).sort();
  }

  /** Collection info, or null if there is no collection (an alias of that name does not count). */
  async collectionInfo(name: string, signal?: AbortSignal): Promise<CollectionInfo | null> {
    const r = await this.http.request('GET', `/collections/${seg(name)}`, undefined, {
      what: `read collection "${name}"`, idempotent: true, signal, accept: [404],
    });
    return r.status === 404 ? null : (r.result as CollectionInfo);
  }

  /** All aliases of the server: alias name → collection name. */
  async aliases(signal?: AbortSignal): Promise<Map<string, string>> {
    const r = await this.http.call<{ aliases: Array<{ alias_name: string; collection_name: string }> }>('GET', '/aliases', undefined, {
      what: 'list aliases', idempotent: true, signal,
    });
    return new Map(r.aliases.map((a) => [a.alias_name, a.collection_name]));
  }

  async fingerprint(name: string, aliases: Map<string, string>, signal?: AbortSignal): Promise<JsonObject | null> {
    const info = await this.collectionInfo(name, signal);
    if (!info) return null;
    const own = [...aliases].filter(([, c]) => c === name).map(([a]) => a);
    return fingerprintOf(info, own);
  }

  async scroll(collection: string, offset: QdrantId | null, limit: number, signal?: AbortSignal): Promise<ScrollPage> {
    const body: JsonObject = { limit, with_payload: true, with_vector: true };
    if (offset !== null) body.offset = offset;
    const r = await this.http.request('POST', `/collections/${seg(collection)}/points/scroll`, body, {
      what: `scroll collection "${collection}"`, idempotent: true, signal,
      elements: { path: ['result', 'points'], each: pointOf, fromBytes: scannedOrDeclined },
    });
    const res = r.result as { points: QdrantPoint[]; next_page_offset?: QdrantId | null };
    return { points: res.points, next: res.next_page_offset ?? null, bytes: r.bytes };
  }

  async createCollection(name: string, body: JsonObject, signal?: AbortSignal): Promise<void> {
    await this.http.call('PUT', `/collections/${seg(name)}`, body, { what: `create collection "${name}"`, signal });
  }

  async updateCollection(name: string, body: JsonObject, signal?: AbortSignal): Promise<void> {
    await this.http.call('PATCH', `/collections/${seg(name)}`, body, { what: `update collection "${name}"`, idempotent: true, signal });
  }

  /** Drops a collection; a missing one is not an error. */
  async dropCollection(name: string, signal?: AbortSignal): Promise<void> {
    await this.http.request('DELETE', `/collections/${seg(name)}`, undefined, { what: `drop collection "${name}"`, idempotent: true, signal, accept: [404] });
  }

  async createIndex(collection: string, field: string, schema: Json, signal?: AbortSignal): Promise<void> {
    await this.http.call('PUT', `/collections/${seg(collection)}/index?wait=true`, { field_name: field, field_schema: schema }, {
      what: `create payload index "${field}" on collection "${collection}"`, idempotent: true, signal,
    });
  }

  /** One atomic alias update: all actions apply, or none. */
  async updateAliases(actions: JsonObject[], what: string, signal?: AbortSignal): Promise<void> {
    await this.http.call('POST', '/collections/aliases', { actions }, { what, signal });
  }

  /**
   * Upserts points, made and sent as the connection takes them (http.ts JsonPieces), so no whole
   * body is ever in memory: `text` makes a point's JSON text from an item when it is its turn,
   * written into reused chunks (UPSERT_CHUNKS); without it the items are points, sent as
   * stringifyJson prints them.
   */
  async upsert<T = QdrantPoint>(collection: string, items: readonly T[], signal?: AbortSignal, text?: (item: T) => PointText): Promise<void> {
    const body = new JsonPieces(
      text
        ? () => chunkedPoints(items, text)
        : function* () {
            yield '{"points":[';
            for (let i = 0; i < items.length; i++) {
              // The comma on its own: joined to the point's text it made a second string, copied
              // once more when the connection measured and wrote it.
              if (i > 0) yield ',';
              yield stringifyJson(items[i]);
            }
            yield ']}';
          },
    );
    await this.http.call('PUT', `/collections/${seg(collection)}/points?wait=true`, body, {
      what: `upsert ${items.length} points into collection "${collection}"`, idempotent: true, signal,
    });
  }

  async retrieve(collection: string, ids: QdrantId[], signal?: AbortSignal): Promise<QdrantPoint[]> {
    return this.readBack(collection, ids, (p) => p, signal);
  }

  /**
   * retrieve, with each point handed to `see` as it arrives and then dropped: the points of one
   * answer are never all held at once. A verified import compares each point here, so that its
   * parsed vector (768 doubles) dies young instead of waiting, with the whole answer's, for the
   * answer's end (bench/RESULTS.md, "Session 13"). `see` must not throw: a throw is taken for a
   * malformed answer.
   */
  async retrieveEach(collection: string, ids: QdrantId[], see: (p: QdrantPoint) => void, signal?: AbortSignal): Promise<void> {
    await this.readBack(collection, ids, see, signal, true);
  }

  /**
   * The points of `ids` (with payloads and vectors), each made what `each` returns as it arrives.
   * An answer whose result is not an array of points, each of which went through `each`, is
   * STORE_ERROR (a bare array without the envelope would not have).
   */
  private async readBack<T>(collection: string, ids: QdrantId[], each: (p: QdrantPoint) => T, signal?: AbortSignal, scan = false): Promise<T[]> {
    let seen = 0;
    const r = await this.http.request('POST', `/collections/${seg(collection)}/points`, { ids, with_payload: true, with_vector: true }, {
      what: `read back ${ids.length} points of collection "${collection}"`, idempotent: true, signal,
      elements: {
        path: ['result'],
        each: (text) => (seen++, each(pointOf(text))),
        // With `scan`, an unnamed dense vector is read from the bytes as float32s (point-scan.ts).
        ...(scan ? { fromBytes: (b: Buffer, start: number, end: number) => {
          const p = scannedOrDeclined(b, start, end);
          return p === DECLINED ? p : (seen++, each(p));
        } } : {}),
      },
    });
    const res = r.result;
    if (!Array.isArray(res) || res.length !== seen) {
      throw new MemarcError('STORE_ERROR', `read back ${ids.length} points of collection "${collection}": the answer's result is not an array of points`, {
        hint: "the server (or a proxy in front of it) answered with something that is not Qdrant's; check QDRANT_URL",
        context: { collection },
      });
    }
    return res as T[];
  }

  /** Which of `ids` the collection holds (ids only, no payload or vectors). */
  async existing(collection: string, ids: QdrantId[], signal?: AbortSignal): Promise<QdrantId[]> {
    const r = await this.http.call<Array<{ id: QdrantId }>>('POST', `/collections/${seg(collection)}/points`, { ids, with_payload: false, with_vector: false }, {
      what: `look up ${ids.length} point ids of collection "${collection}"`, idempotent: true, signal,
    });
    return r.map((p) => p.id);
  }

  async deletePoints(collection: string, ids: QdrantId[], signal?: AbortSignal): Promise<void> {
    await this.http.call('POST', `/collections/${seg(collection)}/points/delete?wait=true`, { points: ids }, {
      what: `delete ${ids.length} points of collection "${collection}"`, idempotent: true, signal,
    });
  }

  async count(collection: string, signal?: AbortSignal): Promise<number> {
    const r = await this.http.call<{ count: number }>('POST', `/collections/${seg(collection)}/points/count`, { exact: true }, {
      what: `count points of collection "${collection}"`, idempotent: true, signal,
    });
    return r.count;
  }
}

/** The chunks every upsert body of the process is written into (http.ts BodyChunks): at most 2 MiB kept. */
const UPSERT_CHUNKS = new BodyChunks();

/** `{"points":[…]}`, the points' texts one after another in chunks, each chunk lent as it fills. */
function* chunkedPoints<T>(items: readonly T[], text: (item: T) => PointText): Generator<LentBytes> {
  let chunk = UPSERT_CHUNKS.take(0);
  let at = chunk.write('{"points":[', 0, 'latin1');
  for (let i = 0; i < items.length; i++) {
    const t = text(items[i]!);
    if (at + t.size + 1 > chunk.length) {
      yield UPSERT_CHUNKS.lend(chunk, at);
      chunk = UPSERT_CHUNKS.take(t.size + 1);
      at = 0;
    }
    if (i > 0) chunk[at++] = 44; // ,
    at = t.write(chunk, at);
  }
  if (at + 2 > chunk.length) {
    yield UPSERT_CHUNKS.lend(chunk, at);
    chunk = UPSERT_CHUNKS.take(2);
    at = 0;
  }
  chunk[at++] = 93; // ]
  chunk[at++] = 125; // }
  yield UPSERT_CHUNKS.lend(chunk, at);
}
