/**
 * One neo4j-driver Driver per server, with a deadline on everything: connecting and acquiring a
 * connection (`timeoutMs`), every transaction (a server-side transaction timeout), and, for the
 * streamed export, the wait for the next record (source.ts). Errors are classified by the
 * driver's `code` (Neo.ClientError.Security.*, ServiceUnavailable, …), never by message text,
 * and every message that leaves this module has the URL's and the password's text removed.
 */
import type { Driver, Session } from 'neo4j-driver';
import { redactText, redactUrl } from '../../core/redact.ts';
import { MemarcError, isMemarcError } from '../../errors.ts';

export interface Neo4jConnection {
  /** neo4j://, neo4j+s://, neo4j+ssc://, bolt://, bolt+s:// or bolt+ssc:// */
  url: string;
  username?: string;
  password?: string;
  /** The database to use; absent: the server's default database. */
  database?: string;
  /** Deadline of connecting, acquiring a connection, and each transaction, in ms (default 60,000). */
  timeoutMs?: number;
}

const SCHEMES = ['neo4j', 'neo4j+s', 'neo4j+ssc', 'bolt', 'bolt+s', 'bolt+ssc'];

export class Neo4jClient {
  readonly timeoutMs: number;
  readonly redactedUrl: string;
  readonly database: string | undefined;
  private readonly conn: Neo4jConnection;
  private driver: Driver | null = null;

  constructor(conn: Neo4jConnection) {
    this.conn = conn;
    this.timeoutMs = conn.timeoutMs ?? 60_000;
    this.database = conn.database;
    let u: URL;
    try {
      u = new URL(conn.url);
    } catch {
      throw new MemarcError('USAGE', `not a valid Neo4j URI: ${redactUrl(conn.url)}`, { hint: 'use neo4j://host:7687 or bolt://host:7687' });
    }
    if (!SCHEMES.includes(u.protocol.slice(0, -1))) throw new MemarcError('USAGE', `not a Neo4j URI: ${redactUrl(conn.url)}`, { hint: `the scheme must be one of ${SCHEMES.join(', ')}` });
    this.redactedUrl = redactUrl(conn.url);
  }

  /** Credentials: the URI's user part wins over NEO4J_USERNAME / NEO4J_PASSWORD (given as options). */
  private auth(): { user: string; password: string } | null {
    const u = new URL(this.conn.url);
    const user = u.username ? decodeURIComponent(u.username) : this.conn.username;
    const password = u.password ? decodeURIComponent(u.password) : this.conn.password;
    return user || password ? { user: user ?? 'neo4j', password: password ?? '' } : null;
  }

  private secrets(): string[] {
    const a = this.auth();
    return [a?.password, this.conn.password].filter((s): s is string => !!s);
  }

  async connect(what: string): Promise<void> {
    if (this.driver) return;
    const neo4j = (await import('neo4j-driver')).default;
    const u = new URL(this.conn.url);
    u.username = '';
    u.password = '';
    const a = this.auth();
    this.driver = neo4j.driver(u.toString().replace(/\/$/, ''), a ? neo4j.auth.basic(a.user, a.password) : undefined, {
      useBigInt: true,
      connectionTimeout: this.timeoutMs,
      connectionAcquisitionTimeout: this.timeoutMs,
      maxTransactionRetryTime: 0,
      maxConnectionPoolSize: 4,
      // The driver's own logging would print queries and URIs: off.
      logging: { level: 'error', logger: () => {} },
    });
    try {
      await this.driver.verifyConnectivity({ database: this.database });
    } catch (err) {
      const e = this.wrap(err, what);
      await this.close();
      throw e;
    }
  }

  session(mode: 'READ' | 'WRITE', fetchSize?: number): Session {
    if (!this.driver) throw new MemarcError('INTERNAL', 'Neo4j client used before connect()');
    return this.driver.session({ defaultAccessMode: mode, ...(this.database ? { database: this.database } : {}), ...(fetchSize ? { fetchSize } : {}) });
  }

  /** One query in its own transaction with the deadline; the records, as plain objects. */
  async run(mode: 'READ' | 'WRITE', query: string, params: Record<string, unknown> = {}, what = 'Neo4j'): Promise<Array<Record<string, unknown>>> {
    const s = this.session(mode);
    try {
      const tx = s.beginTransaction({ timeout: this.timeoutMs });
      try {
        const r = await tx.run(query, params);
        await tx.commit();
        return r.records.map((x) => x.toObject() as Record<string, unknown>);
      } catch (err) {
        await tx.rollback().catch(() => {});
        throw err;
      }
    } catch (err) {
      throw this.wrap(err, what);
    } finally {
      await s.close().catch(() => {});
    }
  }

  async serverVersion(): Promise<{ version: string; edition: string }> {
    const [r] = await this.run('READ', 'CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition');
    return { version: String(r?.version ?? ''), edition: String(r?.edition ?? '') };
  }

  /** The name of the database the session uses (the server's default when none was given). */
  async databaseName(): Promise<string> {
    if (this.database) return this.database;
    const [r] = await this.run('READ', 'CALL db.info() YIELD name RETURN name');
    return String(r?.name ?? 'neo4j');
  }

  /** A driver error as a MemarcError, by its code; credentials never appear in the message. */
  wrap(err: unknown, what: string): MemarcError {
    if (isMemarcError(err)) return err;
    const e = err as { code?: string; message?: string; gqlStatus?: string };
    const code = e.code ?? '';
    const msg = redactText(`${what}: ${e.message ?? String(err)}`, this.secrets()).replaceAll(this.conn.url, this.redactedUrl);
    if (code === 'Neo.ClientError.Security.Unauthorized' || code === 'Neo.ClientError.Security.AuthenticationRateLimit' || code.startsWith('Neo.ClientError.Security.')) {
      return new MemarcError('AUTH_FAILED', msg, { hint: 'check NEO4J_USERNAME and NEO4J_PASSWORD (or the user part of the URI)', cause: err });
    }
    if (code === 'ServiceUnavailable' || code === 'SessionExpired' || code === 'Neo.TransientError.General.DatabaseUnavailable' || code === 'Neo.ClientError.Transaction.TransactionTimedOut' || code === 'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration') {
      return new MemarcError('CONNECTION_FAILED', msg, { hint: `the server at ${this.redactedUrl} did not answer within the deadline (${this.timeoutMs / 1000} s)`, cause: err });
    }
    if (code === 'Neo.ClientError.Database.DatabaseNotFound') return new MemarcError('NOT_FOUND', msg, { cause: err });
    const retriable = code.startsWith('Neo.TransientError.');
    return new MemarcError('STORE_ERROR', msg, { cause: err, context: { neo4jCode: code, ...(retriable ? { retriable: true } : {}) } });
  }

  async close(): Promise<void> {
    const d = this.driver;
    this.driver = null;
    await d?.close().catch(() => {});
  }
}
