/**
 * FalkorDB adapter against bare GRAPH.QUERY loops on the same server, in the same run. Every
 * phase runs in its own child process, so each peak RSS is that phase's alone.
 *
 * - export: the bare loop pages nodes by id cursor and edges by source-node id windows, with the
 *   same page size and query shape as the source, and does nothing with the rows. The source
 *   reads the live graph (its default: read-only pages, the state before and after for the
 *   change check, archived node ids for the edge filter), asks for exact doubles and decodes
 *   every value; an info row reads a GRAPH.COPY instead (`snapshot: 'copy'`). The
 *   source reads pages through redis-parser (page-connection.ts), the bare loop through ioredis;
 *   the same bare loop on redis-parser is an info row, the floor for any client.
 * - import: the bare loop runs the same UNWIND writes (nodes, reading back their ids; edges by
 *   endpoint id) from the same records. The sink's "writes" time is write() and shardDone();
 *   "with verification and switch" adds commit(): indexes, the read-back digest, the rename.
 *
 * Usage: node bench/falkordb.bench.ts [--sizes 10000x20000,100000x200000]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { falkordbSink, falkordbSource } from '../src/adapters/falkordb/index.ts';
import { PageConnection } from '../src/adapters/falkordb/page-connection.ts';
import type { DatasetDescriptor } from '../src/core/adapter.ts';
import { commitOne } from '../src/core/restore.ts';
import { scratchCheckpoints } from '../src/core/checkpoint.ts';
import { DatasetDigest } from '../src/format/digest.ts';
import { typedDouble, type EdgeRecord, type NodeRecord } from '../src/format/records.ts';
import { startFalkorDB } from '../test/helpers/falkordb-server.ts';
import { childV8Flags } from './v8-flags.ts';
import { peakRssKiB } from './peak.ts';

const PAGE = 10_000;
const BATCH = 5_000;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000x20000,100000x200000' },
    phase: { type: 'string' },
    url: { type: 'string' },
    nodes: { type: 'string' },
    edges: { type: 'string' },
    'v8-default': { type: 'boolean' },
  },
});

interface PhaseResult {
  secs: number;
  writeSecs?: number;
  records: number;
  rssMiB: number;
}

const peakMiB = (): number => Math.round(peakRssKiB() / 1024);

// --- the records of the source graph, made again on the client for the import phases ---

function nodeAt(i: number): NodeRecord {
  return { key: i, labels: i % 3 === 0 ? ['Memory', 'Tagged'] : ['Memory'], props: { name: `memory ${i}`, n: i, score: typedDouble(i / 7) } };
}

function edgeAt(j: number, n: number): EdgeRecord {
  return { type: 'REL', src: j % n, dst: (j * 7919) % n, props: { w: typedDouble(j / 11) } };
}

function* batches<T>(count: number, make: (i: number) => T, size: number): Generator<T[]> {
  for (let i = 0; i < count; i += size) {
    const out: T[] = [];
    for (let j = i; j < Math.min(count, i + size); j++) out.push(make(j));
    yield out;
  }
}

// --- phases (each in a child process) ---

/** `parser`: 'ioredis' (the client's main connection), or 'redis-parser' (its page connection). */
async function exportBare(url: string, n: number, m: number, parser: 'ioredis' | 'redis-parser' = 'ioredis'): Promise<PhaseResult> {
  const r = new Redis(url, { stringNumbers: true });
  const pc = new PageConnection(url, 60_000);
  if (parser === 'redis-parser') await pc.open();
  const q = async (cypher: string): Promise<unknown[][]> => {
    const args = ['GRAPH.RO_QUERY', 'src', cypher, '--compact'];
    const reply = parser === 'ioredis' ? await r.call(args[0]!, ...args.slice(1)) : await pc.call(args);
    return (reply as [unknown, unknown[][]])[1];
  };
  const t = performance.now();
  let records = 0;
  for (let last = -1; ;) {
    const page = await q(`CYPHER last=${last} k=${PAGE} MATCH (n) WHERE id(n) > $last WITH n ORDER BY id(n) LIMIT $k RETURN n`);
    records += page.length;
    if (page.length < PAGE) break;
    last = Number(((page[page.length - 1]![0] as unknown[])[1] as string[])[0]);
  }
  // Windows sized from the known average degree: the bare loop knows the graph exactly.
  const width = Math.max(1, Math.floor(PAGE / (m / n)));
  for (let lo = 0; lo < n; lo += width) {
    records += (await q(`CYPHER lo=${lo} hi=${lo + width} k=${PAGE + 1} MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi WITH e LIMIT $k RETURN e`)).length;
  }
  const secs = (performance.now() - t) / 1000;
  r.disconnect();
  pc.close();
  return { secs, records, rssMiB: peakMiB() };
}

