/**
 * The Postgres adapter as the CLI sees it (src/core/descriptor.ts): `--postgres [url]` with
 * `--tables` and `--schemas` for export and import, postgres:// and postgresql:// URLs for
 * migrate (with `?table=…` a pgvector table becomes a vectors dataset: vectors.ts), and the
 * libpq environment. The factories load the adapter lazily, so reading this descriptor costs
 * nothing.
 */
import type { SinkRequest, StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';
import { MemarcError } from '../../errors.ts';
import type { PgEndpoint } from './connect.ts';

function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new MemarcError('USAGE', `--pg-timeout takes a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

/** The endpoint of migrate's URL, else of `--postgres URL`, else of the environment for a bare `--postgres`; null when not named. */
async function endpoint(req: StoreRequest): Promise<PgEndpoint | null> {
  const flag = req.options.postgres;
  if (!req.endpoint && (flag === undefined || flag === false)) return null;
  const url = req.endpoint?.url ?? (typeof flag === 'string' ? flag : undefined);
  const t = req.options.pgTimeout as number | undefined;
  const { endpointOf } = await import('./connect.ts');
  return endpointOf(url, req.env, { ...(req.endpoint ? { side: req.endpoint.side } : {}), ...(t !== undefined ? { timeoutMs: Math.round(t * 1000) } : {}) });
}

export const postgresDescriptor: StoreDescriptor = {
  name: 'postgres',
  title: 'Postgres',
  schemes: ['postgres', 'postgresql'],
  env: [
    { name: 'DATABASE_URL', help: 'the server of a bare --postgres (postgres://user@host:5432/db)' },
    { name: 'PGHOST', help: 'the host, when no URL is given' },
    { name: 'PGPORT', help: 'the port, when no URL is given' },
    { name: 'PGUSER', help: 'the user, when the URL names none' },
    { name: 'PGPASSWORD', help: 'the password, when the URL has none' },
    { name: 'PGDATABASE', help: 'the database, when the URL names none' },
    { name: 'MEMARC_FROM_PGPASSWORD', help: 'the password of the migrate source', side: 'from', fallback: 'PGPASSWORD' },
    { name: 'MEMARC_TO_PGPASSWORD', help: 'the password of the migrate target', side: 'to', fallback: 'PGPASSWORD' },
  ],
  datasets: [
    { kind: 'postgres.table', family: 'table', noun: 'tables', reads: true, writes: true, fromOtherStores: true },
    { kind: 'postgres.vectors', family: 'vectors', noun: 'pgvector tables', reads: true, writes: true, fromOtherStores: true },
  ],
  flag: '--postgres [url]',
  selection: '--tables <names>',
  options: [
    { flags: '--postgres [url]', help: 'a Postgres database, postgres://user@host:5432/db (default: DATABASE_URL, or PGHOST/PGPORT/PGUSER/PGDATABASE); the password comes from PGPASSWORD; ?table=T exports T as a vectors dataset', commands: ['export', 'import'] },
    { flags: '--tables <names>', help: 'only these Postgres tables (comma-separated; table or schema.table)', commands: ['export', 'import', 'migrate'], value: { type: 'list' } },
    { flags: '--schemas <names>', help: 'only the tables of these Postgres schemas (comma-separated)', commands: ['export', 'migrate'], value: { type: 'list' } },
    { flags: '--pg-timeout <seconds>', help: 'Postgres: deadline of every statement and connection attempt, and of a stalled COPY (default 60)', commands: ['export', 'import', 'migrate'], value: { type: 'parse', parse: seconds } },
  ],
  async source(req: StoreRequest) {
    const ep = await endpoint(req);
    if (!ep) return null;
    const { postgresSource } = await import('./source.ts');
    const schemas = req.options.schemas as string[] | undefined;
    const tables = req.options.tables as string[] | undefined;
    return postgresSource({ endpoint: ep, ...(schemas ? { schemas } : {}), ...(tables ? { tables } : {}), log: req.log });
  },
  async sink(req: SinkRequest) {
    const ep = await endpoint(req);
    if (!ep) return null;
    const { postgresSink } = await import('./sink.ts');
    const tables = req.options.tables as string[] | undefined;
    // migrate --to …?table=T names the target table of a single dataset.
    const rename = ep.params.table ? { ...req.rename, '*': ep.params.table } : req.rename;
    return postgresSink({ endpoint: ep, ifExists: req.ifExists, ...(rename ? { rename } : {}), ...(tables ? { tables } : {}), convert: req.endpoint !== undefined, log: req.log });
  },
};
