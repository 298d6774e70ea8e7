/**
 * The whole job, as an operator runs it: one memory system of AutoMem's shape (a Qdrant collection
 * of N memories with 768-dim Cosine vectors and ~300-character payloads, plus a FalkorDB graph of N
 * Memory nodes and 2N relationships), exported into one archive, imported into fresh targets with
 * the default verification, and migrated server to server. Every memarc phase is the CLI as an
 * installed package runs it, in its own child process: `bin/memarc.js` executed through its
 * shebang (the V8 flags and malloc settings on it), running the compiled `dist/` (built first), so
 * neither Node's TypeScript stripper nor the sources' text is in the figures (`--cli source` runs
 * `src/cli/main.ts` with the CLI's V8 flags instead, as a checkout does). Every baseline is a bare
 * client loop in its own child process, on the same servers, in the same run:
 *
 * - bare export: a @qdrant/js-client-rest scroll loop, then GRAPH.RO_QUERY pages of nodes by id
 *   cursor and edges by source-node id windows; rows are parsed and dropped.
 * - bare import: a js-client-rest upsert loop (wait=true), then UNWIND CREATE of the nodes
 *   (reading back their ids) and UNWIND MATCH-by-id CREATE of the edges. It checks nothing.
 *
 * Peak RSS is each child's own high-water mark (VmHWM, bench/peak.ts) (the CLI's is reported by
 * bench/peak-rss.js, preloaded with --import). Servers (two Qdrant emulators, two FalkorDB) run in
 * their own processes, so their memory and CPU are not the client's. The emulators print vector
 * values as doubles (`--floats double`, the default: --double-floats, the shortest double of each
 * widened value), as bench/qdrant.bench.ts runs them; `--floats float32` prints them as Qdrant does,
 * in their shortest float32 form: 0.6 times the text at about the same cost a number, but in the
 * runs of session 15 the emulators' CPU under the verified import rose more than the client's
 * fell (bench/RESULTS.md, "Session 15").
 *
 *   node bench/job.bench.ts [--sizes 10000,100000] [--full] [--cli package|source] [--phases export,import,migrate,bare,cpu] [--trace DIR] [--points P] [--floats double|float32]
 *     --full adds 1,000,000; --phases leaves out what it does not name (bare: the bare loops; cpu:
 *     the `--verify count` and `--dry-run` imports of the CPU table); --trace DIR writes each CLI
 *     run's RSS and peak, second by second, to DIR/NN-command.tsv (bench/peak-rss.js), to see in
 *     which phase of a long run the peak was reached; --points P gives every size a collection of P
 *     points instead of N (0: the graph alone, no collection), to see the graph's phases on their own
 *     or after a shorter collection.
 *   node bench/job.bench.ts --phase populate --qdrant URL --falkordb URL --name NAME --n N [--points P]   (fill servers of your own)
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { Redis } from 'ioredis';
import { startFalkorDB, type FalkorServer } from '../test/helpers/falkordb-server.ts';
import { childV8Flags } from './v8-flags.ts';
import { peakRssKiB } from './peak.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const DIM = 768;
const POOL = 1000;
const Q_BATCH = 256;
const G_PAGE = 10_000;
const G_BATCH = 5_000;
const EDGE_TYPES = ['RELATES_TO', 'LEADS_TO', 'OCCURRED_BEFORE', 'PREFERS_OVER', 'EXEMPLIFIES'];
const MEMORY_TYPES = ['Decision', 'Pattern', 'Preference', 'Style', 'Habit', 'Insight', 'Context'];

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    full: { type: 'boolean' },
    phase: { type: 'string' },
    n: { type: 'string' },
    qdrant: { type: 'string' },
    falkordb: { type: 'string' },
    name: { type: 'string' },
    'v8-default': { type: 'boolean' },
    cli: { type: 'string', default: 'package' },
    phases: { type: 'string', default: 'export,import,migrate,bare,cpu' },
    trace: { type: 'string' },
    points: { type: 'string' },
    floats: { type: 'string', default: 'double' },
  },
});
/** The collection's size beside a graph of n nodes: n, or --points (0: the graph alone). */
const pointsFor = (n: number): number => (values.points === undefined ? n : Number(values.points));
const PHASES = new Set(values.phases!.split(','));
if (values.floats !== 'float32' && values.floats !== 'double') throw new Error(`--floats ${values.floats}: float32 or double`);