/** The id(e) cursor the adapter used before: every page scans all edges (FalkorDB 4.16). */
async function exportBareIdCursor(url: string): Promise<PhaseResult> {
  const r = new Redis(url, { stringNumbers: true });
  const t = performance.now();
  let records = 0;
  for (let last = -1; ;) {
    const res = (await r.call('GRAPH.RO_QUERY', 'src', `CYPHER last=${last} k=${PAGE} MATCH ()-[e]->() WHERE id(e) > $last WITH e ORDER BY id(e) LIMIT $k RETURN e`, '--compact')) as [unknown, unknown[][]];
    const page = res[1];
    records += page.length;
    if (page.length < PAGE) break;
    last = Number(((page[page.length - 1]![0] as unknown[])[1] as string[])[0]);
  }
  const secs = (performance.now() - t) / 1000;
  r.disconnect();
  return { secs, records, rssMiB: peakMiB() };
}

async function exportMemarc(url: string, exactDoubles: boolean, snapshot: 'none' | 'copy' = 'none'): Promise<PhaseResult> {
  const t = performance.now();
  let records = 0;
  const src = falkordbSource({ url, graphs: ['src'], pageSize: PAGE, exactDoubles, snapshot });
  try {
    const [ds] = await src.open();
    for await (const b of ds!.batches('node')) records += b.length;
    for await (const b of ds!.batches('edge')) records += b.length;
  } finally {
    await src.close();
  }
  return { secs: (performance.now() - t) / 1000, records, rssMiB: peakMiB() };
}

async function importBare(url: string, n: number, m: number): Promise<PhaseResult> {
  const r = new Redis(url, { stringNumbers: true });
  await r.call('DEL', 'bare');
  const t = performance.now();
  const ids = new Map<number, number>();
  for (const page of batches(n, nodeAt, BATCH)) {
    for (const labels of [':`Memory`', ':`Memory`:`Tagged`']) {
      const part = page.filter((x) => (x.labels.length === 2) === labels.includes('Tagged'));
      const lit = part.map((x) => `{p:{\`name\`:${JSON.stringify(x.props.name)},\`n\`:${String(x.props.n)},\`score\`:${String((x.props.score as { double: number }).double)}}}`).join(',');
      const res = (await r.call('GRAPH.QUERY', 'bare', `CYPHER rows=[${lit}] UNWIND $rows AS r CREATE (n${labels}) SET n += r.p RETURN id(n)`, '--compact')) as [unknown, Array<[[string, string]]>];
      res[1].forEach((row, j) => ids.set(part[j]!.key as number, Number(row[0][1])));
    }
  }
  for (const page of batches(m, (j) => edgeAt(j, n), BATCH)) {
    const lit = page.map((e) => `{a:${ids.get(e.src as number)},b:${ids.get(e.dst as number)},p:{\`w\`:${String((e.props.w as { double: number }).double)}}}`).join(',');
    await r.call('GRAPH.QUERY', 'bare', `CYPHER rows=[${lit}] UNWIND $rows AS r WITH r, r.a AS a0, r.b AS b0 MATCH (a), (b) WHERE id(a) = a0 AND id(b) = b0 CREATE (a)-[e:\`REL\`]->(b) SET e += r.p RETURN count(e)`, '--compact');
  }
  const secs = (performance.now() - t) / 1000;
  await r.call('DEL', 'bare');
  r.disconnect();
  return { secs, records: n + m, rssMiB: peakMiB() };
}

async function importMemarc(url: string, n: number, m: number): Promise<PhaseResult> {
  // The archive's totals, computed before the clock starts (the import core gets them from the trailer).
  const digest = new DatasetDigest();
  for (const b of batches(n, nodeAt, PAGE)) for (const x of b) digest.add('node', x);
  for (const b of batches(m, (j) => edgeAt(j, n), PAGE)) for (const x of b) digest.add('edge', x);
  const descriptor: DatasetDescriptor = { name: 'src', kind: 'falkordb.graph', fingerprint: { indexes: [], constraints: [] }, source: { type: 'falkordb' } };
  const sink = falkordbSink({ url, rename: { src: 'restored' }, ifExists: 'replace', batchSize: BATCH });
  const t = performance.now();
  let writeSecs = 0;
  try {
    const ds = (await sink.dataset(descriptor))!;
    // As the CLI imports: with a local checkpoint (node key → id journal, fsynced per node batch).
    const scratch = await scratchCheckpoints(`bench-${process.pid}`);
    await ds.open(descriptor, { runId: `bench-${process.pid}`, resume: false, dryRun: false, checkpoints: scratch });
    const w = performance.now();
    for (const b of batches(n, nodeAt, PAGE)) await ds.write('node', b);
    await ds.shardDone({ entry: 'nodes', kind: 'node', seq: 0, records: n });
    for (const b of batches(m, (j) => edgeAt(j, n), PAGE)) await ds.write('edge', b);
    await ds.shardDone({ entry: 'edges', kind: 'edge', seq: 0, records: m });
    writeSecs = (performance.now() - w) / 1000;
    await commitOne(descriptor.name, ds, { records: { node: n, edge: m }, digest: digest.hex() });
    await scratch.dispose();
  } finally {
    await sink.close();
  }
  const secs = (performance.now() - t) / 1000;
  const r = new Redis(url);
  await r.call('DEL', 'restored');
  r.disconnect();
  return { secs, writeSecs, records: n + m, rssMiB: peakMiB() };
}

