/**
 * The SQLite source: the tables of one database file as `table` datasets of `row` records
 * (spec/FORMAT.md 6.6, 15.5), all read in ONE read transaction, so the archive is one state of
 * the database even while another process writes to it:
 *
 * - the file is opened read-only (no write access is needed, and none is used);
 * - `BEGIN` and the first SELECT (of `sqlite_schema`) start the read transaction; every schema
 *   and every row is read in it; `close()` ends it;
 * - WAL mode: writers go on while the export reads; the export sees none of their commits;
 * - rollback-journal mode: a read transaction holds a SHARED lock, and a writer's COMMIT waits
 *   for it (or fails with SQLITE_BUSY after the writer's own busy timeout). So that writers wait
 *   only as long as a file copy, not while every table is read, the default (`snapshot: 'auto'`) first
 *   copies the database inside the read transaction with SQLite's online backup API, in one step,
 *   to a temporary file (os.tmpdir(); as large as the database), ends the transaction, and reads
 *   the copy, which it deletes in close(). `snapshot: 'transaction'` reads the live file instead
 *   (no disk; writers wait until the last table is read); `'copy'` copies in WAL mode too.
 *
 * Nothing is torn either way.
 *
 * Rows stream through a prepared statement's iterate(), with 64-bit integers as bigint.
 */
import { backup, DatabaseSync } from 'node:sqlite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { JsonObject, RecordByKind, RecordKind, RowRecord } from '../../format/records.ts';
import { sqliteError } from './errors.ts';
import { isInternal, listTables, neutralSchema, quoteId, readNative, rulesOf } from './schema.ts';
import { cellOf, type SqliteValue } from './types.ts';
import { setMember } from '../../format/json.ts';

export interface SqliteSourceOptions {
  /** The database file. */
  path: string;
  /** Tables to export; every ordinary table when absent. */
  tables?: string[];
  /** Rows per batch (default 1,000). */
  batchSize?: number;
  /** How long to wait for a lock (a writer committing in rollback-journal mode), in ms (default 60,000). */
  timeoutMs?: number;
  /** auto (default): a copy in rollback-journal mode, the live file in WAL mode; or always one of them. */
  snapshot?: SnapshotMode;
  log?: (msg: string) => void;
}

export type SnapshotMode = 'auto' | 'transaction' | 'copy';

/** How many mismatched cells of a column are named in the log before they are only counted. */
const NAMED = 3;