// --- the data: deterministic, from a pool, so generating it is not charged to either side ---

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = 'the user prefers dark roast coffee and short meetings decided to migrate the billing service to postgres after the outage pattern noticed when reviewing pull requests on friday afternoons style concise answers with code first'.split(' ');

interface PoolEntry {
  vector: number[];
  content: string;
  tags: string[];
}

function pool(): PoolEntry[] {
  const rnd = prng(11);
  return Array.from({ length: POOL }, (_, i) => {
    const raw = Array.from({ length: DIM }, () => rnd() * 2 - 1);
    const norm = Math.hypot(...raw);
    const vector = Array.from(Float32Array.from(raw.map((x) => x / norm)));
    let content = `memory ${i}:`;
    while (content.length < 300) content += ` ${WORDS[Math.floor(rnd() * WORDS.length)]}`;
    return { vector, content, tags: [`topic-${i % 17}`, `project-${i % 5}`, i % 2 ? 'work' : 'personal'] };
  });
}

function uuidOf(i: number): string {
  const h = i.toString(16).padStart(12, '0');
  return `6d0e6a2c-5b1f-4c3e-9a7d-${h}`;
}

function isoAt(i: number): string {
  return new Date(Date.UTC(2026, 0, 1) + i * 61_000).toISOString();
}

function payloadOf(i: number, p: PoolEntry): Record<string, unknown> {
  return {
    content: p.content,
    tags: p.tags,
    importance: (i % 100) / 100 + 0.005,
    type: MEMORY_TYPES[i % MEMORY_TYPES.length],
    confidence: 0.5 + (i % 50) / 100,
    timestamp: isoAt(i),
    updated_at: isoAt(i + 7),
    last_accessed: isoAt(i + 13),
    metadata: { source: 'chat', session: `s-${i % 997}`, agent: 'claude', version: 2 },
  };
}

function* qdrantPoints(n: number, p: PoolEntry[]): Generator<Array<{ id: string; vector: number[]; payload: Record<string, unknown> }>> {
  for (let i = 0; i < n; i += Q_BATCH) {
    const out = [];
    for (let j = i; j < Math.min(n, i + Q_BATCH); j++) out.push({ id: uuidOf(j), vector: p[j % POOL]!.vector, payload: payloadOf(j, p[j % POOL]!) });
    yield out;
  }
}

/** Node i's properties, as a Cypher map literal built from UNWIND's i (the same on every side). */
const NODE_PROPS = `{id: $prefix + toString(i), content: 'memory ' + toString(i) + ': the user prefers dark roast coffee and short meetings; decided to migrate the billing service after the outage', importance: toFloat(i % 100) / 100 + 0.005, type: $types[i % ${MEMORY_TYPES.length}], confidence: 0.5 + toFloat(i % 50) / 100, timestamp: $t0 + i * 61, tags: ['topic-' + toString(i % 17), 'work']}`;
const EDGE_PROPS = `{strength: toFloat(j % 97) / 97, updated_at: $t0 + j}`;

