/**
 * Qdrant adapter benchmark. Every figure is measured in this run, against the Qdrant emulator
 * started in its own child process (so the server's CPU is not the benchmark's):
 *
 * - import: memarc's sink (validation, upsert with wait=true, read-back verification, digest,
 *   checkpoints) against a bare @qdrant/js-client-rest loop that only upserts, same batch size;
 * - export: memarc's source (adaptive scroll, conversion to the archive's base64 form) against a
 *   bare client loop that only scrolls, same batch size;
 * - peak RSS (the child's own VmHWM, bench/peak.ts) of each run, each in its own child process.
 *
 * Points are 768-dim float32 vectors with a small payload, taken from a pool of 1,000 whose ids
 * are rewritten, so generating random numbers is not charged to either side.
 *
 *   node bench/qdrant.bench.ts [--points 10000,100000] [--batch 128]
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QdrantClient } from '@qdrant/js-client-rest';
import { qdrantSink, qdrantSource } from '../src/adapters/qdrant/index.ts';
import { DatasetDigest } from '../src/format/digest.ts';
import { encodeF32, type JsonObject, type PointRecord } from '../src/format/records.ts';
import { childV8Flags } from './v8-flags.ts';
import { commitOne } from '../src/core/restore.ts';
import { peakRssKiB } from './peak.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const args = process.argv.slice(2);
const arg = (name: string, dflt?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const DIM = 768;
const POOL = 1000;
const BATCH = Number(arg('batch', '128'));

interface PoolPoint {
  vector: number[];
  b64: string;
  payload: JsonObject;
}

function pool(): PoolPoint[] {
  let s = 7;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: POOL }, (_, i) => {
    const raw = Array.from({ length: DIM }, () => rnd() * 2 - 1);
    const n = Math.hypot(...raw);
    const f32 = Float32Array.from(raw.map((x) => x / n));
    return {
      vector: Array.from(f32),
      b64: encodeF32(f32),
      payload: { text: `memory ${i}: the quick brown fox jumps over the lazy dog`, tags: ['a', 'b'], score: i / 7, user: `u${i % 13}` },
    };
  });
}

function* archiveBatches(n: number, p: PoolPoint[], size: number): Generator<PointRecord[]> {
  for (let i = 0; i < n; i += size) {
    const batch: PointRecord[] = [];
    for (let j = i; j < Math.min(n, i + size); j++) batch.push({ id: j, vectors: { '': { dense: p[j % POOL]!.b64 } }, payload: p[j % POOL]!.payload });
    yield batch;
  }
}

const FINGERPRINT: JsonObject = { params: { vectors: { size: DIM, distance: 'Cosine' } }, optimizer_config: { indexing_threshold: 10000 }, payload_schema: {}, aliases: [] };

async function child(phase: string, n: number, url: string): Promise<void> {
  const client = new QdrantClient({ url, checkCompatibility: false });
  const p = pool();
  const bare = `bare_${n}`;
  let t0 = start();
  if (phase === 'bare-import') {
    await client.createCollection(bare, { vectors: { size: DIM, distance: 'Cosine' } });
    const t1 = start();
    for (let i = 0; i < n; i += BATCH) {
      const points = [];
      for (let j = i; j < Math.min(n, i + BATCH); j++) points.push({ id: j, vector: p[j % POOL]!.vector, payload: p[j % POOL]!.payload });
      await client.upsert(bare, { wait: true, points });
    }
    return report(performance.now() - t1);
  }
  if (phase === 'memarc-import' || phase === 'memarc-import-count') {
    // The trailer's totals, computed before the clock starts (the core reads them from the archive).
    const d = new DatasetDigest();
    for (const b of archiveBatches(n, p, 256)) for (const r of b) d.add('point', r);
    const t1 = start();
    const verify = phase === 'memarc-import-count' ? 'count' : 'readback';
    const sink = qdrantSink({ url, batchPoints: BATCH, verify });
    const descriptor = { name: `memarc_${n}_${verify}`, kind: 'qdrant.collection' as const, fingerprint: FINGERPRINT, source: { type: 'bench' } };
    const ds = (await sink.dataset(descriptor))!;
    await ds.open(descriptor, { runId: `bench-${n}`, resume: false, dryRun: false });
    let seq = 0;
    let inShard = 0;
    for (const b of archiveBatches(n, p, 256)) {
      await ds.write('point', b);
      inShard += b.length;
      if (inShard >= 10_000) {
        await ds.shardDone({ entry: `s${seq}`, kind: 'point', seq: seq++, records: inShard });
        inShard = 0;
      }
    }
    if (inShard > 0) await ds.shardDone({ entry: `s${seq}`, kind: 'point', seq, records: inShard });
    await commitOne('bench', ds, { records: { point: n }, digest: d.hex() });
    return report(performance.now() - t1);
  }
  if (phase === 'bare-export') {
    t0 = start();
    let offset: unknown = undefined;
    let seen = 0;
    do {
      const r = await client.scroll(bare, { limit: BATCH, with_payload: true, with_vector: true, ...(offset != null ? { offset: offset as number } : {}) });
      seen += r.points.length;
      offset = r.next_page_offset;
    } while (offset != null);
    if (seen !== n) throw new Error(`bare scroll saw ${seen} points, expected ${n}`);
    return report(performance.now() - t0);
  }
  if (phase === 'memarc-export') {
    t0 = start();
    const [ds] = await qdrantSource({ url, collections: [bare], batchPoints: BATCH }).open();
    let seen = 0;
    for await (const b of ds!.batches('point')) seen += b.length;
    if (seen !== n) throw new Error(`memarc export saw ${seen} points, expected ${n}`);
    return report(performance.now() - t0);
  }
  throw new Error(`unknown phase ${phase}`);
}

let cpu0 = process.cpuUsage();

/** Starts the clocks: wall time, and this process's CPU (the client's own cost, whatever the server's). */
function start(): number {
  cpu0 = process.cpuUsage();
  return performance.now();
}

