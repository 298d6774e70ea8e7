/**
 * Connections to a Postgres server: where (a postgres:// URL, else DATABASE_URL, else the libpq
 * variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), with a deadline on everything, and
 * with errors classified by their SQLSTATE or socket code, never by message text.
 *
 * The password is passed to the client as a parameter and never written anywhere: the URL that
 * reaches an archive, a log or an error is redacted (src/core/redact.ts), and every error message
 * from the client goes through redactText with the password.
 *
 * memarc's own query parameters of the URL (`table`, `id`, `vectors`, `payload`, `payload_json`, `distance`:
 * vectors.ts) are taken off before the URL reaches the client.
 */
import os from 'node:os';
import type pg from 'pg';
import { redactText, redactUrl } from '../../core/redact.ts';
import { MemarcError } from '../../errors.ts';

/** Query parameters of a postgres:// URL that memarc reads itself (vectors.ts). */
export const MEMARC_PARAMS = ['table', 'id', 'vectors', 'payload', 'payload_json', 'distance'] as const;

export interface PgEndpoint {
  /** For the client: host, port, user, database, password, or a connection string. */
  config: pg.ClientConfig;
  /** For archives, logs and errors: no password. */
  safeUrl: string;
  /** memarc's parameters of the URL (table, id, vectors, payload, distance). */
  params: Record<string, string>;
  password?: string;
  /** Deadline of every statement and of connecting, in milliseconds. */
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The endpoint of a URL, else of the environment. `side` picks MEMARC_FROM_PGPASSWORD or
 * MEMARC_TO_PGPASSWORD (migrate), each falling back to PGPASSWORD, when the URL has no password.
 */
export function endpointOf(url: string | undefined, env: Readonly<Record<string, string | undefined>>, opts: { side?: 'from' | 'to'; timeoutMs?: number } = {}): PgEndpoint {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const envPassword = (opts.side ? env[`MEMARC_${opts.side.toUpperCase()}_PGPASSWORD`] : undefined) || env.PGPASSWORD || undefined;
  const raw = url ?? env.DATABASE_URL;
  if (raw) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new MemarcError('USAGE', `not a postgres:// URL: ${redactUrl(raw)}`, { hint: 'write postgres://user@host:5432/database (the password comes from PGPASSWORD)' });
    }
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
      throw new MemarcError('USAGE', `not a postgres:// URL: ${redactUrl(raw)}`, { hint: 'write postgres://user@host:5432/database' });
    }
    const params: Record<string, string> = {};
    for (const k of MEMARC_PARAMS) {
      const v = u.searchParams.get(k);
      if (v !== null) params[k] = v;
      u.searchParams.delete(k);
    }
    const password = u.password ? decodeURIComponent(u.password) : envPassword;
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || env.PGDATABASE || undefined;
    const user = decodeURIComponent(u.username) || env.PGUSER || os.userInfo().username;
    const config: pg.ClientConfig = {
      host: u.hostname.replace(/^\[|\]$/g, '') || env.PGHOST || 'localhost',
      port: u.port ? Number(u.port) : env.PGPORT ? Number(env.PGPORT) : 5432,
      user,
      ...(database ? { database } : {}),
      ...(password ? { password } : {}),
    };
    const host = u.searchParams.get('host');
    if (host) config.host = host; // a unix socket directory, libpq style
    const sslmode = u.searchParams.get('sslmode');
    if (sslmode && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer') config.ssl = sslmode === 'require' ? { rejectUnauthorized: false } : true;
    const safe = new URL(u.toString());
    safe.password = '';
    return { config, safeUrl: redactUrl(safe.toString()), params, ...(password ? { password } : {}), timeoutMs };
  }
  const host = env.PGHOST || 'localhost';
  const port = env.PGPORT ? Number(env.PGPORT) : 5432;
  const user = env.PGUSER || os.userInfo().username;
  const database = env.PGDATABASE || user;
  const config: pg.ClientConfig = { host, port, user, database, ...(envPassword ? { password: envPassword } : {}) };
  const shownHost = host.startsWith('/') ? `localhost?host=${encodeURIComponent(host)}` : `${host}:${port}`;
  return { config, safeUrl: `postgres://${encodeURIComponent(user)}@${shownHost.includes('?') ? shownHost.replace('?', `/${encodeURIComponent(database)}?`) : `${shownHost}/${encodeURIComponent(database)}`}`, params: {}, ...(envPassword ? { password: envPassword } : {}), timeoutMs };
}