function cypherParams(p: Record<string, unknown>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

const COMMON = { prefix: '6d0e6a2c-', types: MEMORY_TYPES, t0: 1_767_225_600 };

// --- populate the source servers ---

async function populate(qdrantUrl: string, falkorUrl: string, name: string, n: number, points: number): Promise<void> {
  if (points > 0) {
    const p = pool();
    const client = new QdrantClient({ url: qdrantUrl, checkCompatibility: false });
    await client.createCollection(name, { vectors: { size: DIM, distance: 'Cosine' } });
    for (const batch of qdrantPoints(points, p)) await client.upsert(name, { wait: true, points: batch });
    for (const field of ['type', 'tags']) await client.createPayloadIndex(name, { field_name: field, field_schema: 'keyword', wait: true });
  }

  const r = new Redis(falkorUrl);
  const gq = (cypher: string): Promise<unknown> => r.call('GRAPH.QUERY', name, cypher, '--compact');
  for (let lo = 0; lo < n; lo += 50_000) {
    const hi = Math.min(n, lo + 50_000) - 1;
    await gq(`CYPHER ${cypherParams(COMMON)} UNWIND range(${lo}, ${hi}) AS i CREATE (:Memory ${NODE_PROPS})`);
  }
  await gq(`CREATE INDEX FOR (m:Memory) ON (m.id)`);
  // About 2N edges: node i links to i+1 and to (i * 7919) mod N, typed round-robin.
  const m = 2 * n;
  for (let lo = 0; lo < m; lo += 50_000) {
    const hi = Math.min(m, lo + 50_000) - 1;
    for (const [t, type] of EDGE_TYPES.entries()) {
      await gq(`CYPHER ${cypherParams(COMMON)} UNWIND range(${lo}, ${hi}) AS j WITH j WHERE j % ${EDGE_TYPES.length} = ${t} WITH j, (j / 2) AS s, CASE WHEN j % 2 = 0 THEN (j / 2 + 1) % ${n} ELSE ((j / 2) * 7919) % ${n} END AS d MATCH (a), (b) WHERE id(a) = s AND id(b) = d CREATE (a)-[:${type} ${EDGE_PROPS}]->(b)`);
    }
  }
  r.disconnect();
}

// --- bare client loops (each in a child process) ---

interface PhaseResult {
  secs: number;
  rssMiB: number;
  records: number;
  /** The client process's CPU time (user + system), ms. */
  cpuMs: number;
}

/** CPU time (user + system) of a process, ms, from /proc/<pid>/stat (Linux); 0 elsewhere. */
function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime and stime, fields 14 and 15
  } catch {
    return 0;
  }
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const selfCpuMs = (): number => {
  const c = process.cpuUsage();
  return Math.round((c.user + c.system) / 1000);
};

const peakMiB = (): number => Math.round(peakRssKiB() / 1024);

async function bareExport(qdrantUrl: string, falkorUrl: string, name: string, n: number, points: number): Promise<PhaseResult> {
  const t = performance.now();
  let records = 0;
  const client = new QdrantClient({ url: qdrantUrl, checkCompatibility: false });
  let offset: string | number | undefined | null;
  while (points > 0) {
    const res = await client.scroll(name, { limit: Q_BATCH, with_payload: true, with_vector: true, ...(offset != null ? { offset } : {}) });
    records += res.points.length;
    offset = res.next_page_offset as string | number | null | undefined;
    if (offset == null) break;
  }

  const r = new Redis(falkorUrl, { stringNumbers: true });
  const q = async (cypher: string): Promise<unknown[][]> => ((await r.call('GRAPH.RO_QUERY', name, cypher, '--compact')) as [unknown, unknown[][]])[1];
  for (let last = -1; ;) {
    const page = await q(`CYPHER last=${last} k=${G_PAGE} MATCH (n) WHERE id(n) > $last WITH n ORDER BY id(n) LIMIT $k RETURN n`);
    records += page.length;
    if (page.length < G_PAGE) break;
    last = Number(((page[page.length - 1]![0] as unknown[])[1] as string[])[0]);
  }
  const width = Math.max(1, Math.floor(G_PAGE / 2));
  for (let lo = 0; lo < n; lo += width) {
    records += (await q(`CYPHER lo=${lo} hi=${lo + width} MATCH (a)-[e]->() WHERE id(a) >= $lo AND id(a) < $hi RETURN e`)).length;
  }
  r.disconnect();
  return { secs: (performance.now() - t) / 1000, rssMiB: peakMiB(), records, cpuMs: selfCpuMs() };
}

