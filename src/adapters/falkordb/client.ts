/**
 * One ioredis connection to FalkorDB, with every failure turned into a MemarcError that names
 * the graph and never the password. Integers arrive as strings (`stringNumbers`), so int64
 * values above 2^53 stay exact; compact replies are parsed by compact.ts.
 *
 * Deadlines: connecting and every command have a deadline (`timeoutMs`); a command that misses
 * it closes the connection and fails with CONNECTION_FAILED, so a frozen server (a deadlock, a
 * SIGSTOP, a half-open TCP connection) fails the run within the deadline instead of hanging it.
 * Every socket has TCP keepalive. The connection is never re-established and nothing is queued
 * or re-sent: a write whose reply was lost must not run twice (ioredis would re-send it after a
 * reconnect with its default `autoResendUnfulfilledCommands`), so a lost connection fails the
 * run, and cleanup opens a fresh connection (`fresh()`).
 */
import { Redis } from 'ioredis';
import { MemarcError } from '../../errors.ts';
import { redactText, redactUrl } from '../../core/redact.ts';
import { PageConnection } from './page-connection.ts';
import { cypherPrefix, type ParamValue } from './params.ts';

export type Reply = null | string | Reply[];

export interface CompactResult {
  header: string[];
  rows: Reply[][];
  stats: string[];
}

/** Page connections per client: the reader keeps two pages in flight (windows.ts). */
const MAX_PAGE_CONNECTIONS = 2;

/** Default deadline of a command or a connection attempt. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** TCP keepalive: first probe after this much idle time (the OS repeats probes after that). */
export const KEEPALIVE_MS = 10_000;

export interface ConnectionOptions {
  /** Deadline of every command and every connection attempt, in ms (default 60,000). */
  timeoutMs?: number;
}

export class FalkorClient {
  readonly redis: Redis;
  readonly url: string;
  private readonly secrets: string[];
  private lastEvent = '';
  /** The connections for page reads (page-connection.ts), opened as requests need them. */
  private pages: Array<Promise<PageConnection>> = [];
  private readonly pageLoad: number[] = [];

  readonly timeoutMs: number;

