/**
 * A second connection to the server, for the export's page reads only. Decoding RESP is most of
 * an export's client time, and ioredis 6 decodes about 2.5× slower than redis-parser (helper
 * calls for private fields on every token, then a second, converted copy of every reply): a bare
 * paging loop over 300k entities takes 3.0 s through ioredis and 1.2 s through redis-parser.
 * Replies have FalkorClient's shape (strings, integers as strings). No reconnection: a broken
 * connection fails the reads in flight and every later one, and the export fails clearly.
 * Connecting and every command have a deadline (a missed one closes the connection with an
 * ETIMEDOUT error), and the socket has TCP keepalive, so a frozen server or a half-open
 * connection fails the export instead of hanging it.
 */
import net from 'node:net';
import tls from 'node:tls';
import RedisParser from 'redis-parser';
import type { Reply } from './client.ts';

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: Error): void;
}

/** As client.ts's KEEPALIVE_MS (not imported: client.ts imports this file). */
const KEEPALIVE_MS = 10_000;

function timeout(what: string, ms: number): Error {
  return Object.assign(new Error(`${what} ETIMEDOUT: no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT' });
}

function encode(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

export class PageConnection {
  private readonly url: URL;
  private socket: net.Socket | null = null;
  private readonly waiting: Waiter[] = [];
  private failure: Error | null = null;

  private readonly timeoutMs: number;

  /** `url` as FalkorClient takes it: redis:// or rediss://, optional user, password and db. */
  constructor(url: string, timeoutMs: number) {
    this.url = new URL(url);
    this.timeoutMs = timeoutMs;
  }

  async open(): Promise<void> {
    const u = this.url;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    const port = Number(u.port || 6379);
    const secure = u.protocol === 'rediss:';
    const socket = secure
      ? tls.connect({ host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}) })
      : net.connect({ host, port });
    this.socket = socket;
    const parser = new RedisParser({
      returnBuffers: false,
      stringNumbers: true,
      returnReply: (reply) => this.waiting.shift()?.resolve(reply as Reply),
      returnError: (err) => this.waiting.shift()?.reject(err),
      returnFatalError: (err) => this.fail(err),
    });
    socket.on('data', (d: Buffer) => parser.execute(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the connection was closed')));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = timeout(`connect ${host}:${port}`, this.timeoutMs);
        reject(err);
        this.fail(err);
      }, this.timeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const password = decodeURIComponent(u.password);
    const user = decodeURIComponent(u.username);
    if (password) await this.call(user ? ['AUTH', user, password] : ['AUTH', password]);
    const db = Number(u.pathname.slice(1) || 0);
    if (db > 0) await this.call(['SELECT', String(db)]);
  }

  call(args: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const socket = this.socket;
    if (!socket || !socket.writable) return Promise.reject(new Error('the connection was closed'));
    return new Promise<Reply>((resolve, reject) => {
      // Replies come in order, so a late one cannot be matched to its request any more: a missed
      // deadline fails the whole connection.
      const timer = setTimeout(() => this.fail(timeout(args[0]!, this.timeoutMs)), this.timeoutMs);
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      socket.write(encode(args));
    });
  }

  close(): void {
    this.fail(new Error('the connection was closed'));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
    this.socket?.destroy();
  }
}
