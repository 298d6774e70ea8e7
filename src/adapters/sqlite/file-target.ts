/**
 * The database file a SQLite sink restores into, shared by the sink's datasets.
 *
 * - The file does not exist: a NEW file. Every table is loaded into a temporary file in the same
 *   directory (`.<name>.memarc-<run>.tmp`, named after the run so that --resume finds it),
 *   verified there, and published by one atomic rename that never replaces a file that appeared
 *   meanwhile (link, then unlink of the temporary name; the directory is fsynced).
 * - The file exists: each table is loaded into a staging table of that database and published by
 *   one transaction (sink.ts).
 *
 * The connection never enforces foreign keys (tables arrive one by one, in any order) and uses
 * the legacy ALTER TABLE RENAME, which renames a table without rewriting what other tables,
 * triggers and views say about its name: a staging table takes the target's name, and nothing
 * else of the database changes.
 */
import { DatabaseSync } from 'node:sqlite';
import { constants } from 'node:fs';
import { link, open, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MemarcError } from '../../errors.ts';
import { sqliteError } from './errors.ts';

export type FileMode = 'new' | 'existing';

export class FileTarget {
  readonly path: string;
  readonly timeoutMs: number;
  mode: FileMode | null = null;
  /** The temporary file of a new database (mode 'new'). */
  temp: string | null = null;
  db: DatabaseSync | null = null;
  /** After the rename of a new file: its inode, so that undo removes only the file this run made. */
  published: { dev: number; ino: number } | null = null;

  constructor(path: string, timeoutMs: number) {
    this.path = resolve(path);
    this.timeoutMs = timeoutMs;
  }

  static tempName(path: string, runId: string): string {
    return join(dirname(resolve(path)), `.${basename(path)}.memarc-${runId.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}.tmp`);
  }

  /** Whether the file exists now. */
  async exists(): Promise<boolean> {
    try {
      await stat(this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new MemarcError('IO', `cannot look at ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Decides the mode once, from whether the file exists (or, resuming, from the checkpoint's). */
  async decide(runId: string, resumed?: FileMode): Promise<FileMode> {
    if (this.mode) return this.mode;
    this.mode = resumed ?? ((await this.exists()) ? 'existing' : 'new');
    if (this.mode === 'new') this.temp = FileTarget.tempName(this.path, runId);
    return this.mode;
  }

  /** The connection to the file being written (the temporary one for a new file); opened on first use. */
  connect(): DatabaseSync {
    if (this.db) return this.db;
    const file = this.mode === 'new' && !this.published ? this.temp! : this.path;
    try {
      const db = new DatabaseSync(file, { enableForeignKeyConstraints: false, timeout: this.timeoutMs });
      db.exec('PRAGMA legacy_alter_table = ON');
      this.db = db;
      return db;
    } catch (err) {
      throw sqliteError(err, `opening ${file}`);
    }
  }

  close(): void {
    try {
      if (this.db?.isTransaction) this.db.exec('ROLLBACK');
    } catch {
      // closing rolls back anyway
    }
    this.db?.close();
    this.db = null;
  }

  /**
   * A new file: make the temporary file the database, atomically, refusing to replace a file
   * that appeared at the path since the run began. Idempotent (the second dataset's publish).
   */
  async publishNew(): Promise<string[]> {
    if (this.published) return [];
    this.close();
    const tmp = this.temp!;
    const fh = await open(tmp, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new MemarcError('TARGET_EXISTS', `${this.path} appeared while the restore ran; it was left as it is`, { hint: 'restore into another path, or into the existing file with --if-exists' });
      }
      throw new MemarcError('IO', `cannot create ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    const st = await stat(this.path);
    this.published = { dev: st.dev, ino: st.ino };
    await unlink(tmp);
    await syncDir(dirname(this.path));
    return [`created ${this.path} (written as ${basename(tmp)}, verified, then renamed)`];
  }

  /** Undoes publishNew: removes the file if it is still the one this run created. */
  async unpublishNew(): Promise<string> {
    if (!this.published) return 'the new file was not published';
    this.close();
    const st = await stat(this.path).catch(() => null);
    if (!st || st.ino !== this.published.ino || st.dev !== this.published.dev) return `${this.path} is no longer the file this run created; left as it is`;
    await unlink(this.path);
    await syncDir(dirname(this.path));
    this.published = null;
    return `removed ${this.path}, which this run had created`;
  }

  /** Removes the temporary file of a new database and its journals. */
  async dropTemp(): Promise<string> {
    this.close();
    if (!this.temp) return 'no temporary file';
    for (const suffix of ['', '-journal', '-wal', '-shm']) await rm(this.temp + suffix, { force: true });
    return `removed the temporary file ${basename(this.temp)}`;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // some file systems cannot fsync a directory; the rename itself is still atomic
  }
}