async function bareImport(qdrantUrl: string, falkorUrl: string, name: string, n: number, points: number): Promise<PhaseResult> {
  const p = pool();
  const t = performance.now();
  let records = 0;
  if (points > 0) {
    const client = new QdrantClient({ url: qdrantUrl, checkCompatibility: false });
    await client.createCollection(name, { vectors: { size: DIM, distance: 'Cosine' } });
    for (const batch of qdrantPoints(points, p)) {
      await client.upsert(name, { wait: true, points: batch });
      records += batch.length;
    }
  }

  const r = new Redis(falkorUrl, { stringNumbers: true });
  const gq = async (cypher: string): Promise<unknown[][]> => ((await r.call('GRAPH.QUERY', name, cypher, '--compact')) as [unknown, unknown[][]])[1];
  const ids = new Float64Array(n);
  for (let lo = 0; lo < n; lo += G_BATCH) {
    const hi = Math.min(n, lo + G_BATCH) - 1;
    const rows = await gq(`CYPHER ${cypherParams(COMMON)} UNWIND range(${lo}, ${hi}) AS i CREATE (m:Memory ${NODE_PROPS}) RETURN i, id(m)`);
    for (const row of rows) ids[Number((row[0] as string[])[1])] = Number((row[1] as string[])[1]);
    records += rows.length;
  }
  const m = 2 * n;
  for (let lo = 0; lo < m; lo += G_BATCH) {
    const hi = Math.min(m, lo + G_BATCH);
    for (const [t, type] of EDGE_TYPES.entries()) {
      const rows: string[] = [];
      for (let j = lo; j < hi; j++) {
        if (j % EDGE_TYPES.length !== t) continue;
        const s = Math.floor(j / 2);
        const d = j % 2 === 0 ? (s + 1) % n : (s * 7919) % n;
        rows.push(`[${j},${ids[s]},${ids[d]}]`);
      }
      const res = await gq(`CYPHER ${cypherParams(COMMON)} rows=[${rows.join(',')}] UNWIND $rows AS r WITH r[0] AS j, r[1] AS s, r[2] AS d MATCH (a), (b) WHERE id(a) = s AND id(b) = d CREATE (a)-[e:${type} ${EDGE_PROPS}]->(b) RETURN count(e)`);
      records += Number((res[0]![0] as string[])[1]);
    }
  }
  r.disconnect();
  return { secs: (performance.now() - t) / 1000, rssMiB: peakMiB(), records, cpuMs: selfCpuMs() };
}

// --- the parent: servers, phases, the table ---

