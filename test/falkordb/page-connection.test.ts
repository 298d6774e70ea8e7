/**
 * The page connection (page-connection.ts) carries every page of an export: it must reach the
 * same database as the main connection, authenticate the same way, and fail like it.
 */
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { FalkorClient } from '../../src/adapters/falkordb/client.ts';
import { type FalkorServer } from '../helpers/falkordb-server.ts';
import { content, exportGraph, q, redis } from './harness.ts';
import { falkordbPerFile } from './per-file.ts';

let srv: FalkorServer;
let r: Redis;

falkordbPerFile(async (s, c) => {
  srv = s;
  r = c;
});

describe('falkordb page connection', () => {
  it('reads a graph in a database other than 0, page by page', async () => {
    const db3 = redis(`${srv.url}/3`);
    try {
      await q(db3, 'other', 'UNWIND range(1, 25) AS i CREATE (:N {i: i, d: toFloat(i) / 3})-[:R {w: toFloat(i) / 7}]->(:M {s: toString(i)})');
    } finally {
      db3.disconnect();
    }
    expect(Number(await r.exists('other'))).toBe(0);
    const x = await exportGraph(`${srv.url}/3`, 'other', { pageSize: 7 });
    expect(x.nodes).toHaveLength(50);
    expect(x.edges).toHaveLength(25);
    const one = await exportGraph(`${srv.url}/3`, 'other', { pageSize: 1_000 });
    expect(x.totals.digest).toBe(one.totals.digest);
    expect(content(x)).toEqual(content(one));
    // Exact doubles came through the page connection's reply too.
    expect(x.edges.map((e) => e.props.w).sort((a, b) => (a as { double: number }).double - (b as { double: number }).double)[0]).toEqual({ double: 1 / 7 });
  });

  it('exports the same records at any page size and number of pages in flight', async () => {
    // Deleted id ranges make node windows sparse; a hub makes an edge window overflow.
    await q(r, 'sparse', 'UNWIND range(0, 299) AS i CREATE (:S {i: i, d: toFloat(i) / 9})');
    await q(r, 'sparse', 'MATCH (n:S) WHERE (n.i >= 40 AND n.i < 160) OR n.i % 7 = 3 DELETE n');
    await q(r, 'sparse', 'MATCH (a:S), (b:S) WHERE b.i = (a.i * 13 + 5) % 300 CREATE (a)-[:E {w: toFloat(a.i) / 11}]->(b)');
    await q(r, 'sparse', 'MATCH (a:S {i: 200}), (b:S) WHERE b.i > 250 CREATE (a)-[:H {w: 0.1}]->(b)');
    const runs = [];
    for (const [pageSize, concurrency] of [[10_000, 1], [5, 1], [5, 2], [3, 3], [17, 2]] as const) {
      runs.push(await exportGraph(srv.url, 'sparse', { pageSize, concurrency }));
    }
    const first = runs[0]!;
    expect(first.nodes.length).toBeGreaterThan(100);
    expect(first.edges.length).toBeGreaterThan(first.nodes.length / 3);
    for (const x of runs) {
      expect(x.totals).toEqual(first.totals);
      expect(new Set(x.nodes.map((n) => n.key)).size).toBe(x.nodes.length);
    }
  });

  it('authenticates as an ACL user named in the URL', async () => {
    await r.call('ACL', 'SETUSER', 'reader', 'on', '>reader-pw', '~*', '&*', '+@all');
    await q(r, 'acl', "CREATE (:A {v: 'x'})-[:B]->(:C)");
    const x = await exportGraph(`redis://reader:reader-pw@127.0.0.1:${srv.port}`, 'acl');
    expect(x.nodes).toHaveLength(2);
    expect(x.edges).toHaveLength(1);
  });

  it('reports a server error as STORE_ERROR and a dropped connection as CONNECTION_FAILED', async () => {
    await q(r, 'pages', 'CREATE (:P {v: 1})');
    const client = new FalkorClient(srv.url);
    try {
      await client.connect('test');
      const ok = await client.queryPage('pages', 'MATCH (n) WHERE id(n) > $last RETURN n', { last: -1 });
      expect(ok.rows).toHaveLength(1);
      await expect(client.queryPage('pages', 'MATCH (n RETURN n', {})).rejects.toMatchObject({ code: 'STORE_ERROR' });
      // Find the page connection (the one that ran GRAPH.RO_QUERY last) and drop it.
      const list = String(await r.call('CLIENT', 'LIST'));
      const line = list.split('\n').find((l) => / cmd=graph\.ro_query/i.test(l));
      expect(line).toBeDefined();
      await r.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]!);
      await expect(client.queryPage('pages', 'MATCH (n) RETURN n', {})).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    } finally {
      await client.close();
    }
  });
});
