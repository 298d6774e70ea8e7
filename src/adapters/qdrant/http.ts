/**
 * A small Qdrant REST client on node:http, used instead of @qdrant/js-client-rest for speed, measured
 * in bench/RESULTS.md ("Qdrant adapter", run of 2026-11-21): exporting 100,000 768-dimension
 * points through this client ran at 1.74× the throughput of a bare js-client-rest scroll loop
 * (2,636 vs 1,519 points/s, client CPU 18.3 s vs 47.4 s; 1.70× at 10,000 points), from pages
 * bounded in bytes and a parse that does only what memarc needs. (Client 1.19 keeps integers above
 * 2^53 exact too; so does this one: they are parsed from their source text and sent back as raw
 * JSON, src/format/json.ts.) It also maps every failure to a MemarcError with a stable code. The
 * API key travels only in the `api-key` header and is removed from every message.
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { MemarcError } from '../../errors.ts';
import { redactText, redactUrl } from '../../core/redact.ts';
import { parseJson, stringifyJson } from '../../format/json.ts';
import { ArrayElements } from './elements.ts';
import { DEFAULT_RETRY, backoffMs, isRetriableStatus, type RetryPolicy } from './retry.ts';

export interface QdrantHttpOptions {
  url: string;
  apiKey?: string;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout in ms; an upsert with wait=true of a large batch can take a while. */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export interface CallOptions {
  /** What the request does, for messages: "scroll collection \"docs\"". */
  what: string;
  /** Safe to send again after a timeout, a dropped connection, 429 or 5xx. */
  idempotent?: boolean;
  signal?: AbortSignal | undefined;
  /** Statuses returned as a value instead of thrown (e.g. 404 when probing). */
  accept?: number[];
  /**
   * Split the array at this path of the answer (`['result', 'points']`) into its elements as the
   * answer arrives (elements.ts), each turned into a value by `each`: no whole answer is one string.
   * `fromBytes`, if given, is offered each element's bytes first, and DECLINED from it
   * (elements.ts) sends the element to `each`.
   */
  elements?: { path: readonly string[]; each: (text: string) => unknown; fromBytes?: (b: Buffer, start: number, end: number) => unknown };
}

export interface CallResult {
  status: number;
  /** The envelope's `result` (undefined for an accepted error status). */
  result: unknown;
  /** Size of the response body in bytes. */
  bytes: number;
  /**
   * The response body as the server wrote it (payload numbers keep their form there:
   * payload-lexemes.ts); with `elements`, without the array's elements.
   */
  text: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** A failure before a complete HTTP answer: refused, reset, dropped mid-body, timed out. */
class NetworkFailure extends Error {
  readonly detail: string;
  constructor(detail: string, cause: unknown) {
    super(detail, { cause });
    this.detail = detail;
  }
}

/** The network error code of a failed request (node:http errors carry the system's code), if it is one. */
function networkDetail(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code) ? code : undefined;
}

/** A whole HTTP answer. */
interface Answer {
  status: number;
  text: string;
  /** The body's size in bytes, as received. */
  bytes: number;
  retryAfter: string | undefined;
  location: string | undefined;
  /** With `elements`: the array's values, or null when the answer held no such array. */
  values: unknown[] | null;
}

/**
 * A request body sent as it is made, piece by piece as the connection takes them (HTTP chunked
 * transfer coding): an upsert of 64 points of 768 floats is about 1 MB of JSON, and as one string
 * it would be held whole, several times over with requests in flight. `pieces` is called once per
 * attempt; the concatenation of what it yields is the JSON body.
 */
export class JsonPieces {
  readonly pieces: () => Iterable<string | Uint8Array | LentBytes>;
  constructor(pieces: () => Iterable<string | Uint8Array | LentBytes>) {
    this.pieces = pieces;
  }
}

/** A piece of a body in a chunk of a `BodyChunks`, given back once the connection has taken it. */
export class LentBytes {
  readonly bytes: Buffer;
  readonly giveBack: () => void;
  constructor(bytes: Buffer, giveBack: () => void) {
    this.bytes = bytes;
    this.giveBack = giveBack;
  }
}

/**
 * Reused chunks for bodies made in pieces. A body's bytes are written into a chunk; the chunk is
 * lent to the connection as one piece and comes back to be filled again when the write that took
 * it has completed (its callback, which Node calls once the bytes are with the kernel). One that
 * never comes back (a request destroyed in mid-body, a write that failed) is the garbage
 * collector's. An upsert of 64 points of 768 floats fills about 11 chunks of 64 KiB; a write of
 * one is above the socket's high-water mark, so writePieces fills the next only after 'drain',
 * and few are lent at a time. Before, each point was a buffer of its own, about 12 KB made and
 * freed for every point sent (bench/RESULTS.md, session 11).
 */
