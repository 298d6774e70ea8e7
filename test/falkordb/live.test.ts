/**
 * The default export reads the live graph with read-only pages: it keeps the server answering
 * while a writer loops against the graph, writes an archive whose edges all have their endpoints,
 * says that the graph changed, and works against a read-only replica. The copy-based snapshot is
 * taken only when asked for, one graph at a time, after a memory check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { falkordbSource } from '../../src/adapters/falkordb/index.ts';
import type { JsonObject } from '../../src/format/records.ts';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { exportGraph, q, redis } from './harness.ts';
import { falkordbPerFile } from './per-file.ts';

let srv: FalkorServer;
let r: Redis;

const count = async (rr: Redis, g: string, what: string): Promise<number> =>
  Number(((await q(rr, g, `MATCH ${what} RETURN count(*)`)) as [unknown, string[][][]])[1][0]![0]![1]);

falkordbPerFile(async (s, c) => {
  srv = s;
  r = c;
});

describe('falkordb live export', () => {
  it('keeps the server answering while a writer loops, and every edge has its endpoints', async () => {
    const N = 4000;
    await q(r, 'chain', 'CREATE INDEX FOR (w:W) ON (w.i)');
    await q(r, 'chain', `UNWIND range(0, ${N - 1}) AS i CREATE (:W {i: i, d: toFloat(i) / 7})`);
    await q(r, 'chain', `MATCH (a:W), (b:W) WHERE b.i = a.i + 1 CREATE (a)-[:WE]->(b)`);
    const before = { nodes: await count(r, 'chain', '(n)'), edges: await count(r, 'chain', '()-[e]->()') };

    // The writer of the issue: extend the chain one node and one edge at a time (bounded).
    const writer = redis(srv.url);
    let stop = false;
    let written = 0;
    const writing = (async () => {
      for (let i = N; !stop && i < N + 50_000; i++) {
        await writer.call('GRAPH.QUERY', 'chain', `CYPHER i=${i} MATCH (p:W {i: $i - 1}) CREATE (p)-[:WE]->(:W {i: $i, d: toFloat($i) / 7})`, '--compact');
        written++;
      }
    })();
    // PING every 10 ms on its own connection; the slowest answer is the server's stall.
    const pinger = redis(srv.url);
    let worstPing = 0;
    let pings = 0;
    const pinging = (async () => {
      while (!stop) {
        const t = performance.now();
        await pinger.ping();
        worstPing = Math.max(worstPing, performance.now() - t);
        pings++;
        await sleep(10);
      }
    })();

    try {
      while (written < 50) await sleep(5); // the writer is running
      const log: string[] = [];
      const writtenBefore = written;
      let notes: JsonObject | undefined;
      const src = falkordbSource({ url: srv.url, graphs: ['chain'], pageSize: 100, log: (m) => log.push(m) });
      const nodes = new Set<number>();
      let edges: Array<{ src: number; dst: number }> = [];
      try {
        const [ds] = await src.open();
        for await (const b of ds!.batches('node')) for (const n of b) nodes.add(n.key as number);
        for await (const b of ds!.batches('edge')) edges = edges.concat(b.map((e) => ({ src: e.src as number, dst: e.dst as number })));
        notes = ds!.notes!();
      } finally {
        await src.close();
      }
      const duringExport = written - writtenBefore;
      stop = true;
      await Promise.all([writing, pinging]);

      expect(duringExport).toBeGreaterThan(10); // the graph really changed under the reader
      expect(pings).toBeGreaterThan(10);
      expect(worstPing).toBeLessThan(1000); // never frozen: the default export takes no copy
      // Consistent at the documented level: every edge's endpoints are in the archive, nothing
      // that existed before the export (only creations happened) is missing, nothing is twice.
      for (const e of edges) expect(nodes.has(e.src) && nodes.has(e.dst)).toBe(true);
      expect(nodes.size).toBeGreaterThanOrEqual(before.nodes + writtenBefore);
      expect(edges.length).toBeGreaterThanOrEqual(before.edges + writtenBefore);
      expect(new Set(edges.map((e) => `${e.src}>${e.dst}`)).size).toBe(edges.length);
      // And it says so: in the log and in the notes for the trailer.
      expect(notes).toMatchObject({ consistency: 'fuzzy', changedDuringExport: true, nodesRead: nodes.size, edgesRead: edges.length });
      expect((notes!.after as { nodes: number }).nodes).toBeGreaterThan((notes!.before as { nodes: number }).nodes);
      expect(log.join('\n')).toMatch(/graph "chain" changed during the export \(nodes \d+ → \d+/);
      // Nothing was written by the export.
      expect(((await r.call('GRAPH.LIST')) as string[]).filter((g) => g.startsWith('memarc_'))).toEqual([]);
      expect(await r.keys('memarc_*')).toEqual([]);
    } finally {
      stop = true;
      await Promise.allSettled([writing, pinging]);
      writer.disconnect();
      pinger.disconnect();
    }
  });

  it('says the graph did not change when it did not', async () => {
    await q(r, 'still', 'UNWIND range(1, 50) AS i CREATE (:S {i: i})-[:T]->(:U)');
    const log: string[] = [];
    const src = falkordbSource({ url: srv.url, graphs: ['still'], pageSize: 7, log: (m) => log.push(m) });
    const [ds] = await src.open();
    for await (const b of ds!.batches('node')) void b;
    for await (const b of ds!.batches('edge')) void b;
    await src.close();
    expect(ds!.notes!()).toMatchObject({ consistency: 'fuzzy', changedDuringExport: false, nodesRead: 100, edgesRead: 50, edgesLeftOut: 0 });
    expect(ds!.descriptor.source).toMatchObject({ consistency: 'fuzzy' });
    expect(log.join('\n')).not.toMatch(/changed during the export/);
  });

  it('says so in the command output and the trailer (memarc export --json)', async () => {
    await q(r, 'cli', 'CREATE INDEX FOR (w:W) ON (w.i)');
    await q(r, 'cli', 'UNWIND range(0, 2999) AS i CREATE (:W {i: i})');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-live-'));
    const writer = redis(srv.url);
    let stop = false;
    const writing = (async () => {
      for (let i = 3000; !stop && i < 200_000; i++) {
        await writer.call('GRAPH.QUERY', 'cli', `CYPHER i=${i} MATCH (p:W {i: $i - 1}) CREATE (p)-[:WE]->(:W {i: $i})`, '--compact');
      }
    })();
    try {
      await sleep(50);
      const res = await runCli(['--json', 'export', '--falkordb', srv.url, '--graphs', 'cli', '--timeout', '20', '-o', path.join(dir, 'a.memarc')]);
      stop = true;
      await writing;
      expect(res.code).toBe(0);
      const out = JSON.parse(res.stdout.toString()) as { datasets: Array<{ notes: JsonObject }> };
      expect(out.datasets[0]!.notes).toMatchObject({ consistency: 'fuzzy', changedDuringExport: true });
      expect(res.stderr).toMatch(/graph "cli" changed during the export/);
      // The copy-based snapshot, on a graph nobody writes to any more.
      const copy = await runCli(['--json', 'export', '--falkordb', srv.url, '--graphs', 'cli', '--snapshot', 'copy', '-o', path.join(dir, 'b.memarc')]);
      expect(copy.code).toBe(0);
      expect((JSON.parse(copy.stdout.toString()) as { datasets: Array<{ notes: JsonObject }> }).datasets[0]!.notes).toEqual({ consistency: 'snapshot' });
    } finally {
      stop = true;
      await writing.catch(() => {});
      writer.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports from a read-only replica', async () => {
    await q(r, 'rep', "UNWIND range(1, 300) AS i CREATE (:R {i: i, d: toFloat(i) / 3})-[:T {w: 0.1 + 0.2}]->(:Q {s: toString(i)})");
    await q(r, 'rep', 'CREATE INDEX FOR (n:R) ON (n.i)');
    const replica = await startFalkorDB({ args: ['--replicaof', '127.0.0.1', String(srv.port)] });
    const rr = redis(replica.url);
    try {
      for (let i = 0; i < 200; i++) {
        const info = String(await rr.call('INFO', 'replication'));
        if (/master_link_status:up/.test(info) && ((await rr.call('GRAPH.LIST')) as string[]).includes('rep')) break;
        await sleep(50);
      }
      await expect(q(rr, 'rep', 'CREATE (:X)')).rejects.toThrow(/READONLY/);
      const primary = await exportGraph(srv.url, 'rep');
      const fromReplica = await exportGraph(replica.url, 'rep');
      expect(fromReplica.totals).toEqual(primary.totals);
      expect(fromReplica.totals.records).toEqual({ node: 600, edge: 300 });
      expect(fromReplica.descriptor.fingerprint).toEqual(primary.descriptor.fingerprint);
      // The copy-based snapshot needs write access, and says so.
      const copy = falkordbSource({ url: replica.url, graphs: ['rep'], snapshot: 'copy' });
      const [ds] = await copy.open();
      const it = ds!.batches('node')[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/READONLY/) });
      await copy.close();
    } finally {
      rr.disconnect();
      await replica.stop();
    }
  });
});

describe('falkordb copy-based snapshot', () => {
  it('copies one graph at a time, just before it is read, and deletes it right after', async () => {
    await q(r, 'c1', 'UNWIND range(1, 30) AS i CREATE (:A {i: i})-[:R]->(:B)');
    await q(r, 'c2', 'UNWIND range(1, 20) AS i CREATE (:A {i: i})');
    const tmps = async (): Promise<string[]> => ((await r.call('GRAPH.LIST')) as string[]).filter((g) => g.startsWith('memarc_tmp_')).sort();
    const src = falkordbSource({ url: srv.url, graphs: ['c1', 'c2'], snapshot: 'copy', pageSize: 10 });
    try {
      const [d1, d2] = await src.open();
      expect(await tmps()).toEqual([]); // nothing copied up front
      expect(d1!.descriptor.source).toMatchObject({ consistency: 'snapshot' });
      let n1 = 0;
      for await (const b of d1!.batches('node')) {
        n1 += b.length;
        expect((await tmps()).map((g) => g.replace(/_\d+_\d+$/, ''))).toEqual(['memarc_tmp_c1']);
      }
      for await (const b of d1!.batches('edge')) void b;
      expect(await tmps()).toEqual([]); // freed before the next graph
      let n2 = 0;
      for await (const b of d2!.batches('node')) {
        n2 += b.length;
        expect((await tmps()).map((g) => g.replace(/_\d+_\d+$/, ''))).toEqual(['memarc_tmp_c2']);
      }
      for await (const b of d2!.batches('edge')) void b;
      expect([n1, n2]).toEqual([60, 20]);
    } finally {
      await src.close();
    }
    expect(await tmps()).toEqual([]);
    expect(await r.keys('memarc_*')).toEqual([]);
  });

  it('refuses a copy that does not fit into maxmemory, before copying', async () => {
    await q(r, 'm1', 'UNWIND range(1, 10) AS i CREATE (:A {i: i})');
    await r.call('CONFIG', 'SET', 'maxmemory', '1mb');
    try {
      const src = falkordbSource({ url: srv.url, graphs: ['m1'], snapshot: 'copy' });
      const [ds] = await src.open();
      const it = ds!.batches('node')[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'STORE_ERROR', message: expect.stringMatching(/graph "m1": a copy .* does not fit into the server's memory/) });
      await src.close();
    } finally {
      await r.call('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(((await r.call('GRAPH.LIST')) as string[]).filter((g) => g.startsWith('memarc_'))).toEqual([]);
    expect(await r.keys('memarc_*')).toEqual([]);
  });
});
