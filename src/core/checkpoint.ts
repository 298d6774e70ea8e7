/**
 * Resume checkpoints, kept on the machine that runs the import, never on the target: a target
 * gets no collection, graph or key that the user did not ask for, and a key scoped to one
 * collection can still restore it.
 *
 * Where: `<state dir>/checkpoints/`, the state dir being `--state-dir`, else MEMARC_STATE_DIR,
 * else `$XDG_STATE_HOME/memarc`, else `~/.local/state/memarc`. The directory is created with mode
 * 0700 and files with 0600: a checkpoint holds names and record keys of the archive (never a
 * credential), which are the user's data. One file per (archive header SHA-256, store, redacted
 * target URL, target name), named by the SHA-256 of those four, so a checkpoint is found only by
 * the same archive restoring into the same target. A file is replaced atomically (written to a
 * temporary name, fsynced, renamed), so a kill -9 leaves the old state or the new, never half.
 * A journal (`.journal`, NDJSON, appended and fsynced) holds state that grows with the data,
 * such as a graph's node key → id map.
 *
 * A checkpoint is written only by an import that writes (not a dry run, not a migration, which
 * has no archive to resume from), and removed when the run completes or is rolled back.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MemarcError } from '../errors.ts';
import { parsePlainJson } from '../format/json.ts';

/** The state directory: explicit, else MEMARC_STATE_DIR, else XDG_STATE_HOME/memarc, else ~/.local/state/memarc. */
export function stateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.MEMARC_STATE_DIR) return env.MEMARC_STATE_DIR;
  const xdg = env.XDG_STATE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'state'), 'memarc');
}

export interface CheckpointTarget {
  /** The adapter's name, e.g. the store type. */
  store: string;
  /** The server, with credentials removed. */
  url: string;
  /** The dataset's name in the target. */
  target: string;
}

/** Checkpoints in a fresh temporary directory, for journals of a run that keeps no checkpoint (migrate). */
export async function scratchCheckpoints(runId: string): Promise<Checkpoints & { dispose(): Promise<void> }> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'memarc-journal-'));
  return Object.assign(new Checkpoints(dir, runId), { dispose: () => rm(dir, { recursive: true, force: true }) });
}

export class Checkpoints {
  readonly dir: string;
  readonly runId: string;

  constructor(dir: string, runId: string) {
    this.dir = join(dir, 'checkpoints');
    this.runId = runId;
  }

  for(t: CheckpointTarget): CheckpointFile {
    const id = createHash('sha256').update(`memarc.checkpoint\n${this.runId}\n${t.store}\n${t.url}\n${t.target}`).digest('hex').slice(0, 40);
    return new CheckpointFile(this.dir, id, t);
  }
}

export class CheckpointFile {
  readonly path: string;
  readonly journalPath: string;
  private readonly dir: string;
  private readonly target: CheckpointTarget;

  constructor(dir: string, id: string, target: CheckpointTarget) {
    this.dir = dir;
    this.path = join(dir, `${id}.json`);
    this.journalPath = join(dir, `${id}.journal`);
    this.target = target;
  }

  private fail(what: string, err: unknown): MemarcError {
    return new MemarcError('IO', `cannot ${what} the resume checkpoint ${this.path}: ${(err as Error).message}`, {
      hint: 'the checkpoint directory must be writable by this user (set --state-dir or MEMARC_STATE_DIR to move it)',
      cause: err,
    });
  }

  async load<T>(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.fail('read', err);
    }
    try {
      const doc = parsePlainJson(text) as { kind?: string; version?: number; target?: CheckpointTarget; state?: T };
      if (doc.kind !== 'memarc.checkpoint' || doc.version !== 2 || doc.target?.target !== this.target.target) return null;
      return doc.state ?? null;
    } catch {
      return null; // a file no run of this version wrote: ignored, replaced by the next save
    }
  }

  async save(state: unknown): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      try {
        await fh.writeFile(JSON.stringify({ kind: 'memarc.checkpoint', version: 2, target: this.target, updatedAt: new Date().toISOString(), state }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw this.fail('write', err);
    }
  }

  /** Appends lines to the journal, durably. */
  async append(lines: unknown[]): Promise<void> {
    await this.appendText(lines.map((l) => JSON.stringify(l)));
  }

  /** Appends lines already serialised (one JSON text each, no newline inside), durably. */
  async appendText(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const fh = await open(this.journalPath, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
      try {
        // A leading newline ends a line torn by a kill during an earlier append.
        await fh.writeFile('\n' + lines.join('\n') + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw this.fail('append to', err);
    }
  }

  /** The journal's lines; a torn last line (a kill during the append) is ignored. */
  async *journal<T>(parse: (text: string) => unknown = parsePlainJson): AsyncGenerator<T> {
    let fh;
    try {
      fh = await open(this.journalPath, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.fail('read', err);
    }
    try {
      for await (const line of fh.readLines()) {
        if (!line) continue;
        let v: T;
        try {
          v = parse(line) as T;
        } catch {
          continue;
        }
        yield v;
      }
    } finally {
      await fh.close();
    }
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
    await rm(this.journalPath, { force: true });
  }
}
