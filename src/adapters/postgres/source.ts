/**
 * Postgres as a source: one `table` dataset per selected table (spec/FORMAT.md 6.6), or, with
 * `?table=` on the URL, that one table as a `vectors` dataset (vectors.ts).
 *
 * Consistency: one connection, one `REPEATABLE READ READ ONLY` transaction, opened before the
 * catalog is read. Every table's schema and rows come from that one snapshot (a foreign key never
 * points at a row the archive lacks). Tables are read one after another on that connection, so no
 * snapshot needs exporting to others (pg_export_snapshot) and the server sees one reader. The
 * export needs only SELECT (and USAGE on the schemas); it takes ACCESS SHARE locks, which block
 * only DDL, and waits for none longer than the deadline (lock_timeout). Like pg_dump, a long
 * export holds back vacuum's horizon while it runs. Sequences are not transactional: their values
 * are read at the start, not from the snapshot (as pg_dump does too).
 */
import type pg from 'pg';
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { RecordByKind, RecordKind, RowRecord } from '../../format/records.ts';
import { configJson, listTables, tableConfig, type TableConfig, type TableRef } from './catalog.ts';
import { codecOf, KNOWN_TYPES } from './codec.ts';
import { connect, ident, qname, querier, release, type PgEndpoint, type Query } from './connect.ts';
import { copyOut } from './copy-out.ts';
import { copiedColumns, datasetName, neutralType, tableOfName, tableSchema } from './neutral.ts';
import { pointOf, specOf, vectorsSchemaOf, vectorsView } from './vectors.ts';

export interface PostgresSourceOptions {
  endpoint: PgEndpoint;
  /** Schemas to export (all but system schemas when absent). */
  schemas?: string[];
  /** Tables to export: `table` (in public or any selected schema) or `schema.table`. */
  tables?: string[];
  /** Most rows per batch (default 1000). */
  batchRows?: number;
  /** Most cell bytes per batch (default 4 MiB). */
  batchBytes?: number;
  log?: (m: string) => void;
}

/** Refuses a table with a column the archive has no exact form for, naming table, column and type. */
function checkTypes(t: TableConfig): void {
  for (const c of copiedColumns(t)) {
    if (!codecOf(c.pgType) || !neutralType(c.pgType, c.typmod)) {
      throw new MemarcError('USAGE', `table "${t.schema}.${t.table}", column "${c.name}": type ${c.type} has no exact form in the archive`, {
        hint: `leave the table out (--tables), or change the column's type; the types memarc keeps are ${KNOWN_TYPES.join(', ')}, enums and arrays of them`,
        context: { table: `${t.schema}.${t.table}`, column: c.name, type: c.type },
      });
    }
  }
}

function selected(refs: TableRef[], opts: PostgresSourceOptions, safeUrl: string): TableRef[] {
  let out = refs;
  if (opts.schemas && opts.schemas.length > 0) {
    const want = new Set(opts.schemas);
    for (const s of want) if (!refs.some((r) => r.schema === s)) throw new MemarcError('NOT_FOUND', `Postgres at ${safeUrl} has no table in schema "${s}"`, { hint: 'check --schemas' });
    out = out.filter((r) => want.has(r.schema));
  }
  if (opts.tables && opts.tables.length > 0) {
    const picked: TableRef[] = [];
    for (const name of opts.tables) {
      const { schema, table } = tableOfName(name);
      const hit = out.filter((r) => r.table === table && (name.includes('.') ? r.schema === schema : true));
      const one = hit.length > 1 ? hit.filter((r) => r.schema === 'public') : hit;
      if (one.length !== 1) {
        throw new MemarcError(hit.length > 1 ? 'USAGE' : 'NOT_FOUND', hit.length > 1 ? `--tables ${name} names tables of several schemas (${hit.map((r) => r.schema).join(', ')})` : `Postgres at ${safeUrl} has no table "${name}"${opts.schemas ? ' in the selected schemas' : ''}`, {
          hint: 'write schema.table',
        });
      }
      if (!picked.includes(one[0]!)) picked.push(one[0]!);
    }
    out = picked;
  }
  for (const r of out) {
    if (r.relkind === 'p') throw new MemarcError('USAGE', `table "${r.schema}.${r.table}" is partitioned, which this version of memarc does not export`, { hint: 'leave it out with --tables' });
  }
  return out;
}