async function runPhase(phase: string, url: string, n: number, m: number): Promise<PhaseResult> {
  switch (phase) {
    case 'export-bare': return exportBare(url, n, m);
    case 'export-bare-redis-parser': return exportBare(url, n, m, 'redis-parser');
    case 'export-bare-id-cursor': return exportBareIdCursor(url);
    case 'export-memarc': return exportMemarc(url, true);
    case 'export-memarc-no-exact': return exportMemarc(url, false);
    case 'export-memarc-copy': return exportMemarc(url, true, 'copy');
    case 'import-bare': return importBare(url, n, m);
    case 'import-memarc': return importMemarc(url, n, m);
  }
  throw new Error(`unknown phase ${phase}`);
}

function child(phase: string, url: string, n: number, m: number): PhaseResult {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, [...childV8Flags(process.argv), self, '--phase', phase, '--url', url, '--nodes', String(n), '--edges', String(m)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`phase ${phase} failed (exit ${res.status})`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as PhaseResult;
}

async function buildSource(url: string, n: number, m: number): Promise<void> {
  const r = new Redis(url);
  const gq = (cypher: string): Promise<unknown> => r.call('GRAPH.QUERY', 'src', cypher, '--compact');
  await r.call('DEL', 'src');
  // Labels at creation (adding a label to 100k existing nodes takes minutes in 4.16); ids follow i.
  const props = `{name: 'memory ' + toString(i), n: i, score: toFloat(i) / 7}`;
  await gq(`UNWIND range(0, ${n - 1}) AS i FOREACH (x IN CASE WHEN i % 3 = 0 THEN [1] ELSE [] END | CREATE (:Memory:Tagged ${props})) FOREACH (x IN CASE WHEN i % 3 = 0 THEN [] ELSE [1] END | CREATE (:Memory ${props}))`);
  await gq(`UNWIND range(0, ${m - 1}) AS j WITH j, j % ${n} AS s, (j * 7919) % ${n} AS d MATCH (a), (b) WHERE id(a) = s AND id(b) = d CREATE (a)-[:REL {w: toFloat(j) / 11}]->(b)`);
  r.disconnect();
}

if (values.phase) {
  const out = await runPhase(values.phase, values.url!, Number(values.nodes), Number(values.edges));
  console.log(JSON.stringify(out));
} else {
  const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const srv = await startFalkorDB();
  const lines: string[] = [];
  const fmt = (x: number): string => `${x.toFixed(2)} s`;
  try {
    for (const [n, m] of sizes) {
      await buildSource(srv.url, n, m);
      const p = (phase: string): PhaseResult => child(phase, srv.url, n, m);
      const eb = p('export-bare');
      const er = p('export-bare-redis-parser');
      const em = p('export-memarc');
      const ex = p('export-memarc-no-exact');
      const ec = p('export-memarc-copy');
      const ei = p('export-bare-id-cursor');
      const ib = p('import-bare');
      const im = p('import-memarc');
      for (const x of [eb, er, em, ex, ec, ib, im]) if (x.records !== n + m) throw new Error(`a phase saw ${x.records} records, not ${n + m}`);
      const size = `${n / 1000}k / ${m / 1000}k`;
      const row = (op: string, bare: number, mem: number, rssBare: number, rssMem: number): string =>
        `| ${size} | ${op} | ${fmt(bare)} | ${fmt(mem)} | ${(bare / mem).toFixed(2)} | ${rssBare} MiB | ${rssMem} MiB |`;
      lines.push(row('export', eb.secs, em.secs, eb.rssMiB, em.rssMiB));
      lines.push(row('export, no exact doubles (info)', eb.secs, ex.secs, eb.rssMiB, ex.rssMiB));
      lines.push(row('export, --snapshot copy (info)', eb.secs, ec.secs, eb.rssMiB, ec.rssMiB));
      lines.push(row('export, bare loop on redis-parser (info)', eb.secs, er.secs, eb.rssMiB, er.rssMiB));
      lines.push(`| ${size} | edges by id(e) cursor, bare (info) | ${fmt(ei.secs)} (edges only) | | | ${ei.rssMiB} MiB | |`);
      lines.push(row('import, writes', ib.secs, im.writeSecs!, ib.rssMiB, im.rssMiB));
      lines.push(row('import, with verification and switch', ib.secs, im.secs, ib.rssMiB, im.rssMiB));
    }
  } finally {
    await srv.stop();
  }
  console.log(`FalkorDB 4.16, pages of ${PAGE}, write batches of ${BATCH}; each phase in its own process\n`);
  console.log('| nodes / edges | operation | bare GRAPH.QUERY loop | memarc | ratio (bare / memarc) | peak RSS bare | peak RSS memarc |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const l of lines) console.log(l);
}