/** SQLSTATE classes and codes (PostgreSQL docs, Appendix A) mapped to memarc's error codes. */
function codeOf(err: { code?: string }): 'AUTH_FAILED' | 'CONNECTION_FAILED' | 'NOT_FOUND' | 'STORE_ERROR' | 'INTERRUPTED' {
  const c = err.code ?? '';
  if (c === '28P01' || c === '28000') return 'AUTH_FAILED';
  if (c === '3D000' || c === '42P01' || c === '3F000') return 'NOT_FOUND';
  if (c.startsWith('08') || c === '57P01' || c === '57P02' || c === '57P03' || c === '53300') return 'CONNECTION_FAILED';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH'].includes(c)) return 'CONNECTION_FAILED';
  return 'STORE_ERROR';
}

/** A client error as a MemarcError, with the password taken out of its message. */
export function pgError(ep: Pick<PgEndpoint, 'safeUrl' | 'password'>, what: string, err: unknown): MemarcError {
  if (err instanceof MemarcError) return err;
  const e = err as { code?: string; message?: string; detail?: string };
  const code = codeOf(e);
  // pg's own deadlines carry no code: a query read timeout or a connection timeout.
  const timedOut = !e.code && /timeout/i.test(e.message ?? '');
  const message = redactText(`${what} on Postgres at ${ep.safeUrl}: ${e.message ?? String(err)}${e.detail ? ` (${e.detail})` : ''}`, [ep.password]);
  const hint = code === 'AUTH_FAILED'
    ? 'check the user and PGPASSWORD (or MEMARC_FROM_PGPASSWORD / MEMARC_TO_PGPASSWORD for migrate)'
    : code === 'CONNECTION_FAILED' || timedOut
      ? 'check that the server is up and reachable; --pg-timeout sets the deadline of every statement'
      : e.code === '57014'
        ? 'a statement ran past its deadline (--pg-timeout, default 60 s)'
        : undefined;
  return new MemarcError(timedOut ? 'CONNECTION_FAILED' : code, message, { ...(hint ? { hint } : {}), cause: err, context: { ...(e.code ? { sqlstate: e.code } : {}) } });
}

/**
 * A connected client with deadlines: connecting, every statement (statement_timeout on the
 * server and query_timeout in the client, a little later), waiting for a lock, and a transaction
 * left idle. TCP keepalive notices a server that went away silently.
 */
export async function connect(ep: PgEndpoint, applicationName = 'memarc'): Promise<pg.Client> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({
    ...ep.config,
    connectionTimeoutMillis: ep.timeoutMs,
    statement_timeout: ep.timeoutMs,
    lock_timeout: ep.timeoutMs,
    idle_in_transaction_session_timeout: Math.max(ep.timeoutMs * 5, 300_000),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: applicationName,
  });
  // A connection lost between statements is reported by the next statement; this keeps it from crashing the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw pgError(ep, 'connecting', err);
  }
  return client;
}

/** A statement with the endpoint's client-side deadline, its errors classified. */
export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * The client's queries with a deadline in the client too (a frozen server never answers its own
 * statement_timeout). Not set on the client itself: pg applies a client-wide query_timeout to COPY
 * streams as well, which must run longer (copy-out.ts, copy-in.ts have their own stall deadline).
 *
 * Always the extended query protocol, which runs exactly one statement: a restore builds its DDL
 * from the archive's native configuration (types, defaults, constraint and index definitions),
 * and a hostile archive must not smuggle a second statement behind a `;`.
 */
export function querier(client: pg.Client, ep: PgEndpoint, what: string): Query {
  return async (text, values) => {
    try {
      return await client.query({ text, values: values ?? [], queryMode: 'extended', query_timeout: ep.timeoutMs + 5_000 } as pg.QueryConfig);
    } catch (err) {
      throw pgError(ep, what, err);
    }
  };
}

/**
 * Ends a client within the deadline: a rollback of what it left open, then a clean goodbye, else
 * the socket is destroyed (a frozen server never answers either).
 */
export async function release(client: pg.Client, ep: PgEndpoint, rollback: boolean): Promise<void> {
  const bye = (async () => {
    if (rollback) await client.query({ text: 'ROLLBACK', query_timeout: ep.timeoutMs } as pg.QueryConfig).catch(() => {});
    await client.end();
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ep.timeoutMs + 5_000)));
  const r = await Promise.race([bye.then(() => 'done' as const, () => 'done' as const), late]);
  clearTimeout(timer);
  if (r === 'late') (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
}

/** A quoted identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A quoted schema-qualified name. */
export function qname(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A quoted string literal (standard_conforming_strings is on in every supported server). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
