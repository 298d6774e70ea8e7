/**
 * Neo4j: memarc's export and verified import of a graph against bare neo4j-driver loops on the
 * same server in the same run (a Neo4j 5.26 Community started by test/helpers/neo4j-server.ts,
 * or NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD).
 *
 * - bare read: two streamed queries (nodes, relationships), records converted by the driver and dropped.
 * - bare write: UNWIND CREATE of the nodes with a key property, an index on it, then UNWIND
 *   MATCH-by-key CREATE of the relationships. It stages nothing, checks nothing and switches nothing.
 * - memarc export: the Neo4j source into an archive in memory (typed values, gzip, checksums).
 * - memarc import: that archive through the import path: staged load, read-back digest, one
 *   transaction to publish.
 *
 *   node bench/neo4j.bench.ts [--n 20000]
 */
import { Readable, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import neo4j from 'neo4j-driver';
import { neo4jSink, neo4jSource } from '../src/adapters/neo4j/index.ts';
import type { Source } from '../src/core/adapter.ts';
import { exportArchive } from '../src/core/export.ts';
import { importArchive } from '../src/core/import.ts';
import { externalNeo4j, startNeo4j } from '../test/helpers/neo4j-server.ts';
import { neo4jSyntheticSource } from '../test/helpers/neo4j-synthetic.ts';
import { peakRssKiB } from './peak.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);
const external = externalNeo4j();
const started = external ? null : await startNeo4j();
const server = external ?? started!;
const conn = { url: server.uri, username: server.username, password: server.password };

async function toBuffer(sources: Source[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await exportArchive({ sources, output: new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }) });
  return Buffer.concat(chunks);
}

const secs = (t: number) => (performance.now() - t) / 1000;
const g = `bench_${Date.now().toString(36)}`;
const driver = neo4j.driver(server.uri, neo4j.auth.basic(server.username, server.password));
const session = driver.session();
try {
  const archive = await toBuffer([neo4jSyntheticSource({ count: N, seed: 1, graph: g })]);
  let t = performance.now();
  const imp = await importArchive({ input: Readable.from([archive]), sink: neo4jSink(conn) });
  const memarcImport = secs(t);
  const records = (imp.datasets[0]!.records.node ?? 0) + (imp.datasets[0]!.records.edge ?? 0);
  t = performance.now();
  await toBuffer([neo4jSource({ ...conn, graphs: [g] })]);
  const memarcExport = secs(t);

  t = performance.now();
  const nodes = (await session.run(`MATCH (n:\`${g}\`) RETURN id(n) AS k, labels(n) AS l, properties(n) AS p`)).records.map((r) => ({ k: r.get('k'), p: r.get('p') }));
  const edges = (await session.run(`MATCH (a:\`${g}\`)-[e]->(b) RETURN id(a) AS a, id(b) AS b, type(e) AS t, properties(e) AS p`)).records.map((r) => ({ a: r.get('a'), b: r.get('b'), t: r.get('t'), p: r.get('p') }));
  const bareRead = secs(t);

  const g2 = `${g}_bare`;
  t = performance.now();
  for (let i = 0; i < nodes.length; i += 2000) await session.run(`UNWIND $rows AS r CREATE (n:\`${g2}\`) SET n = r.p, n._k = r.k`, { rows: nodes.slice(i, i + 2000) });
  await session.run(`CREATE INDEX \`${g2}_k\` FOR (n:\`${g2}\`) ON (n._k)`);
  await session.run('CALL db.awaitIndexes(300)');
  for (let i = 0; i < edges.length; i += 2000) await session.run(`UNWIND $rows AS r MATCH (a:\`${g2}\` {_k: r.a}) MATCH (b:\`${g2}\` {_k: r.b}) CREATE (a)-[e:$(r.t)]->(b) SET e = r.p`, { rows: edges.slice(i, i + 2000) });
  const bareWrite = secs(t);

  console.log(`Neo4j ${N} nodes + ${records - N} relationships (records = ${records}); Node ${process.version}; memarc peak RSS of this process ${Math.round(peakRssKiB() / 1024)} MiB\n`);
  console.log('| operation | memarc | bare driver loop | ratio (bare / memarc) |');
  console.log('|---|---:|---:|---:|');
  console.log(`| export (one read transaction, streamed) | ${memarcExport.toFixed(1)} s | ${bareRead.toFixed(1)} s | ${(bareRead / memarcExport).toFixed(2)} |`);
  console.log(`| import (staged, verified, one-transaction switch) | ${memarcImport.toFixed(1)} s | ${bareWrite.toFixed(1)} s | ${(bareWrite / memarcImport).toFixed(2)} |`);

  await session.run(`MATCH (n) WHERE n:\`${g}\` OR n:\`${g2}\` CALL (n) { DETACH DELETE n } IN TRANSACTIONS`);
  await session.run(`DROP INDEX \`${g2}_k\` IF EXISTS`);
} finally {
  await session.close();
  await driver.close();
  await started?.stop();
}