function report(ms: number): void {
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ ms, cpuMs, maxRssMb: peakRssKiB() / 1024 }) + '\n');
}

interface Measured {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
}

function runChild(phase: string, n: number, url: string): Measured {
  const r = spawnSync(process.execPath, [...childV8Flags(args), SELF, '--child', phase, '--points', String(n), '--url', url, '--batch', String(BATCH)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${phase} ${n} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

async function main(): Promise<void> {
  const sizes = (arg('points', '10000,100000') ?? '').split(',').map(Number).filter((x) => x > 0);
  // Vectors printed as doubles: Qdrant's float32 form costs the emulator about ten times more CPU
  // (test/qdrant-emulator/json.ts), which the client measured would share.
  const emu = spawn(process.execPath, [path.join(ROOT, 'test/qdrant-emulator/main.ts'), '--port', '0', '--double-floats'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: emu.stdout! }), 'line')) as [string];
    const url = line.trim();
    const rows: string[] = [];
    for (const n of sizes) {
      const bi = runChild('bare-import', n, url);
      const mi = runChild('memarc-import', n, url);
      const mc = runChild('memarc-import-count', n, url);
      const be = runChild('bare-export', n, url);
      const me = runChild('memarc-export', n, url);
      const row = (op: string, m: Measured, b: Measured): string =>
        `| ${n.toLocaleString('en')} | ${op} | ${(m.ms / 1000).toFixed(2)} s | ${Math.round((n * 1000) / m.ms).toLocaleString('en')} | ${(b.ms / 1000).toFixed(2)} s | ${Math.round((n * 1000) / b.ms).toLocaleString('en')} | ${(b.ms / m.ms).toFixed(2)} | ${(m.cpuMs / 1000).toFixed(1)} s / ${(b.cpuMs / 1000).toFixed(1)} s | ${m.maxRssMb.toFixed(0)} MB | ${b.maxRssMb.toFixed(0)} MB |`;
      rows.push(row('import (read-back verified)', mi, bi), row('import --verify count', mc, bi), row('export', me, be));
      process.stderr.write(`done ${n}\n`);
    }
    process.stdout.write(`Qdrant adapter vs a bare js-client-rest loop, ${DIM}-dim float32 Cosine + payload, batch ${BATCH}, emulator in a child process, Node ${process.version}, V8 flags of the measured children: ${childV8Flags(args).join(' ') || '(defaults)'}\n\n`);
    process.stdout.write('| points | operation | memarc | memarc pts/s | bare loop | bare pts/s | ratio (bare time / memarc time) | client CPU memarc / bare | memarc peak RSS | bare peak RSS |\n');
    process.stdout.write('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n');
    for (const r of rows) process.stdout.write(r + '\n');
  } finally {
    emu.kill('SIGTERM');
  }
}

if (args.includes('--child')) await child(arg('child')!, Number(arg('points')), arg('url')!);
else await main();