  constructor(url: string, opts: ConnectionOptions = {}) {
    this.url = url;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new MemarcError('USAGE', `a timeout must be a positive number of milliseconds, got ${opts.timeoutMs}`);
    let password: string | undefined;
    try {
      password = decodeURIComponent(new URL(url).password) || undefined;
    } catch {
      throw new MemarcError('USAGE', `not a valid FalkorDB URL: ${redactUrl(url)}`, { hint: 'use redis://[:password@]host:port' });
    }
    this.secrets = password ? [password, encodeURIComponent(password)] : [];
    this.redis = new Redis(url, {
      lazyConnect: true,
      stringNumbers: true,
      connectTimeout: this.timeoutMs,
      keepAlive: KEEPALIVE_MS,
      // Never reconnect, queue or re-send (see above): a lost connection fails the run.
      retryStrategy: () => null,
      autoResendUnfulfilledCommands: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    // Surfaced through the failing command instead; an AUTH refusal during connect only shows here.
    this.redis.on('error', (err: Error) => (this.lastEvent = err.message));
  }

  get redactedUrl(): string {
    return redactUrl(this.url);
  }

  async connect(what: string): Promise<void> {
    if (this.redis.status === 'ready') return;
    try {
      // The TCP connect has its own timeout; the handshake after it (ready check, AUTH) would
      // wait forever on a stopped server whose kernel still accepts connections.
      await this.deadline(this.redis.connect(), what, 'connect');
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  /** Turns a client or server failure into a MemarcError about `what` (e.g. `graph "g"`). */
  wrap(err: unknown, what: string): MemarcError {
    if (err instanceof MemarcError) return err;
    const raw = err instanceof Error ? err.message : String(err);
    const msg = redactText(raw, this.secrets);
    const at = this.redactedUrl;
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(`${raw} ${this.lastEvent}`)) {
      return new MemarcError('AUTH_FAILED', `FalkorDB at ${at} refused the credentials (${what})`, {
        hint: 'check the password in FALKORDB_URL or FALKORDB_PASSWORD',
        context: { dataset: what },
      });
    }
    const name = (err as { name?: string } | null)?.name;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (name !== 'ReplyError' && (code !== undefined || /connect|closed|ECONN|ETIMEDOUT|EPIPE|max retries|Stream isn't writeable|reached the max/i.test(raw))) {
      return new MemarcError('CONNECTION_FAILED', `cannot reach FalkorDB at ${at} (${what}): ${msg}`, {
        hint: 'check that the server is running and the host and port are right',
        cause: err,
        context: { dataset: what },
      });
    }
    return new MemarcError('STORE_ERROR', `FalkorDB rejected a request for ${what}: ${msg}`, {
      hint: 'see the server message; the target was not changed unless stated otherwise',
      cause: err,
      context: { dataset: what },
    });
  }

  async call(what: string, ...args: Array<string | number>): Promise<Reply> {
    try {
      return await this.deadline(this.redis.call(String(args[0]), ...args.slice(1).map(String)) as Promise<Reply>, what, String(args[0]));
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  /**
   * `p`, or CONNECTION_FAILED once `timeoutMs` passed without a reply. The connection is closed
   * then: a later reply must not be taken for the answer to another command.
   */
  private async deadline<T>(p: Promise<T>, what: string, command: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.redis.disconnect();
        reject(this.timeoutError(what, command));
      }, this.timeoutMs);
    });
    p.catch(() => {}); // a command cut off by the deadline rejects later; nobody waits for it
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  timeoutError(what: string, command: string): MemarcError {
    return new MemarcError('CONNECTION_FAILED', `FalkorDB at ${this.redactedUrl} did not answer ${command} within ${this.timeoutMs / 1000} s (${what})`, {
      hint: 'the server is frozen, overloaded or unreachable; check it, or raise the deadline with --timeout',
      context: { dataset: what },
    });
  }

  /** A new client to the same server with the same options (cleanup after a lost connection). */
  fresh(): FalkorClient {
    return new FalkorClient(this.url, { timeoutMs: this.timeoutMs });
  }

  get healthy(): boolean {
    return this.redis.status === 'ready';
  }

  /** GRAPH.QUERY (or GRAPH.RO_QUERY) with parameters in the CYPHER prefix, compact reply. */
  async query(graph: string, cypher: string, params: Record<string, ParamValue> = {}, readOnly = false): Promise<CompactResult> {
    return this.queryText(graph, cypherPrefix(params) + cypher, readOnly);
  }

  /** GRAPH.QUERY with a text made by prepareQuery (params.ts), compact reply. */
  async queryText(graph: string, text: string, readOnly = false): Promise<CompactResult> {
    const reply = await this.call(`graph "${graph}"`, readOnly ? 'GRAPH.RO_QUERY' : 'GRAPH.QUERY', graph, text, '--compact');
    return parseEnvelope(reply);
  }

  /**
   * GRAPH.RO_QUERY of one page of a read, compact reply, on the least busy of up to
   * `MAX_PAGE_CONNECTIONS` page connections: requests in flight at once run at once on the server.
   */
  async queryPage(graph: string, cypher: string, params: Record<string, ParamValue>): Promise<CompactResult> {
    let i = this.pageLoad.indexOf(0);
    if (i < 0 && this.pages.length < MAX_PAGE_CONNECTIONS) {
      i = this.pages.length;
      const c = new PageConnection(this.url, this.timeoutMs);
      this.pages.push(c.open().then(() => c));
      this.pageLoad.push(0);
    }
    if (i < 0) i = this.pageLoad.indexOf(Math.min(...this.pageLoad));
    this.pageLoad[i]!++;
    try {
      const pages = await this.pages[i]!;
      return parseEnvelope(await pages.call(['GRAPH.RO_QUERY', graph, cypherPrefix(params) + cypher, '--compact']));
    } catch (err) {
      throw this.wrap(err, `graph "${graph}"`);
    } finally {
      this.pageLoad[i]!--;
    }
  }

  /**
   * Renames several keys in one MULTI/EXEC transaction: all or none, and no reader sees a state in
   * between (FalkorDB follows a RENAME of its graph keys).
   */
  async renameAll(what: string, pairs: Array<[string, string]>): Promise<void> {
    try {
      const m = this.redis.multi();
      for (const [from, to] of pairs) m.rename(from, to);
      const res = await this.deadline(m.exec(), what, 'MULTI/EXEC RENAME');
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error('the transaction was discarded');
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  async listGraphs(): Promise<string[]> {
    const r = await this.call('GRAPH.LIST', 'GRAPH.LIST');
    return Array.isArray(r) ? r.map(String) : [];
  }

  async close(): Promise<void> {
    const pages = this.pages.splice(0);
    this.pageLoad.length = 0;
    for (const p of pages) await p.then((c) => c.close(), () => {});
    // No QUIT: it would wait for a reply a frozen server never sends. Every command this client
    // sent has been answered or abandoned by now.
    this.redis.disconnect();
  }
}

function parseEnvelope(reply: Reply): CompactResult {
  if (!Array.isArray(reply)) return { header: [], rows: [], stats: [] };
  if (reply.length === 1) return { header: [], rows: [], stats: (reply[0] as string[]) ?? [] };
  const header = ((reply[0] as Reply[]) ?? []).map((h) => (Array.isArray(h) ? String(h[1]) : String(h)));
  return { header, rows: (reply[1] as Reply[][]) ?? [], stats: (reply[2] as string[]) ?? [] };
}
