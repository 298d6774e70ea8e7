/**
 * The Neo4j server of the tests: Neo4j 5.26 Community, run in-process by the small Java launcher
 * that scripts/setup-neo4j.sh builds (test/neo4j-launcher/), on 127.0.0.1 and a free port, with
 * auth on. Starting it takes 8 to 36 s, so a test run starts it at most ONCE, and only when a test
 * asks for it: the vitest globalSetup (neo4j-global.ts) runs a tiny control endpoint on loopback,
 * and the first `neo4jTarget()` of any test file asks it to start the server; the same server
 * serves every later file, and is stopped when the run ends. Tests isolate themselves on the one
 * database with graph labels of their own (the adapter's labelled graphs, a tag in every name).
 *
 * With NEO4J_URI, NEO4J_USERNAME and NEO4J_PASSWORD set, the tests use that server instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from './ports.ts';

export const NEO4J_VERSION = '5.26.30'; // keep in step with scripts/setup-neo4j.sh

export interface Neo4jTarget {
  /** bolt://127.0.0.1:PORT, without credentials. */
  uri: string;
  username: string;
  password: string;
  /** The URI with the credentials in its user part (for CLI children). */
  uriWithAuth: string;
  /** True when NEO4J_URI named a server of the user's. */
  external: boolean;
}

export interface Neo4jServer extends Neo4jTarget {
  stop(): Promise<void>;
}

function installDir(): string {
  return path.join(process.env.MEMARC_SERVERS_DIR ?? path.join(os.homedir(), '.cache', 'memarc-servers'), `neo4j-${NEO4J_VERSION}`);
}

function withAuth(uri: string, user: string, password: string): string {
  const u = new URL(uri);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString().replace(/\/$/, '');
}

/** Starts a fresh server (empty database) and resolves once it accepts Bolt connections. */
export async function startNeo4j(opts: { startTimeoutMs?: number } = {}): Promise<Neo4jServer> {
  const dir = installDir();
  if (!existsSync(path.join(dir, 'classes', 'Neo4jLauncher.class'))) {
    throw new Error(`Neo4j is not installed in ${dir}: run \`bash scripts/setup-neo4j.sh\` (Java 17 and Maven), or set NEO4J_URI, NEO4J_USERNAME and NEO4J_PASSWORD`);
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'memarc-neo4j-'));
  const port = await freePort();
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const started = Date.now();
  // stdin stays a pipe: the launcher shuts down when it closes, so it never outlives the run.
  const child: ChildProcess = spawn('java', ['-XX:TieredStopAtLevel=1', '-Xmx512m', '-cp', `${dir}/lib/*:${dir}/classes`, 'Neo4jLauncher', home, String(port), password], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Neo4j did not start within ${(opts.startTimeoutMs ?? 120_000) / 1000} s; see ${home}/logs/debug.log`)), opts.startTimeoutMs ?? 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`READY ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Neo4j launcher exited (${code}) before it was ready: ${err}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
  const uri = `bolt://127.0.0.1:${port}`;
  process.stderr.write(`neo4j: Neo4j ${NEO4J_VERSION} ready on ${uri} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return {
    uri,
    username: 'neo4j',
    password,
    uriWithAuth: withAuth(uri, 'neo4j', password),
    external: false,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.stdin!.end(); // a clean shutdown (the launcher's shutdown hook)
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The server of NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD, when all three are set. */
export function externalNeo4j(env: NodeJS.ProcessEnv = process.env): Neo4jTarget | null {
  const { NEO4J_URI: uri, NEO4J_USERNAME: username, NEO4J_PASSWORD: password } = env;
  if (!uri || !username || !password) return null;
  return { uri, username, password, uriWithAuth: withAuth(uri, username, password), external: true };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The loopback endpoint of neo4j-global.ts that starts the run's Neo4j server on demand. */
    neo4jControl: string;
  }
}

/**
 * The Neo4j server a test uses: NEO4J_URI's, else the run's shared server, started on the first
 * call of the run (by neo4j-global.ts, through its control endpoint).
 */
export async function neo4jTarget(): Promise<Neo4jTarget> {
  const ext = externalNeo4j();
  if (ext) return ext;
  const control = inject('neo4jControl');
  if (!control) throw new Error('the Neo4j control endpoint is missing: is test/helpers/neo4j-global.ts in vitest.config.ts globalSetup?');
  const res = await fetch(`${control}/start`, { method: 'POST', signal: AbortSignal.timeout(180_000) });
  const body = (await res.json()) as Neo4jTarget | { error: string };
  if ('error' in body) throw new Error(body.error);
  return body;
}

/** A label no other test run uses, so that tests sharing one server do not collide. */
export function uniqueGraph(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
