/**
 * One neo4j-driver Driver per server, with a deadline on everything: connecting and acquiring a
 * connection (`timeoutMs`), every transaction (a server-side transaction timeout), and, for the
 * streamed export, the wait for the next record (source.ts). Errors are classified by the
 * driver's `code` (Neo.ClientError.Security.*, ServiceUnavailable, …), never by message text,
 * and every message that leaves this module has the URL's and the password's text removed.
 */
import type { Driver, Record as NeoRecord, Session } from 'neo4j-driver';
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
    await this.preflight(what);
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
      // The driver's connectionTimeout covers the TCP connect, not a server that accepts and then
      // says nothing: the handshake gets the deadline too.
      const d = this.driver;
      await this.guard(d.verifyConnectivity({ database: this.database }), this.timeoutMs, what, () => void d.close().catch(() => {}));
    } catch (err) {
      const e = this.wrap(err, what);
      await this.close();
      throw e;
    }
  }

  /**
   * A Bolt handshake on a socket of our own, within the deadline, before the driver connects: a
   * server that accepts connections and then says nothing would leave the driver's socket open
   * (and the process alive) after its acquisition timeout, with no way to close it from outside.
   */
  private async preflight(what: string): Promise<void> {
    const u = new URL(this.conn.url);
    const scheme = u.protocol.slice(0, -1);
    const port = Number(u.port || 7687);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const net = await import('node:net');
    const tls = await import('node:tls');
    await new Promise<void>((resolve, reject) => {
      const secure = scheme.endsWith('+s') || scheme.endsWith('+ssc');
      const sock = secure ? tls.connect({ host, port, servername: host, rejectUnauthorized: scheme.endsWith('+s') }) : net.connect({ host, port });
      const fail = (why: string) => {
        sock.destroy();
        reject(new MemarcError('CONNECTION_FAILED', `${what}: cannot reach the Neo4j server at ${this.redactedUrl}: ${why}`, { hint: `check the address and that the server runs; --neo4j-timeout sets the deadline (${this.timeoutMs / 1000} s)` }));
      };
      const timer = setTimeout(() => fail(`no Bolt handshake within ${this.timeoutMs / 1000} s`), this.timeoutMs);
      let got = Buffer.alloc(0);
      sock.once(secure ? 'secureConnect' : 'connect', () => {
        // The Bolt preamble and four version proposals (5.x down to 3.0).
        sock.write(Buffer.from([0x60, 0x60, 0xb0, 0x17, 0, 8, 8, 5, 0, 0, 4, 4, 0, 0, 0, 4, 0, 0, 0, 3]));
      });
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4) {
          clearTimeout(timer);
          sock.destroy();
          resolve();
        }
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(e.code ?? 'connection error');
      });
      sock.on('close', () => {
        clearTimeout(timer);
        if (got.length < 4) fail('the connection was closed during the Bolt handshake');
      });
    });
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
        // The server ends the transaction at the deadline; the client gives it a little longer
        // (a lost connection or a frozen server never answers at all).
        const r = await this.guard(tx.run(query, params), this.timeoutMs + 5_000, what, () => void s.close().catch(() => {}));
        await this.guard(tx.commit(), this.timeoutMs + 5_000, what, () => void s.close().catch(() => {}));
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

  /** `p`, or CONNECTION_FAILED after `ms` (then `onTimeout` drops what waits). */
  async guard<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new MemarcError('CONNECTION_FAILED', `${what}: the server at ${this.redactedUrl} did not answer within ${Math.round(ms / 1000)} s`, { hint: 'check the server and the network; --neo4j-timeout sets the deadline' }));
      }, ms);
    });
    p.catch(() => {}); // a rejection after the deadline is not an unhandled one
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The records of a streamed result, failing with CONNECTION_FAILED when none arrives for the
   * deadline (the stream's own pace is the consumer's: the wait is only for the server).
   */
  async *records(result: AsyncIterable<NeoRecord>, what: string, onTimeout: () => void): AsyncGenerator<NeoRecord> {
    const it = result[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.guard(it.next(), this.timeoutMs, what, onTimeout);
      if (next.done) return;
      yield next.value;
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
    // The driver's own failures (no Neo.* code: a pool that could not get a connection, a socket
    // error) are the connection's, as are the server's unavailability codes.
    if (!code.startsWith('Neo.') || code === 'ServiceUnavailable' || code === 'SessionExpired' || code === 'Neo.TransientError.General.DatabaseUnavailable' || code === 'Neo.ClientError.Transaction.TransactionTimedOut' || code === 'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration') {
      return new MemarcError('CONNECTION_FAILED', msg, { hint: `the server at ${this.redactedUrl} did not answer within the deadline (${this.timeoutMs / 1000} s)`, cause: err });
    }
    if (code === 'Neo.ClientError.Database.DatabaseNotFound') return new MemarcError('NOT_FOUND', msg, { cause: err });
    const retriable = code.startsWith('Neo.TransientError.');
    return new MemarcError('STORE_ERROR', msg, { cause: err, context: { neo4jCode: code, ...(retriable ? { retriable: true } : {}) } });
  }

  /** Closes the driver; a server that never answers cannot hold the close up past the deadline. */
  async close(): Promise<void> {
    const d = this.driver;
    this.driver = null;
    if (!d) return;
    await this.guard(d.close(), Math.min(this.timeoutMs, 5_000), 'closing the connection', () => {}).catch(() => {});
  }
}