function child(phase: string, args: string[]): PhaseResult {
  const res = spawnSync(process.execPath, [...childV8Flags(process.argv), SELF, '--phase', phase, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (res.status !== 0) throw new Error(`phase ${phase} failed (exit ${res.status})`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as PhaseResult;
}

/**
 * How the CLI is started. `package`: the layout of an installed package (bin/, dist/,
 * package.json, node_modules) in a temporary directory, with dist/ freshly compiled; the bin is
 * executed itself, so its shebang's `env` settings and V8 flags apply, with this Node first on
 * PATH and bench/peak-rss.js preloaded through NODE_OPTIONS. `source`: Node on src/cli/main.ts.
 */
interface CliStart {
  file: string;
  args: string[];
  env: Record<string, string>;
}

function cliStart(work: string): CliStart {
  const preload = path.join(ROOT, 'bench/peak-rss.js');
  if (values.cli === 'source') return { file: process.execPath, args: [...childV8Flags(process.argv), '--import', preload, path.join(ROOT, 'src/cli/main.ts')], env: {} };
  if (values.cli !== 'package') throw new Error(`--cli is package or source, not ${values.cli}`);
  const pkg = path.join(work, 'package');
  // Compiled into the package's own fresh dist/: no file left in the checkout's dist/ by an older
  // build can be picked up, and the checkout's dist/ is not touched while the bench runs.
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  copyFileSync(path.join(ROOT, 'bin/memarc.js'), path.join(pkg, 'bin/memarc.js'));
  chmodSync(path.join(pkg, 'bin/memarc.js'), 0o755);
  copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  return {
    file: path.join(pkg, 'bin/memarc.js'),
    args: [],
    env: { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, NODE_OPTIONS: `--import=${preload}` },
  };
}
let START: CliStart;

/** Runs the memarc CLI; returns wall time and the CLI process's own peak RSS. */
let traced = 0;

function cli(argv: string[], env: Record<string, string> = {}): PhaseResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-job-rss-'));
  const rssFile = path.join(dir, 'rss');
  if (values.trace) {
    mkdirSync(values.trace, { recursive: true });
    const file = path.join(values.trace, `${String(++traced).padStart(2, '0')}-${argv[0]}.tsv`);
    console.log(`trace ${file}: memarc ${argv.join(' ')}`);
    env = { ...env, MEMARC_RSS_TRACE_FILE: file };
  }
  const t = performance.now();
  const res = spawnSync(START.file, [...START.args, ...argv, '--json', '--no-progress'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...START.env, ...env, MEMARC_PEAK_RSS_FILE: rssFile },
    maxBuffer: 1 << 26,
  });
  const secs = (performance.now() - t) / 1000;
  if (res.status !== 0) throw new Error(`memarc ${argv[0]} failed (exit ${res.status}): ${res.stdout.slice(0, 2000)} ${res.stderr.slice(0, 2000)}`);
  const [kib, extra] = readFileSync(rssFile, 'utf8').split('\n');
  const rssMiB = Math.round(Number(kib) / 1024);
  const cpuMs = (JSON.parse(extra || '{}') as { cpuMs?: number }).cpuMs ?? 0;
  rmSync(dir, { recursive: true, force: true });
  const doc = JSON.parse(res.stdout) as { datasets?: Array<{ records?: Record<string, number> }>; trailer?: { datasets: Array<{ records: Record<string, number> }> } };
  const sets = doc.datasets ?? doc.trailer?.datasets ?? [];
  const records = sets.reduce((a, d) => a + Object.values(d.records ?? {}).reduce((x, y) => x + y, 0), 0);
  return { secs, rssMiB, records, cpuMs };
}

async function emulator(): Promise<{ url: string; pid: number | undefined; stop: () => void }> {
  const floats = values.floats === 'double' ? ['--double-floats'] : [];
  const proc = spawn(process.execPath, ['--max-old-space-size=16384', path.join(ROOT, 'test/qdrant-emulator/main.ts'), '--port', '0', ...floats], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: proc.stdout! }), 'line')) as [string];
  return { url: line.trim(), pid: proc.pid, stop: () => proc.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const sizes = values.sizes!.split(',').map(Number).filter((x) => x > 0);
  if (values.full) sizes.push(1_000_000);
  const qSrc = await emulator();
  const qDst = await emulator();
  let fSrc: FalkorServer | undefined;
  let fDst: FalkorServer | undefined;
  const rows: string[] = [];
  const cpuRows: string[] = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'memarc-job-'));
  START = cliStart(work);
  try {
    fSrc = await startFalkorDB();
    fDst = await startFalkorDB();
    for (const n of sizes) {
      const name = `mem_${n}`;
      const points = pointsFor(n);
      const records = points + n + 2 * n;
      const t = performance.now();
      await populate(qSrc.url, fSrc.url, name, n, points);
      process.stderr.write(`populated ${n} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      const archive = path.join(work, `${name}.memarc`);

      // Each phase's CPU: the client's own, and the servers' from /proc before and after.
      const servers = (): [number, number] => [procCpuMs(qSrc.pid) + procCpuMs(qDst.pid), procCpuMs(fSrc!.pid()) + procCpuMs(fDst!.pid())];
      const cpuOf = (what: string, run: () => PhaseResult): PhaseResult => {
        const [q0, f0] = servers();
        const x = run();
        const [q1, f1] = servers();
        cpuRows.push(`| ${n.toLocaleString('en')} | ${what} | ${(x.cpuMs / 1000).toFixed(1)} s | ${((q1 - q0) / 1000).toFixed(1)} s | ${((f1 - f0) / 1000).toFixed(1)} s | ${((x.cpuMs + q1 - q0 + f1 - f0) / 1000).toFixed(1)} s |`);
        return x;
      };
      const phase = (what: string, run: () => PhaseResult): PhaseResult | undefined => (PHASES.has(what) ? run() : undefined);
      const sizeArgs = ['--n', String(n), '--points', String(points)];
      const be = phase('bare', () => cpuOf('bare export', () => child('bare-export', ['--qdrant', qSrc.url, '--falkordb', fSrc!.url, '--name', name, ...sizeArgs])));
      // The export always runs: the imports need its archive.
      const collection = points > 0 ? ['--qdrant', qSrc.url, '--collections', name] : [];
      const me = cpuOf('memarc export', () => cli(['export', ...collection, '--falkordb', fSrc!.url, '--graphs', name, '-o', archive]));
      const bi = phase('bare', () => cpuOf('bare import', () => child('bare-import', ['--qdrant', qDst.url, '--falkordb', fDst!.url, '--name', `bare_${n}`, ...sizeArgs])));
      const mi = phase('import', () => cpuOf('memarc import, read-back', () => cli(['import', archive, '--qdrant', qDst.url, '--falkordb', fDst!.url])));
      // For the CPU table only: what the read-back costs, and what reading and checking the archive alone costs.
      phase('cpu', () => cpuOf('memarc import, `--verify count`', () => cli(['import', archive, '--qdrant', qDst.url, '--falkordb', fDst!.url, '--verify', 'count', '--rename', `${name}=cnt_${n}`])));
      phase('cpu', () => cpuOf('memarc import, `--dry-run`', () => cli(['import', archive, '--qdrant', qDst.url, '--falkordb', fDst!.url, '--dry-run', '--rename', `${name}=dry_${n}`])));
      const mq = points > 0 ? phase('migrate', () => cli(['migrate', '--from', qSrc.url, '--to', qDst.url, '--collections', name, '--rename', `${name}=mig_${n}`])) : { secs: 0, rssMiB: 0, records: 0, cpuMs: 0 };
      const mf = phase('migrate', () => cli(['migrate', '--from', fSrc!.url, '--to', fDst!.url, '--graphs', name, '--rename', `${name}=mig_${n}`]));
      for (const [what, x] of [['bare export', be], ['export', me], ['bare import', bi], ['import', mi]] as const) {
        if (x && x.records !== records) throw new Error(`${what} of ${n} saw ${x.records} records, expected ${records}`);
      }
      if (mq && mf && mq.records + mf.records !== records) throw new Error(`migrate of ${n} moved ${mq.records + mf.records} records, expected ${records}`);
      const size = statSync(archive).size;
      const fmt = (s: number | undefined): string => (s === undefined ? '—' : `${s.toFixed(1)} s`);
      const rate = (s: number): string => `${Math.round(records / s).toLocaleString('en')}/s`;
      const ratio = (bare: number | undefined, mine: number): string => (bare === undefined ? '—' : `**${(bare / mine).toFixed(2)}×**`);
      const mib = (x: PhaseResult | undefined): string => (x ? `${x.rssMiB} MiB` : '—');
      const before = rows.length;
      rows.push(`| ${n.toLocaleString('en')} | export → ${(size / 2 ** 20).toFixed(0)} MiB | ${fmt(me.secs)} (${rate(me.secs)}) | ${fmt(be?.secs)} | ${ratio(be?.secs, me.secs)} | ${me.rssMiB} MiB | ${mib(be)} |`);
      if (mi) rows.push(`| | import, read-back verified | ${fmt(mi.secs)} (${rate(mi.secs)}) | ${fmt(bi?.secs)} | ${ratio(bi?.secs, mi.secs)} | ${mi.rssMiB} MiB | ${mib(bi)} |`);
      if (mq && mf) {
        const bare = be && bi ? be.secs + bi.secs : undefined;
        rows.push(`| | migrate (${points > 0 ? 'Qdrant, then FalkorDB' : 'FalkorDB'}) | ${fmt(mq.secs + mf.secs)} (${rate(mq.secs + mf.secs)}) | ${bare === undefined ? '—' : `${fmt(bare)} (bare export + import)`} | ${ratio(bare, mq.secs + mf.secs)} | ${Math.max(mq.rssMiB, mf.rssMiB)} MiB | ${be && bi ? `${Math.max(be.rssMiB, bi.rssMiB)} MiB` : '—'} |`);
      }
      process.stderr.write(`done ${n}:\n${rows.slice(before).join('\n')}\n`);
      rmSync(archive, { force: true });
      // Free the servers' memory before the next size.
      for (const url of [qSrc.url, qDst.url]) {
        for (const c of [name, `bare_${n}`, `mig_${n}`, `cnt_${n}`]) await fetch(`${url}/collections/${c}`, { method: 'DELETE' }).then((r) => r.body?.cancel());
      }
      for (const [url, gs] of [[fSrc.url, [name]], [fDst.url, [name, `bare_${n}`, `mig_${n}`, `cnt_${n}`]]] as const) {
        const r = new Redis(url);
        for (const g of gs) await r.call('DEL', g);
        r.disconnect();
      }
    }
  } finally {
    qSrc.stop();
    qDst.stop();
    await fSrc?.stop();
    await fDst?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const how = values.cli === 'source' ? `src/cli/main.ts, V8 flags: ${childV8Flags(process.argv).join(' ') || '(defaults)'}` : `the package's bin/memarc.js on dist/, as its shebang runs it (${readFileSync(path.join(ROOT, 'bin/memarc.js'), 'utf8').split('\n')[0]!.slice(2)})`;
  const shape = values.points === undefined ? 'N memories' : `${Number(values.points).toLocaleString('en')} memories`;
  console.log(`Whole job, AutoMem shape (${shape}: ${DIM}-dim Cosine + ~300-char payloads in Qdrant; N Memory nodes + 2N edges in FalkorDB), records = ${values.points === undefined ? '4N' : 'points + 3N'}; vectors printed by the emulators as ${values.floats === 'double' ? 'doubles' : 'shortest float32s, as Qdrant prints them'}; Node ${process.version}; the CLI: ${how}\n`);
  console.log('| N | operation | memarc CLI | bare client loops | ratio (bare / memarc) | memarc peak RSS | bare peak RSS |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log('\nCPU time of each phase (user + system): the client process, the two Qdrant emulators, the two FalkorDB servers\n');
  console.log('| N | phase | client | Qdrant emulators | FalkorDB | total |');
  console.log('|---:|---|---:|---:|---:|---:|');
  for (const r of cpuRows) console.log(r);
}

if (values.phase) {
  const args = [values.qdrant!, values.falkordb!, values.name!, Number(values.n), pointsFor(Number(values.n))] as const;
  if (values.phase === 'populate') await populate(...args);
  else console.log(JSON.stringify(values.phase === 'bare-export' ? await bareExport(...args) : await bareImport(...args)));
} else {
  await main();
}
