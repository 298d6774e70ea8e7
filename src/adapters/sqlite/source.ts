/**
 * The SQLite source: the tables of one database file as `table` datasets of `row` records
 * (spec/FORMAT.md 6.6, 15.5), all read in ONE read transaction, so the archive is one state of
 * the database even while another process writes to it:
 *
 * - the file is opened read-only (no write access is needed, and none is used);
 * - `BEGIN` and the first SELECT (of `sqlite_schema`) start the read transaction; every schema
 *   and every row is read in it; `close()` ends it;
 * - WAL mode: writers go on while the export reads; the export sees none of their commits;
 * - rollback-journal mode: the read holds a SHARED lock, so a writer's COMMIT waits until the
 *   export ends (or fails with SQLITE_BUSY after the writer's own busy timeout). Nothing is torn
 *   either way.
 *
 * Rows stream through a prepared statement's iterate(), with 64-bit integers as bigint.
 */
import { DatabaseSync } from 'node:sqlite';
import { resolve } from 'node:path';
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { JsonObject, RecordByKind, RecordKind, RowRecord } from '../../format/records.ts';
import { sqliteError } from './errors.ts';
import { isInternal, listTables, neutralSchema, quoteId, readNative, rulesOf } from './schema.ts';
import { cellOf, type SqliteValue } from './types.ts';

export interface SqliteSourceOptions {
  /** The database file. */
  path: string;
  /** Tables to export; every ordinary table when absent. */
  tables?: string[];
  /** Rows per batch (default 1,000). */
  batchSize?: number;
  /** How long to wait for a lock (a writer committing in rollback-journal mode), in ms (default 60,000). */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

/** How many mismatched cells of a column are named in the log before they are only counted. */
const NAMED = 3;

export function sqliteSource(opts: SqliteSourceOptions): Source {
  const log = opts.log ?? (() => {});
  const path = resolve(opts.path);
  let db: DatabaseSync | null = null;

  return {
    async open(signal?: AbortSignal): Promise<DatasetSource[]> {
      try {
        db = new DatabaseSync(path, { readOnly: true, timeout: opts.timeoutMs ?? 60_000 });
      } catch (err) {
        throw new MemarcError('NOT_FOUND', `cannot open the SQLite database ${path}: ${(err as Error).message}`, { hint: 'pass the path of an existing database file to --sqlite', cause: err });
      }
      const conn = db;
      try {
        conn.exec('BEGIN');
        // The first read starts the transaction: from here on, every read sees this one state.
        const { tables: all, skipped } = listTables(conn);
        for (const s of skipped) log(`sqlite: table "${s}" is a virtual table or belongs to one: not exported (recreate it, e.g. rebuild the FTS index, after a restore)`);
        const names = opts.tables ?? all;
        for (const t of names) {
          if (!all.includes(t)) {
            throw new MemarcError('NOT_FOUND', `table "${t}" does not exist in ${path}${isInternal(t) ? ' (SQLite\'s own and memarc\'s staging tables are never exported)' : ''}`, { hint: `its tables: ${all.join(', ') || '(none)'}`, context: { dataset: t } });
          }
        }
        const version = String((conn.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
        const journal = String((conn.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode);
        const out: DatasetSource[] = [];
        for (const table of names) {
          if (signal?.aborted) throw new MemarcError('INTERRUPTED', 'export interrupted', { cause: signal.reason });
          const native = readNative(conn, table);
          const schema = neutralSchema(conn, native);
          const rules = rulesOf(native);
          const pk = (schema.primaryKey as string[]);
          const mismatches = new Map<string, { count: number; rows: string[] }>();
          const batches = async function* (kind: RecordKind): AsyncGenerator<RowRecord[]> {
            if (kind !== 'row') throw new MemarcError('INTERNAL', `a table has no records of kind ${kind}`);
            const cols = native.columns.map((c) => c.name);
            if (cols.length === 0) return;
            const stmt = conn.prepare(`SELECT ${cols.map(quoteId).join(', ')} FROM ${quoteId(table)}`);
            stmt.setReadBigInts(true);
            stmt.setReturnArrays(true);
            const size = opts.batchSize ?? 1000;
            let batch: RowRecord[] = [];
            let n = 0;
            try {
              for (const values of stmt.iterate() as Iterable<SqliteValue[]>) {
                n++;
                const cells: RowRecord['cells'] = {};
                let bad: string[] | null = null;
                for (let i = 0; i < cols.length; i++) {
                  const name = cols[i]!;
                  const { cell, mismatch } = cellOf(values[i]!, rules.get(name)!);
                  cells[name] = cell;
                  if (mismatch) (bad ??= []).push(name);
                }
                for (const name of bad ?? []) {
                  const m = mismatches.get(name) ?? { count: 0, rows: [] };
                  m.count++;
                  if (m.rows.length < NAMED) m.rows.push(rowName(cells, pk, n));
                  mismatches.set(name, m);
                }
                for (const k of pk) {
                  if (cells[k] === null) {
                    throw new MemarcError('MALFORMED_RECORD', `table "${table}", row ${n}: its primary key column "${k}" holds NULL (SQLite allows that in a rowid table whose key is not INTEGER PRIMARY KEY); an archive row key cannot be NULL`, {
                      hint: `give the row a key (UPDATE ${quoteId(table)} SET ${quoteId(k)} = … WHERE ${quoteId(k)} IS NULL), or export the other tables with --tables`,
                      context: { dataset: table },
                    });
                  }
                }
                batch.push({ cells });
                if (batch.length >= size) {
                  yield batch;
                  batch = [];
                }
              }
            } catch (err) {
              throw sqliteError(err, `reading table "${table}" of ${path}`);
            }
            if (batch.length > 0) yield batch;
            for (const [col, m] of mismatches) {
              const type = schema.columns && (schema.columns as JsonObject[]).find((c) => c.name === col)?.type;
              log(`sqlite: table "${table}", column "${col}" (declared ${JSON.stringify(native.columns.find((c) => c.name === col)!.declared)}, neutral type ${String(type)}): ${m.count} value(s) of another storage class, e.g. ${m.rows.join(', ')}. They are archived as what SQLite holds and restore exactly into SQLite; a conversion to a typed store will refuse them`);
            }
          };
          out.push({
            descriptor: {
              name: table,
              kind: 'sqlite.table',
              family: 'table',
              store: 'sqlite',
              schema,
              fingerprint: native as unknown as JsonObject,
              source: { type: 'sqlite', url: `sqlite:${path}`, serverVersion: version, journalMode: journal, consistency: 'snapshot', read: 'one read transaction over every table' },
            },
            batches<K extends RecordKind>(kind: K): AsyncIterable<RecordByKind[K][]> {
              return batches(kind) as AsyncIterable<RecordByKind[K][]>;
            },
            notes(): JsonObject {
              const m: JsonObject = {};
              for (const [col, x] of mismatches) m[col] = x.count;
              return mismatches.size > 0 ? { consistency: 'snapshot', storageClassMismatches: m } : { consistency: 'snapshot' };
            },
          });
        }
        return out;
      } catch (err) {
        throw sqliteError(err, `reading the schema of ${path}`);
      }
    },

    async close(): Promise<void> {
      if (!db) return;
      try {
        if (db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // closing ends the transaction anyway
      }
      db.close();
      db = null;
    },
  };
}

/** A row, for people: its primary key, else its position. */
function rowName(cells: RowRecord['cells'], pk: string[], n: number): string {
  if (pk.length > 0) return `row ${pk.map((k) => `${k}=${String(JSON.stringify(cells[k], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))}`).join(', ')}`;
  return `row ${n}`;
}
