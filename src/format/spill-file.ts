/**
 * A temporary file that holds what would not fit the memory bound (the node hashes of a big graph,
 * node-table.ts), read and written at positions with synchronous calls (a node's hash is needed
 * inside a synchronous digest step).
 *
 * It is made in a fresh directory under `TMPDIR` (os.tmpdir()) and unlinked, with its directory, as
 * soon as it is open: Linux and macOS keep an open file usable after its name is gone, so nothing is
 * left behind whatever happens to the process, kill -9 included. Where unlinking an open file is
 * refused (Windows), the directory is removed on close. `close()` releases the descriptor; a
 * FinalizationRegistry closes it too if an owner forgot, as a safety net only.
 *
 * Every failure of the file system (no space, a read-only or missing TMPDIR) becomes a MemarcError
 * with code IO (exit 3) that says where the file was and what to do.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemarcError } from '../errors.ts';

const HINT = 'memarc keeps what a big dataset would otherwise hold in memory (the node hashes of a graph, the point ids of a collection) in a temporary file of up to 32 bytes a record; free space there, or set TMPDIR to a directory with room';

/** Closes the descriptor of a file whose owner was collected without closing it. */
const forgotten = new FinalizationRegistry<{ fd: number; dir: string | null }>((held) => release(held.fd, held.dir));

function release(fd: number, dir: string | null): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function ioError(doing: string, where: string, err: unknown): MemarcError {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOSPC' ? 'no space left on the device' : e.code === 'EDQUOT' ? 'disk quota exceeded' : (e.message ?? String(err));
  return new MemarcError('IO', `${doing} a temporary file in ${where} failed: ${why}${e.code && !why.includes(e.code) ? ` (${e.code})` : ''}`, { hint: HINT, cause: err, context: { path: where } });
}

export class SpillFile {
  private fd: number;
  /** The directory the file was made in, for messages. */
  readonly where: string;
  /** Set where the open file could not be unlinked: removed on close. */
  private readonly leftDir: string | null;
  private readonly token = {};

  /** Takes an open descriptor (read and write). `where` names it in messages; `leftDir` is removed on close. */
  constructor(fd: number, where: string, leftDir: string | null = null) {
    this.fd = fd;
    this.where = where;
    this.leftDir = leftDir;
    forgotten.register(this, { fd, dir: leftDir }, this.token);
  }

  /** A new, empty, already unlinked file in a fresh directory under `dir` (default TMPDIR). */
  static create(dir = tmpdir()): SpillFile {
    let made: string;
    try {
      made = mkdtempSync(path.join(dir, 'memarc-'));
    } catch (err) {
      throw ioError('creating', dir, err);
    }
    const file = path.join(made, 'nodes');
    let fd: number;
    try {
      fd = openSync(file, 'wx+', 0o600);
    } catch (err) {
      rmSync(made, { recursive: true, force: true });
      throw ioError('creating', dir, err);
    }
    try {
      unlinkSync(file);
      rmdirSync(made);
    } catch {
      return new SpillFile(fd, dir, made);
    }
    return new SpillFile(fd, dir);
  }

  get open(): boolean {
    return this.fd >= 0;
  }

  /** Writes all of `buf[from, to)` at `position`. */
  write(buf: Uint8Array, from: number, to: number, position: number): void {
    try {
      while (from < to) {
        const n = writeSync(this.fd, buf, from, to - from, position);
        from += n;
        position += n;
      }
    } catch (err) {
      throw ioError('writing', this.where, err);
    }
  }

  /** Reads exactly `length` bytes at `position` into `buf` at `offset`. */
  read(buf: Uint8Array, offset: number, length: number, position: number): void {
    let n: number;
    try {
      n = readSync(this.fd, buf, offset, length, position);
    } catch (err) {
      throw ioError('reading', this.where, err);
    }
    // Only written positions are read, so a short read means the file changed under us.
    if (n !== length) throw new MemarcError('IO', `reading a temporary file in ${this.where} failed: ${n} of ${length} bytes at offset ${position}`, { hint: HINT, context: { path: this.where } });
  }

  /** Releases the descriptor (and, where it could not be unlinked, the file). Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    forgotten.unregister(this.token);
    const fd = this.fd;
    this.fd = -1;
    release(fd, this.leftDir);
  }
}
