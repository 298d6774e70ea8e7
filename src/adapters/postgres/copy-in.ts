/**
 * Writing rows with `COPY … FROM STDIN (FORMAT binary)` through pg-copy-streams. One COPY per
 * shard (`ShardCopy`): the batches of a shard stream into it as they are decoded, so the server
 * ingests one batch while the next is read and checked. Its deadline is a stall deadline: when
 * the server takes nothing for the endpoint's timeout plus a margin, the connection is destroyed
 * (a frozen server never answers its own statement_timeout, which is off for the COPY).
 */
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Writable } from 'node:stream';
import type pg from 'pg';
import { MemarcError } from '../../errors.ts';
import type { CellValue } from '../../format/records.ts';
import { CellError, type Codec } from './codec.ts';
import { ident, pgError, querier, type PgEndpoint } from './connect.ts';
import { copyHeader, copyTrailer, encodeTuple, type Field } from './copy-binary.ts';

export interface CopyInColumn {
  name: string;
  codec: Codec;
}

/** The batch in binary COPY form; a value that does not fit its column names row and column. */
export function encodeRows(rows: Array<Record<string, CellValue>>, columns: CopyInColumn[], where: (row: number) => string, framed = true): Buffer[] {
  const out: Buffer[] = framed ? [copyHeader()] : [];
  rows.forEach((cells, r) => {
    const fields: Field[] = columns.map((c) => {
      const v = cells[c.name];
      if (v === null || v === undefined) return null;
      try {
        return c.codec.encode(v);
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        throw new MemarcError('MALFORMED_RECORD', `${where(r)}, column "${c.name}": ${err.message}`, { hint: 'the value does not fit the column\'s type' });
      }
    });
    out.push(encodeTuple(fields));
  });
  if (framed) out.push(copyTrailer());
  return out;
}

/** One COPY FROM STDIN open for a shard's batches; `end()` completes it, `destroy()` abandons it. */
export class ShardCopy {
  private readonly pass = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  private readonly done: Promise<void>;
  private failed: unknown = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly client: pg.Client;
  private readonly ep: PgEndpoint;
  private readonly what: string;

  private constructor(client: pg.Client, ep: PgEndpoint, what: string, stream: Writable) {
    this.client = client;
    this.ep = ep;
    this.what = what;
    this.pass.write(copyHeader());
    this.done = pipeline(this.pass, stream).catch((err: unknown) => {
      this.failed = err;
      throw err;
    });
    this.done.catch(() => {}); // observed by write() and end()
  }

  static async open(client: pg.Client, ep: PgEndpoint, target: string, columns: CopyInColumn[], what: string): Promise<ShardCopy> {
    const { from } = await import('pg-copy-streams');
    await querier(client, ep, what)('SET statement_timeout = 0');
    const stream = client.query(from(`COPY ${target} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN (FORMAT binary)`));
    return new ShardCopy(client, ep, what, stream);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      (this.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      this.pass.destroy(new MemarcError('CONNECTION_FAILED', `${this.what}: Postgres at ${this.ep.safeUrl} took no data for ${this.ep.timeoutMs / 1000 + 5} s; the connection was closed`));
    }, this.ep.timeoutMs + 5_000);
  }

  async write(chunks: Buffer[]): Promise<void> {
    for (const c of chunks) {
      if (this.failed) break;
      if (!this.pass.write(c)) {
        this.arm();
        await Promise.race([once(this.pass, 'drain'), this.done]).catch(() => {});
        clearTimeout(this.timer);
      }
    }
    if (this.failed) throw pgError(this.ep, this.what, this.failed);
  }

  async end(): Promise<void> {
    this.arm();
    this.pass.end(copyTrailer());
    try {
      await this.done;
    } catch (err) {
      throw pgError(this.ep, this.what, err);
    } finally {
      clearTimeout(this.timer);
    }
    await querier(this.client, this.ep, this.what)(`SET statement_timeout = ${this.ep.timeoutMs}`);
  }

  /** Abandons the COPY (the server gets CopyFail and the transaction is aborted). */
  async destroy(): Promise<void> {
    clearTimeout(this.timer);
    this.pass.destroy(new Error('abandoned'));
    await this.done.catch(() => {});
  }
}

