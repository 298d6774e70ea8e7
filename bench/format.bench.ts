/**
 * Format benchmark (bench/RESULTS.md, "Format"). Every figure is measured in this run:
 *
 * - encode: N synthetic memories (768-dim vectors + payloads) → archive file, against the raw
 *   baseline `gzip -1 | sha256sum` over the same NDJSON bytes;
 * - decode: archive → fully verified records (hash, gunzip, parse, validate, digest), against
 *   `gzip -dc | sha256sum` over the same shards, and against the encode baseline;
 * - peak RSS of each run, each in its own child process, at 10k and 100k (and 1M with --full);
 * - vector encoding: base64 of little-endian float32 against JSON numbers.
 *
 * Records come from a pool of 1,000 pre-generated memories whose ids are rewritten, so the cost
 * of generating random vectors is not charged to the encoder.
 *
 * The children run with the V8 flags the memarc CLI runs with (bin/memarc.js: a 2 MiB cap on
 * the young generation's semi-spaces); `--v8-default` measures Node's defaults instead.
 *
 *   node bench/format.bench.ts [--counts 10000,100000] [--full] [--v8-default] [--out bench/out]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import { syntheticPoint } from '../src/adapters/synthetic/index.ts';
import { readArchive } from '../src/format/reader.ts';
import { stringifyJson } from '../src/format/json.ts';
import { decodeF32, type PointRecord } from '../src/format/records.ts';
import { ArchiveWriter } from '../src/format/writer.ts';
import { childV8Flags } from './v8-flags.ts';
import { peakRssKiB } from './peak.ts';

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const DIM = 768;
const POOL = 1000;

function* points(n: number): Generator<PointRecord[]> {
  const pool = Array.from({ length: POOL }, (_, i) => syntheticPoint(i, DIM, 7));
  for (let i = 0; i < n; i += 256) {
    const batch: PointRecord[] = [];
    for (let j = i; j < Math.min(n, i + 256); j++) batch.push({ ...pool[j % POOL]!, id: j });
    yield batch;
  }
}

async function child(mode: string, count: number, dir: string): Promise<void> {
  const archive = path.join(dir, `bench-${count}.memarc`);
  // The largest JS heap and external (Buffer) memory seen, to tell retained data from RSS overhead.
  const mem = { heapTotal: 0, external: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    mem.heapTotal = Math.max(mem.heapTotal, m.heapTotal);
    mem.external = Math.max(mem.external, m.external);
  }, 100);
  const t0 = performance.now();
  let bytes = 0;
  if (mode === 'encode') {
    const shardMb = arg('shard-mb');
    const w = new ArchiveWriter({ datasets: [{ name: 'memories', kind: 'qdrant.collection', fingerprint: {}, source: { type: 'bench' } }], ...(shardMb ? { shardMaxRawBytes: Number(shardMb) * 1048576 } : {}) });
    await pipeline(w.encode([{ dataset: 1, kind: 'point', batches: points(count) }]), createWriteStream(archive));
    bytes = w.trailer!.datasets[0]!.rawBytes;
  } else if (mode === 'decode') {
    for await (const ev of readArchive(createReadStream(archive, { highWaterMark: 1 << 20 }))) {
      if (ev.type === 'shard') bytes += ev.shard.rawSize;
    }
  } else if (mode === 'ndjson') {
    // Untimed preparation of the baseline's input: the same NDJSON bytes the encoder writes.
    const out = createWriteStream(path.join(dir, `bench-${count}.ndjson`));
    await pipeline(function* () {
      for (const b of points(count)) yield b.map((r) => stringifyJson(r) + '\n').join('');
    }, out);
  }
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ secs, bytes, maxRssKiB: peakRssKiB(), maxHeapMiB: Math.round(mem.heapTotal / 1048576), maxExternalMiB: Math.round(mem.external / 1048576) }) + '\n');
}

const childFlags = childV8Flags(args);

function runChild(mode: string, count: number, dir: string): { secs: number; bytes: number; maxRssKiB: number; maxHeapMiB: number; maxExternalMiB: number } {
  const r = spawnSync(process.execPath, [...childFlags, SELF, '--child', mode, '--count', String(count), '--dir', dir, ...(arg('shard-mb') ? ['--shard-mb', arg('shard-mb')!] : [])], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child ${mode} ${count} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function shell(cmd: string): number {
  const t0 = performance.now();
  execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
}

function vectorEncoding(): string {
  const n = 2000;
  const vecs = Array.from({ length: n }, (_, i) => decodeF32((syntheticPoint(i, DIM, 3).vectors['']! as { dense: string }).dense));
  const time = (f: () => void) => {
    f();
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) f();
    return (performance.now() - t0) / 3;
  };
  let b64 = '';
  let json = '';
  const encB64 = time(() => (b64 = vecs.map((v) => Buffer.from(v.buffer).toString('base64')).join('\n')));
  const encJson = time(() => (json = vecs.map((v) => JSON.stringify(Array.from(v))).join('\n')));
  const decB64 = time(() => b64.split('\n').forEach((s) => decodeF32(s)));
  const decJson = time(() => json.split('\n').forEach((s) => Float32Array.from(JSON.parse(s) as number[])));
  const exactJson = vecs.every((v, i) => {
    const back = Float32Array.from(JSON.parse(json.split('\n')[i]!) as number[]);
    return back.every((x, j) => Object.is(x, v[j]));
  });
  const gzB64 = gzipSync(b64, { level: 1 }).length;
  const gzJson = gzipSync(json, { level: 1 }).length;
  gunzipSync(gzipSync('x'));
  const negZero = JSON.stringify(Array.from(new Float32Array([-0])));
  return [
    `| encoding (${n} × ${DIM}-dim float32) | raw bytes | gzip -1 bytes | encode ms | decode ms | bit-exact |`,
    '|---|---:|---:|---:|---:|---|',
    `| base64 of little-endian float32 | ${b64.length.toLocaleString('en-US')} | ${gzB64.toLocaleString('en-US')} | ${encB64.toFixed(1)} | ${decB64.toFixed(1)} | yes, every bit pattern |`,
    `| JSON numbers (shortest double of each float32) | ${json.length.toLocaleString('en-US')} | ${gzJson.toLocaleString('en-US')} | ${encJson.toFixed(1)} | ${decJson.toFixed(1)} | ${exactJson ? 'values yes' : 'no'}; -0 → \`${negZero}\`, NaN → null |`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (arg('child')) return child(arg('child')!, Number(arg('count')), arg('dir')!);
  const counts = (arg('counts') ?? (args.includes('--full') ? '10000,100000,1000000' : '10000,100000')).split(',').map(Number);
  const dir = path.resolve(arg('out') ?? path.join(path.dirname(SELF), 'out'));
  await mkdir(dir, { recursive: true });
  const rows: string[] = [];
  const rss: Record<string, number[]> = { encode: [], decode: [] };
  const heap: string[] = [];
  for (const count of counts) {
    runChild('ndjson', count, dir);
    const ndjson = path.join(dir, `bench-${count}.ndjson`);
    const archive = path.join(dir, `bench-${count}.memarc`);
    const rawBytes = (await stat(ndjson)).size;
    const baseEnc = shell(`gzip -1 -c '${ndjson}' | sha256sum`);
    const enc = runChild('encode', count, dir);
    const shardsDir = path.join(dir, `x-${count}`);
    await mkdir(shardsDir, { recursive: true });
    execFileSync('tar', ['--warning=no-unknown-keyword', '-xf', archive, '-C', shardsDir]);
    const baseDec = shell(`cat '${shardsDir}'/data/*/*.gz | gzip -dc | sha256sum`);
    const dec = runChild('decode', count, dir);
    const archiveBytes = (await stat(archive)).size;
    const mbps = (b: number, s: number) => (b / 1048576 / s).toFixed(0);
    rows.push(`| ${count.toLocaleString('en-US')} | ${(rawBytes / 1048576).toFixed(0)} MiB → ${(archiveBytes / 1048576).toFixed(0)} MiB | encode | ${enc.secs.toFixed(2)} s, ${mbps(rawBytes, enc.secs)} MiB/s | \`gzip -1 \\| sha256sum\` ${baseEnc.toFixed(2)} s | **${(baseEnc / enc.secs).toFixed(2)}×** | ${(enc.maxRssKiB / 1024).toFixed(0)} MiB |`);
    rows.push(`| | | decode + verify | ${dec.secs.toFixed(2)} s, ${mbps(rawBytes, dec.secs)} MiB/s | \`gzip -dc \\| sha256sum\` ${baseDec.toFixed(2)} s | **${(baseDec / dec.secs).toFixed(2)}×** (vs encode baseline ${(baseEnc / dec.secs).toFixed(2)}×) | ${(dec.maxRssKiB / 1024).toFixed(0)} MiB |`);
    rss.encode!.push(enc.maxRssKiB);
    rss.decode!.push(dec.maxRssKiB);
    heap.push(`${count.toLocaleString('en-US')}: encode heap ≤ ${enc.maxHeapMiB} MiB, external ≤ ${enc.maxExternalMiB} MiB; decode heap ≤ ${dec.maxHeapMiB} MiB, external ≤ ${dec.maxExternalMiB} MiB`);
    await rm(shardsDir, { recursive: true, force: true });
    await rm(ndjson, { force: true });
    await rm(archive, { force: true });
  }
  const flat = (xs: number[]) => ((xs[xs.length - 1]! / xs[0]! - 1) * 100).toFixed(1);
  const report = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}/${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores, V8 flags: ${childFlags.join(' ') || '(defaults)'}.`,
    'Ratio = baseline time / memarc time (above 1: memarc is faster than the baseline).',
    '',
    '| memories | NDJSON → archive | step | memarc | baseline (same bytes, same run) | ratio | peak RSS |',
    '|---:|---|---|---|---|---|---:|',
    ...rows,
    '',
    `Peak RSS growth from ${counts[0]!.toLocaleString('en-US')} to ${counts[counts.length - 1]!.toLocaleString('en-US')} memories: encode ${flat(rss.encode!)}%, decode ${flat(rss.decode!)}% (target: within about 15%).`,
    '',
    `Largest V8 heap and external memory sampled (every 100 ms): ${heap.join('; ')}.`,
    '',
    '### Vector encoding',
    '',
    vectorEncoding(),
  ].join('\n');
  console.log(report);
  await writeFile(path.join(dir, 'format.md'), report + '\n');
}

await main();
