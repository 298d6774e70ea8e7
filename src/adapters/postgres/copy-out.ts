/**
 * Reading a table (or a query) with `COPY … TO STDOUT (FORMAT binary)` through pg-copy-streams,
 * as batches of decoded rows. Nothing is held but one batch.
 *
 * The deadline: a whole table can take longer than any statement_timeout that suits the catalog
 * queries, so the COPY runs with statement_timeout off and a stall deadline instead: when no byte
 * arrives for the endpoint's timeout, the connection is destroyed and the export fails with
 * CONNECTION_FAILED. A slow but moving export is never cut; a frozen server is.
 */
import type pg from 'pg';
import { MemarcError } from '../../errors.ts';
import type { CellValue } from '../../format/records.ts';
import { CellError, type Codec } from './codec.ts';
import { pgError, querier, type PgEndpoint } from './connect.ts';
import { copyRows } from './copy-binary.ts';
import { setMember } from '../../format/json.ts';

export interface CopyOutOptions {
  client: pg.Client;
  ep: PgEndpoint;
  /** The COPY statement (binary format). */
  sql: string;
  columns: Array<{ name: string; codec: Codec }>;
  /** For errors: `table "public.users"`. */
  what: string;
  batchRows: number;
  batchBytes: number;
  signal?: AbortSignal;
}

/** Batches of rows, each a map of column name to cell. */
export async function* copyOut(o: CopyOutOptions): AsyncGenerator<Array<Record<string, CellValue>>> {
  const { to } = await import('pg-copy-streams');
  const q = querier(o.client, o.ep, `reading ${o.what}`);
  await q('SET statement_timeout = 0');
  const stream = o.client.query(to(o.sql));
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      // The COPY cannot be cancelled on this connection without waiting for it: drop the connection.
      (o.client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      stream.destroy(new Error('stalled'));
    }, o.ep.timeoutMs);
  };
  const onAbort = (): void => void stream.destroy(o.signal?.reason instanceof Error ? o.signal.reason : new Error('aborted'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  async function* chunks(): AsyncGenerator<Buffer> {
    arm();
    for await (const c of stream) {
      arm();
      yield c as Buffer;
    }
  }
  let row = 0;
  try {
    let batch: Array<Record<string, CellValue>> = [];
    let bytes = 0;
    for await (const rows of copyRows(chunks())) {
      for (const fields of rows) {
        row++;
        if (fields.length !== o.columns.length) throw new MemarcError('STORE_ERROR', `${o.what}: row ${row} has ${fields.length} fields, expected ${o.columns.length}`);
        const cells: Record<string, CellValue> = {};
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          const col = o.columns[i]!;
          if (f === null) {
            setMember(cells, col.name, null);
            continue;
          }
          bytes += f.length;
          try {
            setMember(cells, col.name, col.codec.decode(f));
          } catch (err) {
            if (!(err instanceof CellError)) throw err;
            throw new MemarcError('USAGE', `${o.what}, column "${col.name}", row ${row} (in COPY order): ${err.message}`, {
              hint: 'the archive cannot hold this value exactly; change it, or leave the table out (--tables)',
              context: { column: col.name },
            });
          }
        }
        batch.push(cells);
        if (batch.length >= o.batchRows || bytes >= o.batchBytes) {
          yield batch;
          batch = [];
          bytes = 0;
        }
      }
    }
    if (batch.length > 0) yield batch;
  } catch (err) {
    if (stalled) {
      throw new MemarcError('CONNECTION_FAILED', `reading ${o.what} on Postgres at ${o.ep.safeUrl}: no data for ${o.ep.timeoutMs / 1000} s, the connection was closed`, {
        hint: 'check the server; --pg-timeout sets how long a stalled read may wait',
      });
    }
    if (o.signal?.aborted) throw o.signal.reason;
    throw pgError(o.ep, `reading ${o.what}`, err);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
  await q(`SET statement_timeout = ${o.ep.timeoutMs}`);
}
