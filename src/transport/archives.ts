/**
 * Listing and pruning the archives in a directory or under an `s3://bucket/prefix/`.
 *
 * Archives are ordered by the `createdAt` recorded in their header, never by file or object
 * modification time (a copy, a restore from tape or an `aws s3 sync` changes those). Each archive
 * is read at both ends, never in between: its first entry (a ranged GET of the first 4 MiB on
 * S3, the same window locally) for the header, and its last bytes (tail.ts; a ranged GET of the
 * last MiB) to classify it as complete (trailer and end-of-archive marker present) or incomplete
 * (an interrupted `export -o - > file`, a copy cut short). Anything that is not a memarc archive
 * (other files, `.partial` leftovers, dotfiles, sub-folders) is skipped with a reason and never
 * deleted.
 *
 * Retention (`pruneArchives`) counts complete archives only. A complete archive is KEPT if it is
 * among the `keep` newest complete archives OR younger than `maxAgeMs`; it is deleted only if it
 * fails every rule given. With both rules this is the union of what each would keep, so adding a
 * rule can only keep more. The newest complete archive is always kept, so a policy like "14
 * days" cannot delete the last backup after backups stopped two weeks ago, and a newer truncated
 * file cannot push it out. Incomplete archives never count toward `keep`, are reported apart, and
 * are deleted only with `deleteIncomplete`. At least one rule is required.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat, unlink } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import path from 'node:path';
import { MemarcError } from '../errors.ts';
import { readArchiveHead, NotAnArchiveError } from './header.ts';
import type { ArchiveHeader } from './header.ts';
import { isPartialName } from './file.ts';
import { parseLocation, s3Url } from './location.ts';
import { deleteS3Object, listS3Objects } from './s3.ts';
import { resolveS3 } from './s3-client.ts';
import type { S3Options } from './s3-client.ts';
import { s3Input } from './s3-download.ts';
import { archiveCompleteness, type ReadRange } from './tail.ts';

/** Bytes read from the start of each archive to find its header. */
export const HEADER_WINDOW = 4 * 1024 * 1024;

export interface ArchiveInfo {
  /** Path or s3:// URL of the archive. */
  location: string;
  name: string;
  size: number;
  /** From the header. */
  createdAt: Date;
  header: ArchiveHeader;
  /** Whether the archive ends with its trailer and the end-of-archive marker (tail.ts). */
  complete: boolean;
  /** Why an incomplete archive is incomplete. */
  incompleteReason?: string;
}

export interface SkippedEntry {
  location: string;
  reason: string;
}

export interface ListOptions {
  s3?: S3Options;
  /** Called once per skipped entry (default: nothing; the entries are also returned). */
  onWarning?: (message: string) => void;
}

export interface ListResult {
  /** Complete and incomplete archives, newest first (see `complete`). */
  archives: ArchiveInfo[];
  skipped: SkippedEntry[];
}

export interface PruneOptions extends ListOptions {
  /** Keep the N newest complete archives (N ≥ 1). */
  keep?: number;
  /** Keep archives younger than this many milliseconds (see parseDuration). */
  maxAgeMs?: number;
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** Also delete incomplete archives (by default they are only reported). */
  deleteIncomplete?: boolean;
  /** "Now" for the age rule (tests); default Date.now(). */
  now?: number;
}

export interface PruneResult {
  /** Complete archives kept by the rules. */
  kept: ArchiveInfo[];
  /** Deleted, or with dryRun those that would be (incomplete ones only with deleteIncomplete). */
  deleted: ArchiveInfo[];
  /** Incomplete archives left in place (without deleteIncomplete). */
  incomplete: ArchiveInfo[];
  skipped: SkippedEntry[];
  dryRun: boolean;
}

interface Candidate {
  location: string;
  name: string;
  size: number;
  open: () => import('node:stream').Readable;
  readRange: ReadRange;
  remove: () => Promise<void>;
}

