/**
 * node:sqlite's errors as MemarcErrors, classified by SQLite's result code (`errcode`), never by
 * message text: a busy or locked database is a lock another connection holds (retriable), a
 * read-only or unopenable file is IO, the rest is a STORE_ERROR.
 */
import { MemarcError, isMemarcError } from '../../errors.ts';

/** SQLite's primary result codes (the low byte of an extended code). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;
/** Extended code: a read-only connection met a hot journal, which only a writer can roll back. */
const SQLITE_READONLY_ROLLBACK = 776;

export function sqliteCode(err: unknown): number | null {
  const c = (err as { errcode?: unknown } | null)?.errcode;
  return typeof c === 'number' ? c & 0xff : null;
}

export function sqliteError(err: unknown, what: string): MemarcError {
  if (isMemarcError(err)) return err;
  const msg = (err as Error)?.message ?? String(err);
  const code = sqliteCode(err);
  if (code === SQLITE_BUSY || code === SQLITE_LOCKED) {
    return new MemarcError('STORE_ERROR', `${what}: the database is locked by another connection (${msg})`, {
      hint: 'another process holds a write lock; retry when it is done, or raise --timeout',
      cause: err,
      context: { retriable: true },
    });
  }
  if ((err as { errcode?: unknown } | null)?.errcode === SQLITE_READONLY_ROLLBACK) {
    // A writer was killed inside a transaction (rollback-journal mode): the file holds its half,
    // and the journal the pages to put back. memarc reads sources read-only and never rolls it back.
    return new MemarcError('STORE_ERROR', `${what}: the database has a hot journal: a writer stopped inside a transaction, and a read-only connection cannot roll it back (${msg})`, {
      hint: 'let the application start again, or open the file once with write access (sqlite3 FILE "PRAGMA quick_check"), which rolls the journal back; then run the export again',
      cause: err,
    });
  }
  if (code === SQLITE_READONLY || code === SQLITE_IOERR || code === SQLITE_FULL || code === SQLITE_CANTOPEN) {
    return new MemarcError('IO', `${what}: ${msg}`, { hint: 'check that the file and its directory exist and are writable, and that the disk has room', cause: err });
  }
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) {
    return new MemarcError('STORE_ERROR', `${what}: ${msg}`, { hint: 'the file is not a healthy SQLite database; check it with `sqlite3 FILE "PRAGMA integrity_check"`', cause: err });
  }
  return new MemarcError('STORE_ERROR', `${what}: ${msg}`, { cause: err });
}