export class BodyChunks {
  private readonly free: Buffer[] = [];
  readonly size: number;
  private readonly keep: number;
  /** `keep`: at most this many free chunks are held for reuse. */
  constructor(size = 64 * 1024, keep = 32) {
    this.size = size;
    this.keep = keep;
  }

  /** A chunk with room for at least `need` bytes: a free one, else a new one (of its own size when `need` is larger). */
  take(need: number): Buffer {
    if (need > this.size) return Buffer.allocUnsafeSlow(need);
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** The first `end` bytes of `chunk` as a piece; the chunk comes back to this pool when given back, once. */
  lend(chunk: Buffer, end: number): LentBytes {
    let back = false;
    return new LentBytes(chunk.subarray(0, end), () => {
      if (back) return;
      back = true;
      if (chunk.length === this.size && this.free.length < this.keep) this.free.push(chunk);
    });
  }
}

/** An answer that is not the JSON it claims to be. */
class MalformedAnswer extends Error {}

/**
 * Keep-alive connections, one pool per protocol for every Qdrant client of the process (as fetch's
 * global dispatcher was). An idle connection is closed after 5 s, as by Node's own global agent,
 * and does not keep the process alive.
 */
const AGENTS = { 'http:': new http.Agent({ keepAlive: true, timeout: 5000 }), 'https:': new https.Agent({ keepAlive: true, timeout: 5000 }) };

/**
 * One request on node:http. Not fetch, for memory (bench/RESULTS.md, "Session 7"): fetch holds
 * every body as bytes that only the garbage collector frees, a request's as one buffer and an
 * answer's as its chunks plus one concatenated copy. On a migration of 100k points, array buffers
 * reached 26–31 MiB with fetch and 13–16 with this client. Here the request's text is written to
 * the socket from the string, and each chunk of the answer is split or decoded as it arrives and dropped.
 * fetch itself also raised the peak RSS of a small process by 21–26 MiB (bench/client-floor.js).
 * Redirects are not followed (an answer of 3xx is an error that names where it points), so a
 * credential header never goes to another host.
 */
function send(url: URL, method: string, headers: Record<string, string>, body: string | JsonPieces | undefined, signal: AbortSignal, elements?: CallOptions['elements']): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const agent = AGENTS[url.protocol as keyof typeof AGENTS];
    if (!agent) {
      reject(new TypeError(`the URL's protocol is ${url.protocol}; Qdrant's REST API is http: or https:`));
      return;
    }
    const h = typeof body === 'string' ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers;
    const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers: h, agent, signal }, (res) => {
      const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
      const split = ok && elements ? new ArrayElements(elements.path, elements.each, elements.fromBytes) : null;
      // The splitter decodes what it splits; only an answer kept whole is decoded here.
      const decoder = split ? null : new StringDecoder('utf8');
      const parts: string[] = [];
      let bytes = 0;
      let ended = false;
      let failed = false;
      res.on('data', (chunk: Buffer) => {
        if (failed) return;
        bytes += chunk.length;
        try {
          // The splitter takes the bytes and decodes each element once (elements.ts).
          if (split) split.push(chunk);
          else parts.push(decoder!.write(chunk));
        } catch (err) {
          // Rejected here and the connection dropped without an error: destroying the request
          // with one, once its answer has begun, raised it where nothing listened (an uncaught
          // exception), and the answer's end then resolved with its cut skeleton.
          failed = true;
          reject(new MalformedAnswer((err as Error).message));
          req.destroy();
        }
      });
      res.on('end', () => {
        if (failed) return;
        ended = true;
        const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
        if (decoder) parts.push(decoder.end());
        const rest = split?.end();
        resolve({
          status: res.statusCode ?? 0,
          text: rest ? rest.skeleton : parts.join(''),
          bytes,
          retryAfter: one(res.headers['retry-after']),
          location: one(res.headers.location),
          values: rest?.found ? split!.values : null,
        });
      });
      res.on('error', reject);
      // The connection closed before the whole body came.
      res.on('close', () => {
        if (!ended) reject(Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', reject);
    if (body instanceof JsonPieces) {
      writePieces(req, body).catch((err: unknown) => req.destroy(err as Error));
    } else {
      req.end(body);
    }
  });
}

/** Writes a body's pieces as the connection drains, then ends the request. */
async function writePieces(req: http.ClientRequest, body: JsonPieces): Promise<void> {
  for (const piece of body.pieces()) {
    if (req.destroyed) return;
    // A lent chunk is reused only after a write that succeeded: the callback of a failed one may
    // come while the bytes are still queued.
    const ok = piece instanceof LentBytes ? req.write(piece.bytes, (err) => err || piece.giveBack()) : req.write(piece);
    if (!ok) await once(req, 'drain');
  }
  req.end();
}

export class QdrantHttp {
  readonly url: string;
  /** The URL with credentials removed, for messages and archive descriptors. */
  readonly safeUrl: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: Array<string | undefined>;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly log: (msg: string) => void;
  /** The server answered a chunked body with 411 Length Required: bodies go whole, with their length. */
  private wholeBodies = false;

  constructor(opts: QdrantHttpOptions) {
    this.url = opts.url;
    this.safeUrl = redactUrl(opts.url);
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (opts.apiKey) this.headers['api-key'] = opts.apiKey;
    this.secrets = [opts.apiKey];
    // URLs with credentials: send them as Basic auth (never in a request line or a message), for a
    // Qdrant behind a reverse proxy, and keep them out of the request URL.
    let base = opts.url;
    try {
      const u = new URL(opts.url);
      if (u.username || u.password) {
        const user = decodeURIComponent(u.username);
        const pass = decodeURIComponent(u.password);
        this.headers.authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
        this.secrets.push(pass, u.password);
        u.username = '';
        u.password = '';
        base = u.toString();
      }
    } catch {
      // Not a URL: the request reports it below, redacted.
    }
    this.base = base.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.log = opts.log ?? (() => {});
  }

  /** Calls the API and returns the envelope's `result`. */
  async call<T = unknown>(method: string, path: string, body: unknown, opts: CallOptions): Promise<T> {
    return (await this.request(method, path, body, opts)).result as T;
  }

  async request(method: string, path: string, body: unknown, opts: CallOptions): Promise<CallResult> {
    let text = this.encode(body);
    const attempts = opts.idempotent ? Math.max(1, this.policy.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      opts.signal?.throwIfAborted();
      let res: Answer;
      const timeout = AbortSignal.timeout(this.timeoutMs);
      try {
        res = await send(new URL(this.base + path), method, this.headers, text, opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout, opts.elements);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (err instanceof MalformedAnswer) throw this.malformed(opts.what, err);
        const detail = timeout.aborted ? 'timed out' : networkDetail(err);
        if (detail === undefined) {
          throw new MemarcError('CONNECTION_FAILED', `cannot call Qdrant at ${this.safeUrl} (${opts.what}): ${redactText((err as Error).message, this.secrets)}`, {
            hint: 'check QDRANT_URL',
          });
        }
        if (attempt < attempts) {
          const wait = backoffMs(this.policy, attempt);
          this.log(`qdrant: ${opts.what}: ${detail}; retry ${attempt}/${attempts - 1} in ${wait} ms`);
          await delay(wait, undefined, { signal: opts.signal });
          continue;
        }
        throw this.connectionError(opts.what, new NetworkFailure(detail, err), attempt);
      }
      const raw = res.text;
      if (res.status === 411 && text instanceof JsonPieces) {
        // A server or proxy that wants every body's length first: whole bodies from now on.
        this.wholeBodies = true;
        this.log(`qdrant: ${this.safeUrl} refuses chunked request bodies (HTTP 411); sending each body whole, which takes more memory`);
        text = this.encode(text);
        attempt--;
        continue;
      }
      if (res.status >= 300 && res.status < 400) throw this.redirectError(opts.what, res.status, res.location);
      const ok = res.status >= 200 && res.status < 300;
      if (ok || opts.accept?.includes(res.status)) {
        let result: unknown;
        try {
          result = ok ? envelopeResult(raw, opts.elements?.path, res.values) : undefined;
        } catch (err) {
          throw this.malformed(opts.what, err as Error);
        }
        return { status: res.status, result, bytes: res.bytes, text: raw };
      }
      if (opts.idempotent && isRetriableStatus(res.status) && attempt < attempts) {
        const wait = backoffMs(this.policy, attempt, res.retryAfter);
        this.log(`qdrant: ${opts.what}: HTTP ${res.status}; retry ${attempt}/${attempts - 1} in ${wait} ms`);
        await delay(wait, undefined, { signal: opts.signal });
        continue;
      }
      throw this.statusError(opts.what, res.status, errorText(raw), attempt);
    }
  }

  private connectionError(what: string, err: NetworkFailure, attempts: number): MemarcError {
    const after = attempts > 1 ? ` after ${attempts} attempts` : '';
    return new MemarcError('CONNECTION_FAILED', `cannot reach Qdrant at ${this.safeUrl} (${what}): ${err.detail}${after}`, {
      hint: 'check that the server is running and QDRANT_URL is right, then run the command again',
      cause: err,
    });
  }

  /** A request body as it is sent: JSON text, or pieces (whole text once the server refused them). */
  private encode(body: unknown): string | JsonPieces | undefined {
    if (body === undefined) return undefined;
    if (!(body instanceof JsonPieces)) return stringifyJson(body);
    if (!this.wholeBodies) return body;
    const text: string[] = [];
    const decoder = new StringDecoder('utf8');
    for (const piece of body.pieces()) {
      if (typeof piece === 'string') {
        text.push(piece);
      } else if (piece instanceof LentBytes) {
        text.push(decoder.write(piece.bytes));
        piece.giveBack();
      } else {
        text.push(decoder.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)));
      }
    }
    text.push(decoder.end());
    return text.join('');
  }

  private malformed(what: string, err: Error): MemarcError {
    return new MemarcError('STORE_ERROR', `${what}: Qdrant at ${this.safeUrl} answered with malformed JSON: ${redactText(err.message, this.secrets)}`, {
      hint: 'the server (or a proxy in front of it) sent an answer that is not Qdrant\'s; check QDRANT_URL',
      cause: err,
    });
  }

  private redirectError(what: string, status: number, location: string | undefined): MemarcError {
    const to = location === undefined ? '' : ` to ${redactUrl(location)}`;
    return new MemarcError('CONNECTION_FAILED', `Qdrant at ${this.safeUrl} redirects (HTTP ${status})${to} (${what}); memarc does not follow redirects`, {
      hint: 'give the address the server redirects to as QDRANT_URL (or --qdrant)',
      context: { status },
    });
  }

  private statusError(what: string, status: number, serverText: string, attempts: number): MemarcError {
    const msg = redactText(serverText, this.secrets);
    if (status === 401 || status === 403) {
      return new MemarcError('AUTH_FAILED', `Qdrant at ${this.safeUrl} refused the credentials (HTTP ${status}) for ${what}`, {
        hint: 'check QDRANT_API_KEY (or --qdrant-api-key); the key needs read access to export and write access to import',
        context: { status },
      });
    }
    if (status === 404) {
      return new MemarcError('NOT_FOUND', `${what}: Qdrant at ${this.safeUrl} answered 404: ${msg}`, {
        hint: 'check the collection name (qdrant: GET /collections lists them)',
        context: { status },
      });
    }
    const after = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
    return new MemarcError('STORE_ERROR', `${what}: Qdrant at ${this.safeUrl} answered ${status}: ${msg}${after}`, {
      hint: isRetriableStatus(status) ? 'the server is overloaded or unavailable; run the command again later' : 'see the server message above',
      context: { status, retriable: isRetriableStatus(status) },
    });
  }
}

