/**
 * The Qdrant client's transport (src/adapters/qdrant/http.ts, on node:http), against small local
 * servers that misbehave on purpose: one that never answers, one that redirects, one that cuts
 * its answer, one that sends a body one byte at a time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QdrantApi } from '../../src/adapters/qdrant/api.ts';
import { pointJson, pointText } from '../../src/adapters/qdrant/convert.ts';
import { BodyChunks, JsonPieces, QdrantHttp } from '../../src/adapters/qdrant/http.ts';
import { encodeF32 } from '../../src/format/records.ts';
import type { PointRecord } from '../../src/format/records.ts';
import { failure } from '../helpers/failure.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];

/** A server on loopback that records every request and answers it with `answer` (or does not). */
async function serve(answer: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (body += s));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const fast = { attempts: 3, baseMs: 5, maxMs: 20 };

const ok = (result: unknown): string => JSON.stringify({ result, status: 'ok', time: 0 });

/** Answers the `busy`-th request with 503 and every other one as a completed upsert. */
const busyOn = (busy: number) => (_req: http.IncomingMessage, res: http.ServerResponse, n: number): void => {
  if (n === busy) {
    res.writeHead(503);
    res.end('{"status":{"error":"busy"}}');
  } else {
    res.end(ok({ status: 'completed' }));
  }
};

/** Answers with `body`, written `size` bytes at a time, each write after the last one drained. */
const inPieces = (body: Buffer, size: number) => (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  let at = 0;
  const next = (): void => (at >= body.length ? void res.end() : void res.write(body.subarray(at, (at += size)), next));
  next();
};

/** Answers a chunked body with 411 Length Required and a whole one as a completed upsert. */
const refusingChunked = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (req.headers['transfer-encoding'] === 'chunked') {
    res.writeHead(411);
    res.end('Length Required');
  } else {
    res.end(ok({ status: 'completed' }));
  }
};