async function readFileRange(p: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(p, 'r');
  try {
    const out = Buffer.alloc(end - start);
    let got = 0;
    while (got < out.length) {
      const { bytesRead } = await fh.read(out, got, out.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return out.subarray(0, got);
  } finally {
    await fh.close();
  }
}

async function dirCandidates(dir: string, skipped: SkippedEntry[]): Promise<Candidate[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MemarcError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot list ${dir}: ${(err as Error).message}`, { cause: err, hint: 'give a directory that holds archives' });
  }
  const out: Candidate[] = [];
  for (const name of names.sort()) {
    const p = path.join(dir, name);
    if (name.startsWith('.')) {
      skipped.push({ location: p, reason: isPartialName(name) ? 'an unfinished write (.partial)' : 'a hidden file' });
      continue;
    }
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile()) {
      skipped.push({ location: p, reason: 'not a regular file' });
      continue;
    }
    out.push({
      location: p,
      name,
      size: st.size,
      open: () => createReadStream(p, { start: 0, end: HEADER_WINDOW - 1 }),
      readRange: (start, end) => readFileRange(p, start, end),
      remove: () => unlink(p),
    });
  }
  return out;
}

async function s3Candidates(bucket: string, key: string, opts: ListOptions): Promise<Candidate[]> {
  const s3 = resolveS3(opts.s3);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const objects = await listS3Objects(s3, bucket, prefix);
  return objects.map((o) => ({
    location: s3Url(bucket, o.key),
    name: o.key.slice(prefix.length),
    size: o.size,
    open: () => s3Input(s3, bucket, o.key, { range: { start: 0, end: Math.min(HEADER_WINDOW, Math.max(o.size, 1)) - 1 } }),
    readRange: (start, end) => buffer(s3Input(s3, bucket, o.key, { range: { start, end: end - 1 } })),
    remove: () => deleteS3Object(s3, bucket, o.key),
  }));
}

async function collect(location: string, opts: ListOptions): Promise<{ found: Array<ArchiveInfo & { remove: () => Promise<void> }>; skipped: SkippedEntry[] }> {
  const loc = parseLocation(location);
  if (loc.kind === 'stdio') throw new MemarcError('USAGE', 'standard input/output cannot be listed', { hint: 'give a directory or an s3://bucket/prefix' });
  const skipped: SkippedEntry[] = [];
  const candidates = loc.kind === 's3' ? await s3Candidates(loc.bucket, loc.key, opts) : await dirCandidates(loc.path, skipped);
  const found: Array<ArchiveInfo & { remove: () => Promise<void> }> = [];
  for (const c of candidates) {
    if (c.size === 0) {
      skipped.push({ location: c.location, reason: 'empty' });
      continue;
    }
    try {
      const { header, sha256 } = await readArchiveHead(c.open());
      const end = await archiveCompleteness(c.size, c.readRange, { headerSha256: sha256 });
      found.push({
        location: c.location,
        name: c.name,
        size: c.size,
        createdAt: new Date(header.createdAt),
        header,
        complete: end.complete,
        ...(end.complete ? {} : { incompleteReason: end.reason }),
        remove: c.remove,
      });
    } catch (err) {
      if (!(err instanceof NotAnArchiveError)) throw err;
      skipped.push({ location: c.location, reason: `not a memarc archive: ${err.message}` });
    }
  }
  for (const s of skipped) opts.onWarning?.(`skipping ${s.location}: ${s.reason}`);
  // Newest first; equal times by name so the order is stable.
  found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { found, skipped };
}

const publicInfo = ({ location, name, size, createdAt, header, complete, incompleteReason }: ArchiveInfo): ArchiveInfo => ({
  location,
  name,
  size,
  createdAt,
  header,
  complete,
  ...(incompleteReason !== undefined ? { incompleteReason } : {}),
});

/** The memarc archives in a directory or under an S3 prefix, newest first by header `createdAt`. */
export async function listArchives(location: string, opts: ListOptions = {}): Promise<ListResult> {
  const { found, skipped } = await collect(location, opts);
  return { archives: found.map(publicInfo), skipped };
}

/** Deletes archives outside the retention policy (see the module comment for how rules combine). */
export async function pruneArchives(location: string, opts: PruneOptions): Promise<PruneResult> {
  const { keep, maxAgeMs } = opts;
  if (keep === undefined && maxAgeMs === undefined) {
    throw new MemarcError('USAGE', 'prune needs a retention rule', { hint: 'pass --keep N and/or --max-age DURATION (e.g. 14d)' });
  }
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) {
    throw new MemarcError('USAGE', `--keep must be a whole number of at least 1, got ${keep}`, { hint: 'memarc always keeps the newest archive' });
  }
  if (maxAgeMs !== undefined && (!Number.isFinite(maxAgeMs) || maxAgeMs < 0)) {
    throw new MemarcError('USAGE', `--max-age must be a positive duration, got ${maxAgeMs}`, { hint: 'write it as 30m, 12h, 14d' });
  }
  const now = opts.now ?? Date.now();
  const { found, skipped } = await collect(location, opts);
  const kept: ArchiveInfo[] = [];
  const incomplete: ArchiveInfo[] = [];
  const doomed: Array<ArchiveInfo & { remove: () => Promise<void> }> = [];
  let rank = 0;
  for (const a of found) {
    if (!a.complete) {
      if (opts.deleteIncomplete) doomed.push(a);
      else incomplete.push(publicInfo(a));
      continue;
    }
    // Rank among complete archives only: a truncated file never takes a place of `keep`, and
    // rank 0 (the newest complete archive) is always kept.
    const byCount = rank++ < Math.max(1, keep ?? 0);
    const byAge = maxAgeMs !== undefined && now - a.createdAt.getTime() < maxAgeMs;
    if (byCount || byAge) kept.push(publicInfo(a));
    else doomed.push(a);
  }
  const deleted: ArchiveInfo[] = [];
  if (!opts.dryRun) {
    for (const a of doomed) {
      try {
        await a.remove();
      } catch (err) {
        const base = err instanceof MemarcError ? err : new MemarcError('IO', `cannot delete ${a.location}: ${(err as Error).message}`, { cause: err });
        throw new MemarcError(base.code, base.message, {
          cause: base,
          hint: `${deleted.length} archive(s) were deleted before this failure; fix the cause and run prune again`,
          context: { deleted: deleted.map((d) => d.location) },
        });
      }
      deleted.push(publicInfo(a));
    }
  } else {
    deleted.push(...doomed.map(publicInfo));
  }
  return { kept, deleted, incomplete, skipped, dryRun: opts.dryRun === true };
}
