/** The HTTP layer: body limits, api-key auth, routing and Qdrant's response envelope. */
import http from 'node:http';
import { formatError, QdrantHttpError } from './errors.ts';
import { encodeJson, parseJson, type FloatFormat } from './json.ts';
import { route, type ServerInfo } from './routes.ts';
import { Storage } from './storage.ts';

export interface ServerOptions {
  apiKey?: string;
  info: ServerInfo;
  /** Qdrant's `service.max_request_size_mb` (default 32). */
  maxRequestSizeMb?: number;
  /** Whether a failing upsert writes the batch's valid points (default true, see collection.ts). */
  partialWrites?: boolean;
  /** How vector values are printed (json.ts; default `float32`, as Qdrant). */
  floatFormat?: FloatFormat;
}

/** Paths Qdrant serves without an api key. */
const AUTH_WHITELIST = new Set(['/', '/healthz', '/livez', '/readyz']);
const HEALTH: Record<string, string> = {
  '/healthz': 'healthz check passed',
  '/livez': 'healthz check passed',
  '/readyz': 'all shards are ready',
};

function checkApiKey(req: http.IncomingMessage, apiKey: string): void {
  const header = req.headers['api-key'];
  const bearer = req.headers.authorization;
  const given = typeof header === 'string' ? header : bearer?.startsWith('Bearer ') ? bearer.slice(7) : undefined;
  // Qdrant's AuthKeys::validate_request: both cases are Unauthorized, answered as plain text.
  if (given === undefined) throw new QdrantHttpError(401, 'Must provide an API key or an Authorization bearer token', { plain: true });
  if (given !== apiKey) throw new QdrantHttpError(401, 'Invalid API key or JWT', { plain: true });
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new QdrantHttpError(400, `JSON payload (${declared} bytes) is larger than allowed (limit: ${limit} bytes).`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new QdrantHttpError(400, `JSON payload has exceeded limit (${limit} bytes).`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function createServer(opts: ServerOptions): { server: http.Server; storage: Storage } {
  const storage = new Storage();
  storage.partialWrites = opts.partialWrites ?? true;
  const limit = (opts.maxRequestSizeMb ?? 32) * 1024 * 1024;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      if (opts.apiKey !== undefined && !AUTH_WHITELIST.has(url.pathname)) checkApiKey(req, opts.apiKey);
      const health = req.method === 'GET' ? HEALTH[url.pathname] : undefined;
      if (health !== undefined) return send(res, 200, health, {}, 'text/plain; charset=utf-8');
      const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
      const found = route(req.method ?? 'GET', segments);
      if (!found) {
        req.resume();
        return send(res, 404, '', {}, 'text/plain');
      }
      const text = await readBody(req, limit);
      let parsed: { value: unknown } | undefined;
      const body = (): unknown => {
        if (!parsed) {
          try {
            parsed = { value: parseJson(text) };
          } catch (err) {
            const why = text.trim() === '' ? 'EOF while parsing a value at line 1 column 0' : (err as Error).message;
            throw formatError(why);
          }
        }
        return parsed.value;
      };
      const result = found.handler({ method: req.method ?? 'GET', segments, query: url.searchParams, body, text }, found.params, {
        storage,
        info: opts.info,
      });
      if (segments.length === 0) return send(res, 200, encodeJson(result)); // GET / is not wrapped
      send(res, 200, `{"result":${encodeJson(result, opts.floatFormat)},"status":"ok","time":${elapsed()}}`);
    } catch (err) {
      if (err instanceof QdrantHttpError) {
        if (err.plain) return send(res, err.status, err.message, err.headers, 'text/plain; charset=utf-8');
        return send(res, err.status, encodeJson({ status: { error: err.message }, time: elapsed() }), err.headers);
      }
      const message = `Service internal error: ${(err as Error).message}`;
      send(res, 500, encodeJson({ status: { error: message }, time: elapsed() }));
    }
  };

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  return { server, storage };
}