export function postgresSource(opts: PostgresSourceOptions): Source {
  const ep = opts.endpoint;
  const log = opts.log ?? (() => {});
  const batchRows = Math.max(1, opts.batchRows ?? 1000);
  const batchBytes = Math.max(64 * 1024, opts.batchBytes ?? 4 * 1024 * 1024);
  let client: pg.Client | null = null;

  return {
    async open(signal) {
      client = await connect(ep, 'memarc export');
      const q: Query = querier(client, ep, 'reading the catalog');
      await q('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const version = (await q<{ v: string }>('SHOW server_version')).rows[0]?.v;
      const source = { type: 'postgres', url: ep.safeUrl, ...(version ? { serverVersion: version } : {}) };
      const c = client;
      const spec = specOf(ep.params);
      const refs = await listTables(q);
      if (spec) {
        const [ref] = selected(refs, { ...opts, tables: [spec.table] }, ep.safeUrl);
        const t = await tableConfig(q, ref!);
        const view = vectorsView(t, spec);
        const name = datasetName(t.schema, t.table);
        const cols = [view.id.name, ...view.vectors.map((v) => v.column), ...view.payload];
        const byName = new Map(t.columns.map((x) => [x.name, x]));
        for (const n of cols) {
          const col = byName.get(n)!;
          if (!codecOf(col.pgType)) throw new MemarcError('USAGE', `table "${t.schema}.${t.table}", column "${n}": type ${col.type} has no exact form in the archive`, { hint: 'leave it out of the payload (payload=…)' });
        }
        log(`postgres: table "${t.schema}.${t.table}" as vectors: id ${view.id.name}; vectors ${view.vectors.map((v) => `${v.column} → "${v.name}" (${v.kind}${v.dimension ? ` ${v.dimension}` : ''}, ${v.distance}, ${v.datatype})`).join(', ')}; payload ${view.payload.join(', ') || '(none)'}`);
        const ds: DatasetSource = {
          descriptor: {
            name,
            kind: 'postgres.vectors',
            family: 'vectors',
            store: 'postgres',
            schema: vectorsSchemaOf(view),
            fingerprint: { table: configJson(t), mapping: { id: view.id.name, vectors: view.vectors.map((v) => ({ column: v.column, name: v.name })), payload: view.payload } },
            source,
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            if (kind !== 'point') return (async function* () {})();
            return (async function* () {
              let row = 0;
              for await (const batch of copyOut({
                client: c, ep, what: `table "${t.schema}.${t.table}"`, batchRows, batchBytes, ...(sig ?? signal ? { signal: (sig ?? signal)! } : {}),
                sql: `COPY ${qname(t.schema, t.table)} (${cols.map(ident).join(', ')}) TO STDOUT (FORMAT binary)`,
                columns: cols.map((n) => ({ name: n, codec: codecOf(byName.get(n)!.pgType, { payload: true })! })),
              })) {
                yield batch.map((cells) => {
                  row++;
                  return pointOf(view, cells, () => `table "${t.schema}.${t.table}", row ${row}`);
                }) as RecordByKind[K][];
              }
            })();
          },
        };
        return [ds];
      }
      const out: DatasetSource[] = [];
      for (const ref of selected(refs, opts, ep.safeUrl)) {
        const t = await tableConfig(q, ref);
        checkTypes(t);
        for (const col of t.columns) if (col.generated !== undefined) log(`postgres: table "${t.schema}.${t.table}": generated column "${col.name}" is not copied; a restore into Postgres computes it again`);
        const cols = copiedColumns(t);
        out.push({
          descriptor: {
            name: datasetName(t.schema, t.table),
            kind: 'postgres.table',
            family: 'table',
            store: 'postgres',
            schema: tableSchema(t),
            fingerprint: configJson(t),
            source,
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            if (kind !== 'row') return (async function* () {})();
            return (async function* () {
              for await (const batch of copyOut({
                client: c, ep, what: `table "${t.schema}.${t.table}"`, batchRows, batchBytes, ...(sig ?? signal ? { signal: (sig ?? signal)! } : {}),
                sql: `COPY ${qname(t.schema, t.table)} (${cols.map((x) => ident(x.name)).join(', ')}) TO STDOUT (FORMAT binary)`,
                columns: cols.map((x) => ({ name: x.name, codec: codecOf(x.pgType)! })),
              })) {
                yield batch.map((cells): RowRecord => ({ cells })) as RecordByKind[K][];
              }
            })();
          },
        });
      }
      return out;
    },
    async close() {
      const c = client;
      client = null;
      if (!c) return;
      await release(c, ep, true);
    },
  };
}
