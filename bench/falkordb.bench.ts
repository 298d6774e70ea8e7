/**
 * FalkorDB adapter against a bare GRAPH.QUERY loop, in the same run on the same server:
 * export (id-cursor paging of nodes and edges) and import (UNWIND writes). Prints a markdown table.
 * Usage: node bench/falkordb.bench.ts [--nodes N] [--edges M]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { falkordbSink, falkordbSource } from '../src/adapters/falkordb/index.ts';
import { DatasetDigest } from '../src/format/digest.ts';
import type { EdgeRecord, NodeRecord } from '../src/format/records.ts';
import { startFalkorDB } from '../test/helpers/falkordb-server.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '100000' }, edges: { type: 'string', default: '200000' } } });
const N = Number(values.nodes);
const M = Number(values.edges);
const PAGE = 10_000;
const BATCH = 5_000;

const peak = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const out = await fn();
  return [(performance.now() - t) / 1000, out];
}

const srv = await startFalkorDB();
const r = new Redis(srv.url, { stringNumbers: true });
const gq = (g: string, cypher: string): Promise<unknown> => r.call('GRAPH.QUERY', g, cypher, '--compact');
const rows: string[] = [];
try {
  // Source graph, made server-side.
  await gq('src', `UNWIND range(0, ${N - 1}) AS i CREATE (n:Memory {name: 'memory ' + toString(i), n: i, score: toFloat(i) / 7})`);
  await gq('src', `MATCH (n:Memory) WHERE n.n % 3 = 0 SET n:Tagged`);
  await gq('src', `UNWIND range(0, ${M - 1}) AS j WITH j, j % ${N} AS s, (j * 7919) % ${N} AS d MATCH (a), (b) WHERE id(a) = s AND id(b) = d CREATE (a)-[:REL {w: toFloat(j) / 11}]->(b)`);

  // Export: bare paging loop vs the source.
  const [bareExp] = await time(async () => {
    for (const [pat, v] of [['(n)', 'n'], ['()-[e]->()', 'e']] as const) {
      let last = -1;
      for (;;) {
        const res = (await r.call('GRAPH.RO_QUERY', 'src', `CYPHER last=${last} k=${PAGE} MATCH ${pat} WHERE id(${v}) > $last WITH ${v} ORDER BY id(${v}) LIMIT $k RETURN ${v}`, '--compact')) as [unknown, Array<[[string, [string]]]>];
        const page = res[1];
        if (page.length === 0) break;
        last = Number(page[page.length - 1]![0][1][0]);
        if (page.length < PAGE) break;
      }
    }
  });
  const nodes: NodeRecord[] = [];
  const edges: EdgeRecord[] = [];
  const [memExp, descriptor] = await time(async () => {
    const src = falkordbSource({ url: srv.url, graphs: ['src'], pageSize: PAGE });
    try {
      const [ds] = await src.open();
      for await (const b of ds!.batches('node')) nodes.push(...b);
      for await (const b of ds!.batches('edge')) edges.push(...b);
      return ds!.descriptor;
    } finally {
      await src.close();
    }
  });
  const rssExport = peak();
  rows.push(`| export ${N} nodes + ${M} edges | ${bareExp.toFixed(2)} s | ${memExp.toFixed(2)} s | ${(bareExp / memExp).toFixed(2)} | ${rssExport} MiB |`);

  // Import: bare UNWIND loop vs the sink (the sink's time includes verification by reading back).
  const [bareImp] = await time(async () => {
    const ids = new Map<number, number>();
    const byLabels = new Map<string, NodeRecord[]>();
    for (const n of nodes) {
      const k = n.labels.map((l) => ':' + l).join('');
      (byLabels.get(k) ?? byLabels.set(k, []).get(k)!).push(n);
    }
    for (const [labels, list] of byLabels) {
      for (let i = 0; i < list.length; i += BATCH) {
        const part = list.slice(i, i + BATCH);
        const lit = part.map((n) => `{p:{name:${JSON.stringify(n.props.name)},n:${String(n.props.n)},score:${(n.props.score as { double: number }).double}}}`).join(',');
        const res = (await r.call('GRAPH.QUERY', 'bare', `CYPHER rows=[${lit}] UNWIND $rows AS r CREATE (n${labels}) SET n += r.p RETURN id(n)`, '--compact')) as [unknown, Array<[[string, string]]>];
        res[1].forEach((row, j) => ids.set(part[j]!.key as number, Number(row[0][1])));
      }
    }
    for (let i = 0; i < edges.length; i += BATCH) {
      const lit = edges.slice(i, i + BATCH).map((e) => `{a:${ids.get(e.src as number)},b:${ids.get(e.dst as number)},p:{w:${(e.props.w as { double: number }).double}}}`).join(',');
      await r.call('GRAPH.QUERY', 'bare', `CYPHER rows=[${lit}] UNWIND $rows AS r WITH r, r.a AS a0, r.b AS b0 MATCH (a), (b) WHERE id(a) = a0 AND id(b) = b0 CREATE (a)-[e:REL]->(b) SET e += r.p RETURN count(e)`, '--compact');
    }
  });
  const digest = new DatasetDigest();
  for (const n of nodes) digest.add('node', n);
  for (const e of edges) digest.add('edge', e);
  const sink = falkordbSink({ url: srv.url, rename: { src: 'restored' }, batchSize: BATCH });
  let writeSecs = 0;
  const [memImp] = await time(async () => {
    const ds = (await sink.dataset(descriptor))!;
    await ds.open(descriptor, { runId: 'bench', resume: false, dryRun: false });
    const t = performance.now();
    for (let i = 0; i < nodes.length; i += PAGE) await ds.write('node', nodes.slice(i, i + PAGE));
    await ds.shardDone({ entry: 'nodes', kind: 'node', seq: 0, records: nodes.length });
    for (let i = 0; i < edges.length; i += PAGE) await ds.write('edge', edges.slice(i, i + PAGE));
    await ds.shardDone({ entry: 'edges', kind: 'edge', seq: 0, records: edges.length });
    writeSecs = (performance.now() - t) / 1000;
    await ds.commit({ records: { node: nodes.length, edge: edges.length }, digest: digest.hex() });
  });
  await sink.close();
  const rssImport = peak();
  rows.push(`| import, writes only | ${bareImp.toFixed(2)} s | ${writeSecs.toFixed(2)} s | ${(bareImp / writeSecs).toFixed(2)} | ${rssImport} MiB |`);
  rows.push(`| import, with verification and switch | ${bareImp.toFixed(2)} s | ${memImp.toFixed(2)} s | ${(bareImp / memImp).toFixed(2)} | ${rssImport} MiB |`);
  console.log(`FalkorDB 4.16, ${N} nodes, ${M} edges, pages of ${PAGE}, batches of ${BATCH}\n`);
  console.log('| operation | bare GRAPH.QUERY loop | memarc | ratio (bare/memarc) | peak RSS (process) |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  r.disconnect();
  await srv.stop();
}
