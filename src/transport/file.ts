/**
 * Local files. An archive is written to a hidden temporary name in the destination directory
 * (`.NAME.HOST.PID.RANDOM.partial`), fsynced, moved into place, and the directory fsynced, so a
 * crash at any point leaves either the old state or the complete archive at the final path, never
 * a prefix. Without `force` the move is a hard link, which fails atomically if the name was taken
 * meanwhile; with `force` it is a rename over the old file.
 *
 * A killed writer leaves its `.partial` behind; the next write to the same name removes the
 * leftovers of writers on this host that are no longer running, and `listArchives` never treats a
 * `.partial` (or any dotfile) as an archive.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MemarcError } from '../errors.ts';
import type { ArchiveOutput, OutputOptions } from './types.ts';

const PARTIAL_SUFFIX = '.partial';

export function isPartialName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(PARTIAL_SUFFIX);
}

function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 40) || 'host';
}

function partialName(base: string): string {
  return `.${base}.${hostTag()}.${process.pid}.${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.partial` files for `base` left by writers on this host that no longer run. */
export async function removeStalePartials(dir: string, base: string): Promise<string[]> {
  const prefix = `.${base}.${hostTag()}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(PARTIAL_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function ioError(what: string, err: unknown, hint: string): MemarcError {
  if (err instanceof MemarcError) return err;
  return new MemarcError('IO', `${what}: ${(err as Error).message}`, { cause: err, hint });
}

export async function fileInput(location: string, signal?: AbortSignal): Promise<Readable> {
  try {
    const st = await stat(location);
    if (!st.isFile()) throw new MemarcError('IO', `${location} is not a regular file`, { hint: 'give the path of an archive file' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MemarcError('NOT_FOUND', `${location} does not exist`, { cause: err, hint: 'check the path' });
    }
    throw ioError(`cannot read ${location}`, err, 'check the path and its permissions');
  }
  return createReadStream(location, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

function destinationExists(location: string): MemarcError {
  return new MemarcError('DESTINATION_EXISTS', `${location} already exists`, { hint: 'pass --force to overwrite it, or choose another name' });
}

/** Moves the finished temp file into place: a hard link without force (atomic "create if absent"), rename with force. */
async function publish(tmp: string, final: string, location: string, force: boolean): Promise<void> {
  if (force) {
    await rename(tmp, final);
    return;
  }
  try {
    await link(tmp, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw destinationExists(location);
    // Some filesystems (FAT, some network mounts) have no hard links: check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    if (await exists(final)) throw destinationExists(location);
    await rename(tmp, final);
    return;
  }
  await unlink(tmp);
}

export async function fileOutput(location: string, opts: OutputOptions): Promise<ArchiveOutput> {
  const final = path.resolve(location);
  const dir = path.dirname(final);
  const force = opts.force === true;
  if (!force && (await exists(final))) throw destinationExists(location);
  await removeStalePartials(dir, path.basename(final));
  const tmp = path.join(dir, partialName(path.basename(final)));
  const stream = createWriteStream(tmp, { flags: 'wx' });
  try {
    await once(stream, 'open');
  } catch (err) {
    throw ioError(`cannot create ${location}`, err, 'check that the directory exists and is writable');
  }
  let state: 'open' | 'committed' | 'aborted' = 'open';
  let removal: Promise<void> | undefined;
  const removeTmp = (): Promise<void> => (removal ??= rm(tmp, { force: true }));
  // A write error (ENOSPC, EIO) destroys the stream: drop the temp file even if nobody calls abort().
  stream.once('error', () => { if (state !== 'committed') void removeTmp(); });

  const output: ArchiveOutput = {
    location,
    stream,
    async commit() {
      if (state === 'committed') return;
      if (state === 'aborted') throw new MemarcError('INTERRUPTED', `writing ${location} was aborted`);
      try {
        if (!stream.writableFinished) await finished(stream);
        await fsyncPath(tmp);
        await publish(tmp, final, location, force);
        await fsyncPath(dir);
      } catch (err) {
        await removeTmp();
        throw ioError(`cannot write ${location}`, err, 'check free space and permissions of the destination directory');
      }
      state = 'committed';
    },
    async abort() {
      if (state === 'committed') return;
      state = 'aborted';
      stream.destroy();
      await removeTmp();
    },
  };
  opts.signal?.addEventListener('abort', () => { void output.abort(); }, { once: true });
  return output;
}
