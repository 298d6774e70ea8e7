/**
 * An HTTP proxy that forwards to any upstream (the emulator or a real Qdrant) and injects faults:
 * error statuses, delays, dropped connections and responses cut in half. Fault tests use it so they
 * run unchanged against a real server.
 *
 * Every rule counts the requests it matches from the moment it is added; `nth` is 1-based.
 * `match` receives the method and the path without the query string.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';

export type FaultStatus = 503 | 429 | 500;
export type Match = (method: string, path: string) => boolean;

export interface FaultProxy {
  url: string;
  close(): Promise<void>;
  /** The nth matching request gets `status` instead of reaching the upstream. */
  failNth(n: number, status: FaultStatus, opts?: { retryAfter?: number; match?: Match }): void;
  /** The next `count` matching requests get `status`. */
  failNext(count: number, status: FaultStatus, opts?: { retryAfter?: number; match?: Match }): void;
  /** Every matching request waits `ms` before it is forwarded (until `reset()`). */
  delay(ms: number, opts?: { match?: Match }): void;
  /** The nth matching request's socket is destroyed without any response. */
  dropConnection(nth: number, opts?: { match?: Match }): void;
  /** The nth matching request gets the upstream's headers and half its body, then the socket is destroyed. */
  dropMidResponse(nth: number, opts?: { match?: Match }): void;
  /** The nth matching request reaches the upstream with its body rewritten by `rewrite` (to make a server fail part-way). */
  rewriteNth(nth: number, rewrite: (body: string) => string, opts?: { match?: Match }): void;
  /**
   * The nth matching request's answer reaches the client with its body rewritten by `rewrite`:
   * what a server may hold that the REST API cannot put there (a NaN upserted over gRPC).
   */
  rewriteAnswerNth(nth: number, rewrite: (body: string) => string, opts?: { match?: Match }): void;
  /** Every request seen, in arrival order, with the bytes of the response body it got through the proxy. */
  requests: Array<{ method: string; path: string; responseBytes: number }>;
  /** Removes all rules and clears `requests`. */
  reset(): void;
}

type Action =
  | { kind: 'fail'; status: FaultStatus; retryAfter?: number }
  | { kind: 'drop' }
  | { kind: 'cut' }
  | { kind: 'rewrite'; rewrite: (body: string) => string }
  | { kind: 'answer'; rewrite: (body: string) => string };

interface Rule {
  match: Match;
  seen: number;
  /** Which matching requests (1-based) the rule acts on. */
  hits: (n: number) => boolean;
  action: Action;
}

const ANY: Match = () => true;

/** Qdrant's error texts for the statuses the proxy injects. */
const MESSAGES: Record<FaultStatus, string> = {
  429: 'Rate limiting exceeded: Write rate limit exceeded, retry later',
  500: 'Service internal error: injected by the fault proxy',
  503: 'Service unavailable: injected by the fault proxy',
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rules: Rule[] = [];
  let delays: Array<{ ms: number; match: Match }> = [];
  const requests: Array<{ method: string; path: string; responseBytes: number }> = [];
  const agent = new http.Agent({ keepAlive: true });

  const pick = (method: string, path: string): Action | undefined => {
    let chosen: Action | undefined;
    for (const rule of rules) {
      if (!rule.match(method, path)) continue;
      rule.seen++;
      if (!chosen && rule.hits(rule.seen)) chosen = rule.action;
    }
    return chosen;
  };

  const fail = (res: http.ServerResponse, action: Extract<Action, { kind: 'fail' }>): void => {
    const body = JSON.stringify({ status: { error: MESSAGES[action.status] }, time: 0 });
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const retryAfter = action.retryAfter ?? (action.status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(action.status, headers);
    res.end(body);
  };

  /** Forwards a request; `action` (cut, rewrite or answer) changes it or its answer on the way. */
  const forward = async (req: http.IncomingMessage, res: http.ServerResponse, seen: { responseBytes: number }, action: Action | undefined): Promise<void> => {
    const headers = { ...req.headers, host: target.host };
    let sent: Buffer | undefined;
    if (action?.kind === 'rewrite') {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      sent = Buffer.from(action.rewrite(Buffer.concat(chunks).toString('utf8')));
      headers['content-length'] = String(sent.length);
      delete headers['transfer-encoding'];
    }
    const upstreamReq = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    const responded = once(upstreamReq, 'response') as Promise<[http.IncomingMessage]>;
    if (sent) upstreamReq.end(sent);
    else await pipeline(req, upstreamReq);
    const [upstreamRes] = await responded;
    if (action?.kind === 'answer') {
      const chunks: Buffer[] = [];
      for await (const chunk of upstreamRes as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = Buffer.from(action.rewrite(Buffer.concat(chunks).toString('utf8')));
      seen.responseBytes += body.length;
      const answerHeaders = { ...upstreamRes.headers, 'content-length': String(body.length) };
      delete answerHeaders['transfer-encoding'];
      res.writeHead(upstreamRes.statusCode ?? 502, answerHeaders);
      res.end(body);
      return;
    }
    if (action?.kind !== 'cut') {
      upstreamRes.on('data', (chunk: Buffer) => {
        seen.responseBytes += chunk.length;
      });
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      await pipeline(upstreamRes, res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of upstreamRes as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const cutHeaders = { ...upstreamRes.headers, 'content-length': String(body.length) };
    delete cutHeaders['transfer-encoding'];
    res.writeHead(upstreamRes.statusCode ?? 502, cutHeaders);
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const seen = { method, path, responseBytes: 0 };
    requests.push(seen);
    const action = pick(method, path);
    const wait = delays.filter((d) => d.match(method, path)).reduce((sum, d) => sum + d.ms, 0);
    void (async () => {
      if (wait > 0) await sleep(wait);
      if (action?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (action?.kind === 'fail') {
        await finished(req.resume());
        fail(res, action);
        return;
      }
      await forward(req, res, seen, action);
    })().catch((err: Error) => {
      if (res.headersSent) res.socket?.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream request failed: ${err.message}`);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const add = (hits: Rule['hits'], action: Action, match: Match | undefined): void => {
    rules.push({ match: match ?? ANY, seen: 0, hits, action });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNth: (n, status, opts = {}) => add((k) => k === n, { kind: 'fail', status, retryAfter: opts.retryAfter }, opts.match),
    failNext: (count, status, opts = {}) => add((k) => k <= count, { kind: 'fail', status, retryAfter: opts.retryAfter }, opts.match),
    delay: (ms, opts = {}) => void delays.push({ ms, match: opts.match ?? ANY }),
    dropConnection: (nth, opts = {}) => add((k) => k === nth, { kind: 'drop' }, opts.match),
    dropMidResponse: (nth, opts = {}) => add((k) => k === nth, { kind: 'cut' }, opts.match),
    rewriteNth: (nth, rewrite, opts = {}) => add((k) => k === nth, { kind: 'rewrite', rewrite }, opts.match),
    rewriteAnswerNth: (nth, rewrite, opts = {}) => add((k) => k === nth, { kind: 'answer', rewrite }, opts.match),
    reset: () => {
      rules = [];
      delays = [];
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
