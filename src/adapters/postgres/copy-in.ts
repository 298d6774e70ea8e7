/**
 * Writing rows with `COPY … FROM STDIN (FORMAT binary)` through pg-copy-streams: one statement per
 * batch, so statement_timeout bounds each (the server's deadline), and the client's deadline is
 * the same plus a margin (a frozen server never answers its own timeout).
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { MemarcError } from '../../errors.ts';
import type { CellValue } from '../../format/records.ts';
import { CellError, type Codec } from './codec.ts';
import { ident, pgError, type PgEndpoint } from './connect.ts';
import { copyHeader, copyTrailer, encodeTuple, type Field } from './copy-binary.ts';

export interface CopyInColumn {
  name: string;
  codec: Codec;
}

/** The batch in binary COPY form; a value that does not fit its column names row and column. */
export function encodeRows(rows: Array<Record<string, CellValue>>, columns: CopyInColumn[], where: (row: number) => string): Buffer[] {
  const out: Buffer[] = [copyHeader()];
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
  out.push(copyTrailer());
  return out;
}

export async function copyIn(client: pg.Client, ep: PgEndpoint, target: string, columns: CopyInColumn[], body: Buffer[], what: string): Promise<void> {
  const { from } = await import('pg-copy-streams');
  const stream = client.query(from(`COPY ${target} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN (FORMAT binary)`));
  const timer = setTimeout(() => {
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    stream.destroy(new MemarcError('CONNECTION_FAILED', `${what}: Postgres at ${ep.safeUrl} did not answer within ${ep.timeoutMs / 1000 + 5} s; the connection was closed`));
  }, ep.timeoutMs + 5_000);
  try {
    await pipeline(Readable.from(body), stream);
  } catch (err) {
    throw pgError(ep, what, err);
  } finally {
    clearTimeout(timer);
  }
}