describe('Qdrant client transport', () => {
  it('gives up on a server that never answers at the deadline, once per attempt, with CONNECTION_FAILED', async () => {
    const s = await serve(() => {}); // holds every request open
    const client = new QdrantHttp({ url: s.url, timeoutMs: 150, retry: fast });
    const t = performance.now();
    const err = await failure(client.call('POST', '/collections/c/points/scroll', { limit: 1 }, { what: 'scroll', idempotent: true }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toMatch(/timed out after 3 attempts/);
    expect(s.seen).toHaveLength(3);
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('does not follow a redirect, names where it points without its credentials, and sends nothing there', async () => {
    const target = await serve((_req, res) => res.end(ok(true)));
    const s = await serve((_req, res) => {
      res.writeHead(301, { location: `${target.url.replace('//', '//admin:hunter2@')}/elsewhere` });
      res.end();
    });
    const client = new QdrantHttp({ url: s.url, apiKey: 'secret-key', retry: fast });
    const err = await failure(client.call('GET', '/collections', undefined, { what: 'list collections', idempotent: true }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toContain('redirects (HTTP 301)');
    expect(err.message).toContain('/elsewhere');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('secret-key');
    expect(target.seen).toHaveLength(0);
    expect(s.seen).toHaveLength(1);
  });

  it('asks again when an answer is cut off mid-body, and returns the whole second answer', async () => {
    const whole = ok({ points: [{ id: 1, payload: { text: 'x'.repeat(200_000) } }], next_page_offset: null });
    const s = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length) });
      if (n === 1) {
        res.write(whole.slice(0, 70_000));
        setTimeout(() => res.socket?.destroy(), 20);
      } else {
        res.end(whole);
      }
    });
    const logs: string[] = [];
    const client = new QdrantHttp({ url: s.url, retry: fast, log: (m) => logs.push(m) });
    const r = await client.request('POST', '/collections/c/points/scroll', { limit: 1 }, { what: 'scroll', idempotent: true });
    expect(r.text).toBe(whole);
    expect(r.bytes).toBe(whole.length);
    expect(s.seen).toHaveLength(2);
    expect(logs.join('\n')).toMatch(/scroll: ECONNRESET; retry 1\/2/);
  });

  it('does not send a request that is not idempotent twice when its answer is cut off', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"result":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const client = new QdrantHttp({ url: s.url, retry: fast });
    const err = await failure(client.call('PUT', '/collections/c', { vectors: { size: 4, distance: 'Cosine' } }, { what: 'create collection "c"' }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toContain('ECONNRESET');
    expect(s.seen).toHaveLength(1);
  });

  it('decodes UTF-8 split across chunks, counts the body in bytes, and sends the request body whole', async () => {
    const text = 'é漢🙂'.repeat(3000);
    const body = Buffer.from(ok({ text }));
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length
      // Odd-sized writes, so characters of 2, 3 and 4 bytes are cut between chunks.
      let at = 0;
      const next = (): void => {
        if (at >= body.length) return void res.end();
        res.write(body.subarray(at, (at += 7777)), next);
      };
      next();
    });
    const client = new QdrantHttp({ url: s.url, retry: fast });
    const sent = { points: [{ id: 1, payload: { text } }] };
    const r = await client.request('PUT', '/collections/c/points?wait=true', sent, { what: 'upsert', idempotent: true });
    expect((r.result as { text: string }).text).toBe(text);
    expect(r.bytes).toBe(body.length);
    expect(JSON.parse(s.seen[0]!.body)).toEqual(sent);
    expect(s.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(s.seen[0]!.body)));
  });

  it('sends the API key in its header and URL credentials as Basic auth, never in the request line', async () => {
    const s = await serve((_req, res) => res.end(ok({ collections: [] })));
    const withKey = new QdrantHttp({ url: `${s.url}/base/`, apiKey: 'k-123', retry: fast });
    await withKey.call('GET', '/collections', undefined, { what: 'list collections', idempotent: true });
    expect(s.seen[0]!.url).toBe('/base/collections');
    expect(s.seen[0]!.headers['api-key']).toBe('k-123');
    const withUser = new QdrantHttp({ url: s.url.replace('//', '//user:p%40ss@'), retry: fast });
    expect(withUser.safeUrl).not.toContain('p%40ss');
    await withUser.call('GET', '/collections', undefined, { what: 'list collections', idempotent: true });
    expect(s.seen[1]!.url).toBe('/collections');
    expect(s.seen[1]!.headers.authorization).toBe('Basic ' + Buffer.from('user:p@ss').toString('base64'));
  });

  it('refuses a URL that is not http or https, naming the protocol', async () => {
    const client = new QdrantHttp({ url: 'ftp://127.0.0.1:1', retry: fast });
    const err = await failure(client.call('GET', '/', undefined, { what: 'read the server version', idempotent: true }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toContain('ftp:');
  });

  it('reports a refused connection as CONNECTION_FAILED after its attempts', async () => {
    const s = await serve(() => {});
    const url = s.url;
    for (const x of servers.splice(0)) await new Promise((resolve) => x.close(resolve));
    const client = new QdrantHttp({ url, retry: fast });
    const err = await failure(client.call('GET', '/', undefined, { what: 'read the server version', idempotent: true }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.message).toMatch(/ECONNREFUSED after 3 attempts/);
  });

  it('splits the points of an answer as they arrive, into the same result as a whole parse', async () => {
    const points = Array.from({ length: 50 }, (_, i) => ({ id: i === 7 ? '18446744073709551615' : i, payload: { t: `p"${i}\\`, n: [i, { x: '}]' }] }, vector: [i / 3, -0.5] }));
    const text = ok({ points, next_page_offset: 50 }).replace('"18446744073709551615"', '18446744073709551615');
    const body = Buffer.from(text);
    const s = await serve(inPieces(body, 333));
    const client = new QdrantHttp({ url: s.url, retry: fast });
    const seen: string[] = [];
    const r = await client.request('POST', '/collections/c/points/scroll', {}, {
      what: 'scroll', idempotent: true, elements: { path: ['result', 'points'], each: (t) => (seen.push(t), JSON.parse(t) as unknown) },
    });
    const res = r.result as { points: Array<{ id: unknown }>; next_page_offset: number };
    expect(seen).toHaveLength(50);
    expect(res.next_page_offset).toBe(50);
    expect(res.points.slice(0, 7)).toEqual(points.slice(0, 7));
    expect(r.bytes).toBe(body.length);
    expect(r.text).toBe(ok({ points: [], next_page_offset: 50 }));
  });

  it('reports a 2xx answer that is not whole JSON as STORE_ERROR, naming the call', async () => {
    const s = await serve((_req, res) => res.end('{"result":[{"id":1},{"id":2'));
    const client = new QdrantHttp({ url: s.url, retry: fast });
    const err = await failure(client.request('POST', '/collections/c/points', { ids: [1, 2] }, { what: 'read back 2 points', idempotent: true, elements: { path: ['result'], each: (t) => JSON.parse(t) as unknown } }));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(/^read back 2 points: Qdrant at .* answered with malformed JSON/);
    expect(s.seen).toHaveLength(1);
  });

  it('reports an answer whose element cannot be read as STORE_ERROR, in one or many chunks, with no exception escaping', async () => {
    const escaped: unknown[] = [];
    const onUncaught = (e: unknown) => escaped.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const pad = Array.from({ length: 40 }, (_, i) => ({ id: i, payload: { t: 'x'.repeat(500) } }));
      const bodies = [
        ['{"result":[{"id":1,}],"status":"ok","time":0}', /Expected double-quoted property name/],
        ['{"result":[1,2],"status":"ok","time":0}', /the array at result holds a value that is not an object or an array/],
        [ok([...pad, 7, ...pad]), /the array at result holds a value that is not an object or an array/],
      ] as const;
      for (const [text, why] of bodies) {
        const s = await serve(inPieces(Buffer.from(text), 4096));
        const client = new QdrantHttp({ url: s.url, retry: fast });
        const err = await failure(client.request('POST', '/collections/c/points', { ids: [1] }, { what: 'read back 1 point', idempotent: true, elements: { path: ['result'], each: (t) => JSON.parse(t) as unknown } }));
        expect(err.code, text.slice(0, 40)).toBe('STORE_ERROR');
        expect(err.message).toMatch(/^read back 1 point: Qdrant at .* answered with malformed JSON/);
        expect(err.message).toMatch(why);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('sends a body of pieces chunked, made again for each attempt, whole each time', async () => {
    const s = await serve(busyOn(1));
    const points = Array.from({ length: 40 }, (_, i) => ({ id: i, vector: Array.from({ length: 768 }, (_, j) => (i * j) / 7), payload: { t: 'é🙂'.repeat(i) } }));
    let made = 0;
    const body = new JsonPieces(function* () {
      yield '{"points":[';
      for (const [i, p] of points.entries()) {
        made++;
        yield (i ? ',' : '') + JSON.stringify(p);
      }
      yield ']}';
    });
    const client = new QdrantHttp({ url: s.url, retry: fast });
    await client.call('PUT', '/collections/c/points?wait=true', body, { what: 'upsert', idempotent: true });
    expect(s.seen).toHaveLength(2);
    expect(made).toBe(80);
    for (const seen of s.seen) {
      expect(seen.headers['transfer-encoding']).toBe('chunked');
      expect(seen.headers['content-length']).toBeUndefined();
      expect(JSON.parse(seen.body)).toEqual({ points });
    }
  });

  it('sends bodies whole, with their length, to a server that answers a chunked one with 411', async () => {
    const s = await serve(refusingChunked);
    const logs: string[] = [];
    const client = new QdrantHttp({ url: s.url, retry: { ...fast, attempts: 1 }, log: (m) => logs.push(m) });
    const body = (): JsonPieces => new JsonPieces(function* () {
      yield '{"points":[';
      yield '{"id":1}';
      yield ']}';
    });
    await client.call('PUT', '/collections/c/points?wait=true', body(), { what: 'upsert', idempotent: true });
    await client.call('PUT', '/collections/c/points?wait=true', body(), { what: 'upsert', idempotent: true });
    expect(s.seen.map((x) => [x.headers['transfer-encoding'] ?? null, x.headers['content-length'] ?? null, x.body])).toEqual([
      ['chunked', null, '{"points":[{"id":1}]}'],
      [null, '21', '{"points":[{"id":1}]}'],
      [null, '21', '{"points":[{"id":1}]}'],
    ]);
    expect(logs.filter((m) => m.includes('411'))).toHaveLength(1);
  });

  describe('upsert bodies written into reused chunks', () => {
    /** Points of every size: most a fraction of a chunk, some larger than one, payloads in UTF-8 of every width. */
    const records = (n: number, seed: number): PointRecord[] =>
      Array.from({ length: n }, (_, i) => {
        const dims = i % 17 === 5 ? 9000 : 768;
        const v = new Float32Array(dims);
        for (let j = 0; j < dims; j++) v[j] = Math.sin(seed * 1000 + i * 31 + j) * 10 ** ((j % 9) - 4);
        return { id: seed * 1000 + i, vectors: { '': { dense: encodeF32(v) } }, payload: { t: 'aé🙂'.repeat((i * 7) % 300), i } } as PointRecord;
      });
    const expected = (rs: PointRecord[]): unknown => JSON.parse(`{"points":[${rs.map((r) => pointJson(r).toString()).join(',')}]}`);

    it('sends each body as the texts of its points joined, with upserts in flight at once and after a retry', async () => {
      const s = await serve(busyOn(2));
      const api = new QdrantApi(new QdrantHttp({ url: s.url, retry: fast }));
      const batches = Array.from({ length: 8 }, (_, k) => records(40 + k, k + 1));
      // Two rounds, so the second is written into chunks the first gave back.
      await Promise.all(batches.slice(0, 4).map((rs) => api.upsert('c', rs, undefined, pointText)));
      await Promise.all(batches.slice(4).map((rs) => api.upsert('c', rs, undefined, pointText)));
      expect(s.seen).toHaveLength(9);
      const bodies = s.seen.map((x) => JSON.parse(x.body) as { points: Array<{ id: number }> });
      for (const rs of batches) {
        const sent = bodies.filter((b) => b.points[0]!.id === rs[0]!.id);
        expect(sent.length).toBeGreaterThanOrEqual(1);
        for (const b of sent) expect(b).toEqual(expected(rs));
      }
      for (const x of s.seen) expect(x.headers['transfer-encoding']).toBe('chunked');
    });

    it('sends them whole, decoded across chunks, to a server that refuses chunked bodies', async () => {
      const s = await serve(refusingChunked);
      const api = new QdrantApi(new QdrantHttp({ url: s.url, retry: { ...fast, attempts: 1 }, log: () => {} }));
      const rs = records(30, 9);
      await api.upsert('c', rs, undefined, pointText);
      await api.upsert('c', rs.slice(3), undefined, pointText);
      expect(s.seen.map((x) => x.headers['content-length'] ?? null)).toEqual([null, String(Buffer.byteLength(s.seen[1]!.body)), String(Buffer.byteLength(s.seen[2]!.body))]);
      expect(JSON.parse(s.seen[1]!.body)).toEqual(expected(rs));
      expect(JSON.parse(s.seen[2]!.body)).toEqual(expected(rs.slice(3)));
    });

    it('reuses a chunk only once it is given back, and keeps no more than it may', () => {
      const pool = new BodyChunks(1024, 2);
      const a = pool.take(10);
      const big = pool.take(5000);
      expect(big.length).toBe(5000);
      const lentA = pool.lend(a, 10);
      expect(lentA.bytes.length).toBe(10);
      expect(pool.take(10)).not.toBe(a); // still lent
      lentA.giveBack();
      lentA.giveBack(); // once only
      expect(pool.take(10)).toBe(a);
      expect(pool.take(10)).not.toBe(a);
      pool.lend(big, 5000).giveBack(); // not a chunk of the pool's size: not kept
      const chunks = [pool.take(1), pool.take(1), pool.take(1)];
      for (const c of chunks) pool.lend(c, 1).giveBack();
      const again = [pool.take(1), pool.take(1), pool.take(1)];
      expect(again.filter((c) => chunks.includes(c))).toHaveLength(2);
    });
  });
});