export function sqliteSource(opts: SqliteSourceOptions): Source {
  const log = opts.log ?? (() => {});
  const path = resolve(opts.path);
  let db: DatabaseSync | null = null;
  let copyDir: string | null = null;
  let finished = 0;

  return {
    async open(signal?: AbortSignal): Promise<DatasetSource[]> {
      try {
        db = new DatabaseSync(path, { readOnly: true, timeout: opts.timeoutMs ?? 60_000 });
      } catch (err) {
        throw new MemarcError('NOT_FOUND', `cannot open the SQLite database ${path}: ${(err as Error).message}`, { hint: 'pass the path of an existing database file to --sqlite', cause: err });
      }
      let conn = db;
      try {
        conn.exec('BEGIN');
        // The first read starts the transaction: from here on, every read sees this one state.
        listTables(conn);
        const journal = String((conn.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode);
        const mode = opts.snapshot ?? 'auto';
        let read = 'one read transaction over every table of the live file';
        if (mode === 'copy' || (mode === 'auto' && journal !== 'wal')) {
          const t0 = performance.now();
          copyDir = await mkdtemp(join(tmpdir(), 'memarc-sqlite-'));
          const file = join(copyDir, 'snapshot.db');
          // One step (the largest rate): the copy is made entirely inside this read transaction.
          const pages = await backup(conn, file, { rate: 2 ** 31 - 1 });
          conn.exec('ROLLBACK');
          conn.close();
          db = conn = new DatabaseSync(file, { readOnly: true });
          conn.exec('BEGIN');
          read = `a copy of the file made inside one read transaction (online backup API, ${pages} pages), then read`;
          log(`sqlite: copied ${path} (${pages} pages) to a temporary snapshot in ${Math.round(performance.now() - t0)} ms; writers waited only for the copy`);
        }
        const { tables: all, skipped, staging } = listTables(conn);
        for (const s of staging) log(`sqlite: table "${s}" is memarc's own, left by an interrupted or unfinished import: not exported (that import's --rollback or --resume removes it)`);
        for (const s of skipped) log(`sqlite: table "${s}" is a virtual table or belongs to one: not exported (recreate it, e.g. rebuild the FTS index, after a restore)`);
        const names = opts.tables ?? all;
        for (const t of names) {
          if (!all.includes(t)) {
            throw new MemarcError('NOT_FOUND', `table "${t}" does not exist in ${path}${isInternal(t) ? ' (SQLite\'s own and memarc\'s staging tables are never exported)' : ''}`, { hint: `its tables: ${all.join(', ') || '(none)'}`, context: { dataset: t } });
          }
        }
        const version = String((conn.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
        const out: DatasetSource[] = [];
        for (const table of names) {
          if (signal?.aborted) throw new MemarcError('INTERRUPTED', 'export interrupted', { cause: signal.reason });
          const native = readNative(conn, table);
          const schema = neutralSchema(conn, native);
          const rules = rulesOf(native);
          const pk = (schema.primaryKey as string[]);
          const mismatches = new Map<string, { count: number; rows: string[] }>();
          const invalid = new Map<string, { count: number; rows: string[] }>();
          /**
           * SQLite keeps TEXT as bytes without checking that they are UTF-8, and its API hands
           * them over decoded, invalid bytes as U+FFFD. A text holding U+FFFD is compared with
           * its bytes (by primary key): equal, it is the character itself; else the bytes are not
           * UTF-8 and cannot be archived as text. Without a primary key it is reported unchecked.
           */
          let rawText: Map<number, ReturnType<DatabaseSync['prepare']>> | null = null;
          const validText = (i: number, v: string, values: SqliteValue[]): boolean => {
            if (pk.length === 0) return false;
            rawText ??= new Map();
            let q = rawText.get(i);
            if (!q) {
              q = conn.prepare(`SELECT CAST(${quoteId(native.columns[i]!.name)} AS BLOB) AS b FROM ${quoteId(table)} WHERE ${pk.map((k) => `${quoteId(k)} IS ?`).join(' AND ')}`);
              rawText.set(i, q);
            }
            const keyValues = pk.map((k) => values[native.columns.findIndex((c) => c.name === k)]!);
            const raw = (q.get(...keyValues) as { b: Uint8Array } | undefined)?.b;
            return raw !== undefined && Buffer.from(raw).equals(Buffer.from(v, 'utf8'));
          };
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
                  setMember(cells, name, cell);
                  if (mismatch) (bad ??= []).push(name);
                }
                for (let i = 0; i < cols.length; i++) {
                  const v = values[i];
                  if (typeof v === 'string' && v.includes('\uFFFD') && !validText(i, v, values)) {
                    const m = invalid.get(cols[i]!) ?? { count: 0, rows: [] };
                    m.count++;
                    if (m.rows.length < NAMED) m.rows.push(rowName(cells, pk, n));
                    invalid.set(cols[i]!, m);
                  }
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
            // The last table read: end the read transaction (and drop the copy) now, not when the
            // whole export ends, so writers of a rollback-journal file wait no longer than needed.
            if (++finished === out.length) await release();
            for (const [col, m] of invalid) {
              log(`sqlite: table "${table}", column "${col}": ${m.count} text value(s) ${pk.length > 0 ? 'whose bytes are not UTF-8' : 'holding U+FFFD, which may stand for bytes that are not UTF-8 (the table has no primary key to check them by)'}, e.g. ${m.rows.join(', ')}. SQLite's API reads such bytes as U+FFFD, so they are archived, and restore, with U+FFFD in their place`);
            }
            for (const [col, m] of mismatches) {
              const type = schema.columns && (schema.columns as JsonObject[]).find((c) => c.name === col)?.type;
              log(`sqlite: table "${table}", column "${col}" (declared ${JSON.stringify(native.columns.find((c) => c.name === col)!.declared)}, neutral type ${String(type)}): ${m.count} value(s) of another storage class, e.g. ${m.rows.join(', ')}. They are archived as what SQLite holds and restore exactly into SQLite; a conversion to a typed store refuses them (JSON text excepted, which Postgres parses into documents)`);
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
              source: { type: 'sqlite', url: `sqlite:${path}`, serverVersion: version, journalMode: journal, consistency: 'snapshot', read },
            },
            batches<K extends RecordKind>(kind: K): AsyncIterable<RecordByKind[K][]> {
              return batches(kind) as AsyncIterable<RecordByKind[K][]>;
            },
            notes(): JsonObject {
              const m: JsonObject = {};
              for (const [col, x] of mismatches) m[col] = x.count;
              const notes: JsonObject = { consistency: 'snapshot' };
              if (mismatches.size > 0) notes.storageClassMismatches = m;
              if (invalid.size > 0) notes.textNotUtf8 = Object.fromEntries([...invalid].map(([c, x]) => [c, x.count]));
              return notes;
            },
          });
        }
        return out;
      } catch (err) {
        throw sqliteError(err, `reading the schema of ${path}`);
      }
    },

    async close(): Promise<void> {
      await release();
    },
  };

  async function release(): Promise<void> {
    if (db) {
      try {
        if (db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // closing ends the transaction anyway
      }
      db.close();
      db = null;
    }
    if (copyDir) {
      const d = copyDir;
      copyDir = null;
      await rm(d, { recursive: true, force: true });
    }
  }
}

/** A row, for people: its primary key, else its position. */
function rowName(cells: RowRecord['cells'], pk: string[], n: number): string {
  if (pk.length > 0) return `row ${pk.map((k) => `${k}=${String(JSON.stringify(cells[k], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))}`).join(', ')}`;
  return `row ${n}`;
}