/**
 * The envelope's `result`. With `values`, the split array's values go back in at `path` (the
 * skeleton holds it empty); an answer of another shape than the path says is malformed.
 */
function envelopeResult(raw: string, path?: readonly string[], values?: unknown[] | null): unknown {
  if (raw === '') return undefined;
  const parsed = parseJson(raw) as { result?: unknown } | null;
  if (path && values) {
    let at: unknown = parsed;
    for (const key of path.slice(0, -1)) at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined;
    const last = path[path.length - 1]!;
    const holder = at as Record<string, unknown> | null | undefined;
    if (holder === null || typeof holder !== 'object' || Array.isArray(holder) || !Array.isArray(holder[last]) || (holder[last] as unknown[]).length !== 0) {
      throw new Error(`the array at ${path.join('.')} is not where it was found`);
    }
    holder[last] = values;
  }
  return parsed && typeof parsed === 'object' && 'result' in parsed ? parsed.result : parsed;
}

/** Qdrant's error text: `status.error` of the envelope, or the plain body (auth middleware, proxies). */
function errorText(raw: string): string {
  try {
    const parsed = JSON.parse(raw) as { status?: { error?: unknown } | string };
    if (parsed && typeof parsed.status === 'object' && typeof parsed.status.error === 'string') return parsed.status.error;
  } catch {
    // not JSON
  }
  const t = raw.trim();
  return t === '' ? '(empty body)' : t.slice(0, 500);
}

/** Encodes a collection or alias name for a URL path. */
export function seg(name: string): string {
  return encodeURIComponent(name);
}
