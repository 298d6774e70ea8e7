/**
 * S3 transport benchmark: peak memory and throughput of uploading and downloading an
 * archive-sized stream through a local MinIO, against writing the same bytes to a local file in
 * the same run.
 *
 *   node bench/s3.bench.ts [--size-gb 2] [--small-mb 256] [--part-mb 8] [--queue 4]
 *
 * Bytes are pseudo-random (AES-CTR keystream, incompressible like gzip shards), generated on the
 * fly and never kept. Each phase runs in its own child process so its peak RSS (getrusage
 * maxrss) is its own; "idle RSS" is the same child after loading the code, before any transfer.
 * Every phase hashes what it moves (SHA-256) and the download must match the upload. The MinIO
 * server runs on the same machine and shares its CPUs; its memory is not counted.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { openInput, openOutput } from '../src/transport/index.ts';
import { startMinio } from '../test/helpers/minio.ts';
import { pseudoRandom } from '../test/transport/fixtures.ts';
import { peakRssKiB } from './peak.ts';

const MIB = 1024 * 1024;
const SELF = fileURLToPath(import.meta.url);

interface PhaseResult {
  phase: string;
  bytes: number;
  seconds: number;
  idleRssMiB: number;
  peakRssMiB: number;
  sha256: string;
}


function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

/** One phase, in a child process: prints a PhaseResult as JSON. */
async function runPhase(phase: string, env: NodeJS.ProcessEnv): Promise<void> {
  const bytes = Number(env.BENCH_BYTES);
  const s3 = {
    endpoint: env.BENCH_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: env.BENCH_ACCESS as string, secretAccessKey: env.BENCH_SECRET as string },
    partSize: Number(env.BENCH_PART_MB) * MIB,
    queueSize: Number(env.BENCH_QUEUE),
  };
  const target = env.BENCH_TARGET as string;
  const idle = process.memoryUsage.rss();
  const hash = createHash('sha256');
  let moved = bytes;
  const t0 = performance.now();
  if (phase === 'file') {
    await pipeline(pseudoRandom('s3-bench', bytes, MIB), hashing(hash), createWriteStream(target));
  } else if (phase === 'upload') {
    const out = await openOutput(target, { s3, force: true });
    await pipeline(pseudoRandom('s3-bench', bytes, MIB), hashing(hash), out.stream);
    await out.commit();
  } else {
    moved = 0;
    const input = await openInput(target, { s3 });
    for await (const chunk of input) {
      hash.update(chunk as Buffer);
      moved += (chunk as Buffer).length;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: PhaseResult = {
    phase,
    bytes: moved,
    seconds,
    idleRssMiB: idle / MIB,
    peakRssMiB: peakRssKiB() / 1024,
    sha256: hash.digest('hex'),
  };
  process.stdout.write(JSON.stringify(result));
}

function child(phase: string, env: Record<string, string>): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SELF, '--phase', phase], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as PhaseResult) : reject(new Error(`phase ${phase} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      phase: { type: 'string' },
      'size-gb': { type: 'string', default: '2' },
      'small-mb': { type: 'string', default: '256' },
      'part-mb': { type: 'string', default: '8' },
      queue: { type: 'string', default: '4' },
    },
  });
  if (values.phase) return runPhase(values.phase, process.env);

  const sizes = [Number(values['small-mb']) * MIB, Math.round(Number(values['size-gb']) * 1024 * MIB)];
  const minio = await startMinio();
  const bucket = await minio.bucket('bench');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-bench-'));
  const rows: string[] = [];
  try {
    for (const bytes of sizes) {
      const key = `bench-${bytes}.memarc`;
      const common = {
        BENCH_BYTES: String(bytes),
        BENCH_ENDPOINT: minio.endpoint,
        BENCH_ACCESS: minio.accessKey,
        BENCH_SECRET: minio.secretKey,
        BENCH_PART_MB: String(values['part-mb']),
        BENCH_QUEUE: String(values.queue),
      };
      const file = await child('file', { ...common, BENCH_TARGET: path.join(dir, 'baseline.bin') });
      await rm(path.join(dir, 'baseline.bin'), { force: true });
      const up = await child('upload', { ...common, BENCH_TARGET: `s3://${bucket}/${key}` });
      const down = await child('download', { ...common, BENCH_TARGET: `s3://${bucket}/${key}` });
      await minio.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      if (up.sha256 !== file.sha256 || down.sha256 !== up.sha256 || down.bytes !== bytes) throw new Error('bytes differ between phases');
      for (const r of [file, up, down]) {
        const mbps = r.bytes / MIB / r.seconds;
        const label = r.phase === 'file' ? 'local file (baseline)' : r.phase === 'upload' ? 'S3 upload' : 'S3 download';
        rows.push(`| ${(bytes / MIB).toFixed(0)} MiB | ${label} | ${r.seconds.toFixed(1)} s | ${mbps.toFixed(0)} MiB/s | ${(r.bytes / MIB / file.seconds / mbps).toFixed(2)}× | ${r.idleRssMiB.toFixed(0)} MiB | ${r.peakRssMiB.toFixed(0)} MiB |`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await minio.stop();
  }
  console.log(`S3 transport, part ${values['part-mb']} MiB (size unknown to the uploader), queue ${values.queue}; ${os.cpus().length} CPUs shared with MinIO; Node ${process.version}\n`);
  console.log('| size | phase | time | throughput | slower than file | idle RSS | peak RSS |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

await main();
