/**
 * Is an archive complete? Answered from its last bytes only, so `ls` and `prune` can tell a
 * finished backup from one cut short (an interrupted `export -o - > file`, a copy that stopped)
 * without reading the whole archive: a ranged GET of the tail on S3, a positioned read locally.
 *
 * A complete archive ends, per spec/FORMAT.md §3.1, §3.4 and §10, with the `trailer.json` entry
 * followed by the end-of-archive marker (two or more 512-byte zero blocks). The tail is complete
 * when:
 *
 * - its size is a whole number of 512-byte blocks and it ends with at least two zero blocks;
 * - the entry right before those zero blocks is `trailer.json` (a ustar header with a correct
 *   checksum, named by its name field or by a pax `path` record, whose data ends exactly where
 *   the zero blocks start);
 * - that trailer is a valid trailer (`complete: true`, every required member), its recorded
 *   SHA-256 of `header.json` is the one of the header read from the archive's start (so a
 *   concatenation of two archives or a spliced file is not mistaken for one), and its shard
 *   bytes fit in the file.
 *
 * This is a classification, not a verification: `memarc verify` still checks every byte.
 */
import { MemarcError } from '../errors.ts';
import { validateTrailer, type Trailer } from '../format/header.ts';
import { parsePlainJson } from '../format/json.ts';

const BLOCK = 512;
/** Read first: the trailer of an archive of a few thousand shards fits. */
export const TAIL_WINDOW = 1024 * 1024;
/** Read when the trailer is not in the first window: the reader's limit for a trailer, plus tar framing. */
export const MAX_TAIL_WINDOW = 64 * 1024 * 1024 + 16 * BLOCK;

export type Completeness = { complete: true; trailer: Trailer } | { complete: false; reason: string };

/** Reads bytes [start, end) of the archive. */
export type ReadRange = (start: number, end: number) => Promise<Buffer>;

export interface TailOptions {
  /** SHA-256 of `header.json` as read from the start of the archive. */
  headerSha256?: string;
  window?: number;
}

export async function archiveCompleteness(size: number, read: ReadRange, opts: TailOptions = {}): Promise<Completeness> {
  if (size % BLOCK !== 0) return incomplete(`its size (${size} bytes) is not a whole number of 512-byte tar blocks: it was cut short`);
  if (size < 4 * BLOCK) return incomplete('it is too short to hold a header, a trailer and the end-of-archive marker');
  const first = Math.min(size, opts.window ?? TAIL_WINDOW);
  let found = classify(await read(size - first, size), size, first === size, opts);
  if (found === 'look-further' && first < size) {
    const wider = Math.min(size, MAX_TAIL_WINDOW);
    found = classify(await read(size - wider, size), size, wider === size, opts);
  }
  return found === 'look-further' ? incomplete('no trailer.json entry ends right before the end-of-archive marker') : found;
}

function incomplete(reason: string): Completeness {
  return { complete: false, reason };
}

function classify(tail: Buffer, size: number, whole: boolean, opts: TailOptions): Completeness | 'look-further' {
  let end = tail.length;
  while (end >= BLOCK && isZero(tail, end - BLOCK)) end -= BLOCK;
  const zeroBlocks = (tail.length - end) / BLOCK;
  if (zeroBlocks < 2) return incomplete(zeroBlocks === 0 ? 'it does not end with the tar end-of-archive marker (an interrupted write or copy)' : 'its end-of-archive marker is cut short');
  if (end === 0) return whole ? incomplete('it holds only zero blocks') : 'look-further';
  for (let at = end - BLOCK; at >= 0; at -= BLOCK) {
    const h = ustar(tail, at);
    if (!h || at + BLOCK + padded(h.size) !== end) continue;
    const name = h.name === 'trailer.json' ? h.name : paxPath(tail, at);
    if (name !== 'trailer.json') return incomplete(`its last entry is ${JSON.stringify(name ?? h.name)}, not trailer.json: the write did not finish`);
    return checkTrailer(tail.subarray(at + BLOCK, at + BLOCK + h.size), size, opts);
  }
  return whole ? incomplete('no tar entry ends right before the end-of-archive marker') : 'look-further';
}

function checkTrailer(data: Buffer, size: number, opts: TailOptions): Completeness {
  let trailer: Trailer;
  try {
    trailer = validateTrailer(parsePlainJson(data.toString('utf8')));
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof MemarcError || err instanceof RangeError) {
      return incomplete(`its trailer.json is not a valid trailer: ${err.message}`);
    }
    throw err;
  }
  if (opts.headerSha256 !== undefined && trailer.header.sha256 !== opts.headerSha256) {
    return incomplete('its trailer records another header.json than the one it starts with (two archives joined?)');
  }
  if (trailer.totals.bytes > size) return incomplete(`its trailer counts ${trailer.totals.bytes} bytes of shards, more than the file holds`);
  return { complete: true, trailer };
}

const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

function isZero(b: Buffer, at: number): boolean {
  for (let i = at; i < at + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function field(b: Buffer, at: number, len: number): string {
  const s = b.subarray(at, at + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('latin1');
}

function octal(b: Buffer, at: number, len: number): number | undefined {
  const t = field(b, at, len).trim();
  return /^[0-7]+$/.test(t) ? parseInt(t, 8) : undefined;
}

/** A ustar header block at `at` with a correct checksum: its type, size and name; else undefined. */
function ustar(b: Buffer, at: number): { type: string; size: number; name: string } | undefined {
  if (b.toString('latin1', at + 257, at + 262) !== 'ustar') return undefined;
  const stored = octal(b, at + 148, 8);
  if (stored === undefined) return undefined;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[at + i]!;
  if (sum !== stored) return undefined;
  const size = octal(b, at + 124, 12);
  if (size === undefined) return undefined;
  const prefix = field(b, at + 345, 155);
  const name = field(b, at, 100);
  return { type: String.fromCharCode(b[at + 156]!), size, name: prefix ? `${prefix}/${name}` : name };
}

/** The `path` record of a pax extended header that ends right before the entry at `entryAt`. */
function paxPath(b: Buffer, entryAt: number): string | undefined {
  for (let at = entryAt - BLOCK; at >= 0; at -= BLOCK) {
    const h = ustar(b, at);
    if (!h || at + BLOCK + padded(h.size) !== entryAt) continue;
    if (h.type !== 'x') return undefined;
    const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(b.toString('utf8', at + BLOCK, at + BLOCK + h.size));
    return m?.[1];
  }
  return undefined;
}
