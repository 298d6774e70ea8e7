/**
 * A throwaway MinIO server for S3 tests and benchmarks: 127.0.0.1, a free port, a temporary data
 * directory, fixed root credentials. `stop()` in afterAll. `kill()` simulates a crash (SIGKILL)
 * or an orderly stop (SIGTERM) and `restart()` brings the same server back on the same port and data, so tests can check what
 * survived. The binary comes from MINIO_BIN, $(go env GOPATH)/bin or PATH (scripts/setup-minio.sh).
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface Minio {
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  region: string;
  /** A client for the test's own checks. */
  client: S3Client;
  /** Creates the bucket (idempotent) and returns its name. */
  bucket(name: string): Promise<string>;
  /** SIGTERM, wait, delete the data directory. */
  stop(): Promise<void>;
  /**
   * Stop the server but keep its data directory (for restart()). SIGKILL (default) is a crash:
   * MinIO may then drop a multipart upload whose part was being written. SIGTERM is an orderly
   * stop that finishes requests in progress.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
}

export function minioBinary(): string {
  if (process.env.MINIO_BIN) return process.env.MINIO_BIN;
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    const p = path.join(gopath, 'bin', 'minio');
    if (existsSync(p)) return p;
  } catch {
    // no Go: fall back to PATH
  }
  return 'minio';
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

async function waitLive(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}: ${log()}`);
    try {
      // live: the HTTP server answers; cluster: the object layer is initialised (write quorum).
      const live = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1000) });
      if (live.ok) {
        const cluster = await fetch(`${endpoint}/minio/health/cluster`, { signal: AbortSignal.timeout(1000) });
        if (cluster.ok) return;
      }
    } catch {
      // not up yet
    }
    await delay(100);
  }
  throw new Error(`minio did not become live at ${endpoint} within 30 s: ${log()}`);
}

export async function startMinio(): Promise<Minio> {
  const bin = minioBinary();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'memarc-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = 'memarc-test';
  const secretKey = 'memarc-test-secret-4c1d';
  const region = 'us-east-1';
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(bin, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
      env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off',
        // A static KMS key so SSE-S3 (AES256) and SSE-KMS requests can be tested.
        MINIO_KMS_SECRET_KEY: `memarc-test-key:${Buffer.alloc(32, 7).toString('base64')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000); });
    proc.stderr?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-4000); });
    proc.on('error', (err) => { output += `\nspawn ${bin}: ${err.message} (run scripts/setup-minio.sh)`; });
    child = proc;
    await waitLive(endpoint, proc, () => output);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });

  return {
    endpoint,
    port,
    accessKey,
    secretKey,
    region,
    client,
    async bucket(name) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } catch (err) {
        const n = (err as Error).name;
        if (n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists') throw err;
      }
      return name;
    },
    async stop() {
      client.destroy();
      await halt('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
    async kill(signal = 'SIGKILL') {
      await halt(signal);
    },
    async restart() {
      await halt('SIGTERM');
      await launch();
    },
  };
}
