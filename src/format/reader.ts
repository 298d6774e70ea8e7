/**
 * The archive reader: tar bytes in; the header, then verified records, then the verified trailer
 * out, as an async iterable of events (spec/FORMAT.md, "Reading").
 *
 * Every shard's gzip bytes are read whole (bounded by `maxShardBytes`) and their SHA-256
 * compared with the pax header; then the shard is inflated line by line under a hard output cap,
 * every line parsed and validated, and only then inflated a second time to hand its records on:
 * a corrupt, truncated, hostile or malformed shard yields no record at all, and the NDJSON is
 * never held whole (shard-lines.ts). Memory is bounded by the limits below (spec §13).
 *
 * The trailer is the commit marker; the `trailer` event comes only after every count, checksum
 * and content digest agrees with it and the tar has ended cleanly, so a consumer must not make
 * anything visible before it.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TextDecoder } from 'node:util';
import tar from 'tar-stream';
import { MemarcError, type ErrorCode } from '../errors.ts';
import { DatasetDigest, RecordKeyError } from './digest.ts';
import { datasetLabel, primaryKeyOf, tableColumns } from './datasets.ts';
import { validateHeader, validateTrailer, type Header, type HeaderDataset, type Trailer, type TrailerShard } from './header.ts';
import { parseJsonBounded, parseRecordLine } from './json.ts';
import { MAX_META_NESTING, MAX_RECORD_NESTING, NestingError } from './nesting.ts';
import { CHECKSUMS_ENTRY, HEADER_ENTRY, parseShardName, TRAILER_ENTRY, unsafeNameReason } from './names.ts';
import type { AnyRecord, RecordKind, RowRecord } from './records.ts';
import { recordProblem, rowSchemaProblem } from './validate.ts';
import { COUNT_VALUES_ABOVE, countValues, LONG_LINE } from './line-values.ts';
import { shardLines } from './shard-lines.ts';
import { leftGarbage } from './collect.ts';

const MiB = 1024 * 1024;

/**
 * Chosen so that reading any archive within them stays under 300 MiB of RSS, the CLI's own
 * ~110 MiB included (measured: bench/hostile.bench.ts, bench/RESULTS.md).
 */
export const DEFAULT_LIMITS = {
  /** header.json, CHECKSUMS.sha256, trailer.json, each. */
  maxMetaBytes: 16 * MiB,
  /**
   * JSON values in header.json and trailer.json together: both are held parsed (and printed by
   * `inspect --json`), at about 150 bytes of RSS a value. A one-shard dataset takes 35: this
   * admits about 22,000 of them.
   */
  maxMetaValues: 768 * 1024,
  /** A shard entry (gzip bytes); it is held in memory while it is verified. */
  maxShardBytes: 16 * MiB,
  /** A shard's NDJSON after decompression: the decompression-bomb limit. Streamed, never held. */
  maxShardRawBytes: 512 * MiB,
  /** One record line (bytes, without its newline); its text, parsed value and hash input take ~10×. */
  maxLineBytes: 4 * MiB,
  /** JSON values in one record line (what its parsed form costs, ~100 bytes each; see line-values.ts). */
  maxLineValues: 256 * 1024,
  /** Bytes of entries memarc does not know (skipped, never stored). */
  maxUnknownEntryBytes: 1024 * MiB,
};

/** Records handed on per `records` event are also cut at this many bytes of NDJSON (by default). */
const BATCH_BYTES = 1 * MiB;
/** The least `batchBytes` taken: one record a batch is not what it is for. */
const MIN_BATCH_BYTES = 16 * 1024;

export interface ReaderOptions extends Partial<typeof DEFAULT_LIMITS> {
  /** Records per `records` event. */
  batchSize?: number;
  /**
   * Bytes of NDJSON after which a `records` batch is cut (after the line that reaches it): one
   * number, or one a dataset (undefined: the default), asked at each of its shards. Default
   * 1 MiB, at least 16 KiB. A batch is held parsed until its consumer is done with it, so smaller
   * batches die in V8's young generation more often (bench/RESULTS.md, "Session 14"); `lines`
   * events (`readArchiveLines`, the reader thread) keep the default.
   */
  batchBytes?: number | ((dataset: HeaderDataset) => number | undefined);
  /**
   * Whether a shard's records are wanted (default: every shard's). A shard whose records are not
   * wanted is checked as every other is, and none are handed on: an import's datasets without a
   * target, and the shards a resumed import loaded before. `records: false` wants none.
   */
  wants?: (dataset: HeaderDataset, entry: string) => boolean;
  /**
   * Whether a dataset's content digest is recomputed and compared with the trailer's (default:
   * every dataset's). For a dataset where it answers false, every record is still checked (shape,
   * node keys, edge endpoints, unique point ids and primary keys) and counted, but none is hashed:
   * its `records` events carry no `hashes`, the trailer event's `digests` has no entry for it, and
   * the trailer's digest of it is left to the consumer, who must compare it with a digest of its
   * own (an import whose sink digests what the target holds, DatasetSink.digestsTarget). The
   * one-thread reader only.
   */
  digest?: (dataset: HeaderDataset) => boolean;
  /**
   * false: check entry checksums, names, order and the trailer, but do not decompress shards or
   * recompute digests (`memarc inspect`). Default true.
   */
  decode?: boolean;
  /**
   * false: decode and check every record, but hand none on (no `records` events): `memarc verify`,
   * which then inflates each shard once instead of twice. Default true.
   */
  records?: boolean;
  /**
   * true (default): a shard's records are handed on only once the whole shard has passed every
   * check, so a corrupt or hostile shard hands on none (the shard is inflated and parsed twice).
   * false: each record is handed on as it is checked, in one pass; a shard that fails part way
   * has handed on the batches before the failure, and the error comes after them. For a consumer
   * that can undo what it did with them when the read fails (an import, whose load is staged and
   * rolled back), it saves the second inflate and parse of every shard.
   */
  checkShardFirst?: boolean;
  signal?: AbortSignal;
  /** Unknown entries (from a newer minor version) are skipped; this hears about them. */
  onWarning?: (msg: string) => void;
}

/** An entry the reader does not know (a later minor version's): skipped, and reported. */
export interface UnknownEntry {
  entry: string;
  size: number;
}

export type ArchiveEvent =
  | { type: 'header'; header: Header; sha256: string; size: number }
  /**
   * `hashes`: each record's content-digest hash (32 bytes a record, in order), when the records
   * were checked in the same pass (`checkShardFirst: false`): a sink that digests what it
   * verified adds them (DatasetDigest.addRecordHash) instead of hashing each record again.
   */
  | { type: 'records'; dataset: HeaderDataset; kind: RecordKind; entry: string; firstLine: number; records: AnyRecord[]; hashes?: Uint8Array }
  | { type: 'shard'; dataset: HeaderDataset; shard: TrailerShard }
  | { type: 'trailer'; trailer: Trailer; digests: Map<number, string> | null; unknownEntries: UnknownEntry[] };

function fail(code: ErrorCode, message: string, context: Record<string, unknown> = {}, hint?: string): never {
  throw new MemarcError(code, message, { context, hint: hint ?? defaultHint(code) });
}

/** For the limits the CLI has no flag for: only a library caller can raise them. */
/** `maxLineValues` → `--max-line-values`: every reader limit has a CLI flag of the same name. */
const flagOf = (option: string) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const optionHint = (option: string) => `${flagOf(option)} (CLI) or the reader option ${option} (library) raises this limit for an archive you trust; otherwise treat it as hostile`;

function defaultHint(code: ErrorCode): string {
  switch (code) {
    case 'TRUNCATED':
    case 'MISSING_TRAILER':
      return 'the archive is incomplete (an interrupted write or copy); use a complete copy';
    case 'CHECKSUM_MISMATCH':
    case 'DIGEST_MISMATCH':
    case 'COUNT_MISMATCH':
      return 'the archive is corrupt or was altered; restore from another copy';
    case 'LIMIT_EXCEEDED':
      return 'if you trust this archive, raise the limit (see `memarc verify --help`); otherwise treat it as hostile';
    default:
      return 'the archive is not a valid memarc archive; do not restore from it';
  }
}

type EntryLike = { header: { size: number } };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// ignoreBOM keeps a BOM in the text, where JSON.parse refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
type Limits = typeof DEFAULT_LIMITS;

/** Reads an archive; see the module comment. Stop early by leaving the loop: everything is released. */
export function readArchive(source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions = {}): AsyncGenerator<ArchiveEvent, void, undefined> {
  return readEvents(source, opts, null) as AsyncGenerator<ArchiveEvent, void, undefined>;
}

/**
 * A shard's checked lines, as bytes, where `readArchive` hands on records: the reader thread's
 * form (reader-thread.ts), whose consumer parses them. Line i is `bytes` from `ends[i - 1]` (0 for
 * the first) to `ends[i]`, without its newline; `bytes` is the start of a buffer `readArchiveLines`
 * was given for the batch (or a larger one, when a line did not fit), no longer the reader's.
 * `garbage` is what the batch's records will leave behind once parsed, for the consumer's
 * collector (collect.ts).
 */
export type LinesEvent = { type: 'lines'; dataset: HeaderDataset; kind: RecordKind; entry: string; firstLine: number; bytes: Uint8Array; ends: Uint32Array; hashes: Uint8Array; garbage: number };

/**
 * `readArchive` with `lines` events in place of `records` (one pass over each shard, always), each
 * batch's lines in a buffer `lineBuffer` gives (at least LINES_BUFFER bytes; a larger one is made
 * when a batch does not fit).
 */
export function readArchiveLines(source: Readable | AsyncIterable<Uint8Array>, opts: Omit<ReaderOptions, 'checkShardFirst' | 'records' | 'decode'>, lineBuffer: () => Uint8Array): AsyncGenerator<Exclude<ArchiveEvent, { type: 'records' }> | LinesEvent, void, undefined> {
  return readEvents(source, { ...opts, checkShardFirst: false }, lineBuffer) as AsyncGenerator<Exclude<ArchiveEvent, { type: 'records' }> | LinesEvent, void, undefined>;
}

/** `lineBuffer`: hand on `lines` events, each batch in a buffer it gives (`readArchiveLines`). */
async function* readEvents(source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions, lineBuffer: (() => Uint8Array) | null): AsyncGenerator<ArchiveEvent | LinesEvent, void, undefined> {
  const lim = { ...DEFAULT_LIMITS, ...stripUndefined(opts) };
  const decode = opts.decode ?? true;
  const handOn = opts.records ?? true;
  const checkFirst = opts.checkShardFirst ?? true;
  const batchSize = opts.batchSize ?? 1000;
  const bytesFor = (ds: HeaderDataset): number => Math.max(MIN_BATCH_BYTES, (typeof opts.batchBytes === 'function' ? opts.batchBytes(ds) : opts.batchBytes) ?? BATCH_BYTES);
  const extract = tar.extract();
  let bytesIn = 0;
  /** Offset just past the last non-zero byte: tar's end-of-archive blocks are zeros. */
  let dataEnd = 0;
  let firstBytes: Buffer | null = null;
  const feeding = pipeline(
    source,
    async function* (src: AsyncIterable<Uint8Array>) {
      for await (const chunk of src) {
        if (firstBytes === null) firstBytes = Buffer.from(chunk.subarray(0, 4));
        let i = chunk.length - 1;
        while (i >= 0 && chunk[i] === 0) i--;
        if (i >= 0) dataEnd = bytesIn + i + 1;
        bytesIn += chunk.length;
        yield chunk;
      }
    },
    extract,
    opts.signal ? { signal: opts.signal } : {},
  );
  let feedError: unknown = null;
  feeding.catch((err: unknown) => (feedError ??= err));

  let header: Header | null = null;
  let headerSum: { size: number; sha256: string } | null = null;
  let checksumsSum: { size: number; sha256: string } | null = null;
  let trailer: Trailer | null = null;
  let trailerEnd = 0;
  let lastEntry = '(start of archive)';
  /** The entry being read, while it is: a truncation inside it names it. */
  let currentEntry: string | null = null;
  /** Where the last complete entry ends (its data padded to 512); bytes past it belong to an unfinished one. */
  let lastEnd = 0;
  const seen = new Map<string, TrailerShard>();
  const state = { dataset: 0, kindPos: -1, seq: 0 } as { dataset: number; kindPos: number; seq: number };
  const digests = new Map<number, DatasetDigest>();
  const unknownEntries: UnknownEntry[] = [];
  /** JSON values header.json held: the trailer gets what is left of maxMetaValues. */
  let metaValues = 0;
  let done = false;

  try {
    try {
      for await (const entry of extract) {
        const h = entry.header;
        const name = h.name;
        currentEntry = name;
        const entryEnd = entry.offset + 512 + Math.ceil(h.size / 512) * 512;
        if (h.type === 'directory') {
          fail('LINK_ENTRY', `entry ${JSON.stringify(name)} is a directory; memarc archives hold only regular files`, { entry: name }, 'was the archive extracted and packed again with tar? Use the original archive');
        }
        const reason = unsafeNameReason(name);
        if (reason) fail('UNSAFE_ENTRY', `entry ${JSON.stringify(name)} after ${lastEntry}: ${reason}`, { entry: name }, 'memarc never writes such a name; treat this archive as hostile');
        if (h.type !== 'file' && h.type !== 'contiguous-file') {
          fail('LINK_ENTRY', `entry ${name} is a ${h.type}${h.linkname ? ` to ${JSON.stringify(h.linkname)}` : ''}; memarc archives hold only regular files`, { entry: name }, 'memarc never writes links or special files; treat this archive as hostile');
        }
        if (trailer) fail('MALFORMED_ARCHIVE', `entry ${name} follows trailer.json, which must be the last entry`, { entry: name });

        if (!header) {
          if (name !== HEADER_ENTRY) fail('MALFORMED_ARCHIVE', `the first entry is ${name}, not ${HEADER_ENTRY}: this is not a memarc archive`, { entry: name });
          const meta = await readMeta(entry, name, lim.maxMetaBytes, lim.maxMetaValues);
          headerSum = { size: meta.size, sha256: meta.sha256 };
          metaValues = meta.values;
          header = validateHeader(meta.doc);
          lastEntry = name;
          lastEnd = entryEnd;
          yield { type: 'header', header, sha256: headerSum.sha256, size: meta.size };
          continue;
        }

        if (name === HEADER_ENTRY) {
          // tar x keeps the last of two same-named entries: a second header would replace the one verified.
          fail('MALFORMED_ARCHIVE', `a second ${HEADER_ENTRY} follows ${lastEntry}; ${HEADER_ENTRY} must be the first entry and only it`, { entry: name }, 'an archive with two headers is not one memarc wrote; treat it as hostile');
        }

        const shardName = parseShardName(name);
        if (shardName) {
          if (seen.has(name)) fail('DUPLICATE_SHARD', `shard ${name} appears twice`, { entry: name });
          if (checksumsSum !== null) fail('MALFORMED_ARCHIVE', `shard ${name} follows ${CHECKSUMS_ENTRY}; every shard must come before it`, { entry: name });
          const ds = header.datasets[shardName.index - 1];
          if (!ds || ds.dir !== shardName.dir) fail('MALFORMED_ARCHIVE', `shard ${name} belongs to no dataset of the header`, { entry: name });
          const kindPos = ds.recordKinds.indexOf(shardName.kind);
          if (kindPos < 0) fail('MALFORMED_ARCHIVE', `shard ${name}: a ${datasetLabel(ds)} dataset holds no ${shardName.kind} records`, { entry: name });
          // A graph's node table (one hash per node, to resolve edges) is not needed past its dataset.
          if (state.dataset !== ds.index) digests.get(state.dataset)?.dropNodeTable();
          checkOrder(state, ds, kindPos, shardName.seq, name);
          const pax = (h.pax ?? {}) as Record<string, string>;
          const declared = {
            records: paxCount(pax, 'MEMARC.records', name),
            rawSize: paxCount(pax, 'MEMARC.rawsize', name),
            sha256: pax['MEMARC.sha256'],
          };
          if (typeof declared.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(declared.sha256)) fail('MALFORMED_ARCHIVE', `shard ${name} has no MEMARC.sha256 pax record`, { entry: name });
          if (declared.rawSize > lim.maxShardRawBytes) {
            fail('LIMIT_EXCEEDED', `shard ${name} declares ${declared.rawSize} bytes of records, over the limit of ${lim.maxShardRawBytes}`, { entry: name, limit: lim.maxShardRawBytes }, optionHint('maxShardRawBytes'));
          }
          const body = await readWhole(entry, lim.maxShardBytes, name, 'maxShardBytes');
          const actual = sha256(body);
          if (actual !== declared.sha256) fail('CHECKSUM_MISMATCH', `shard ${name}: SHA-256 is ${actual}, its header records ${declared.sha256}`, { entry: name });
          const shard: TrailerShard = { entry: name, dataset: ds.index, kind: shardName.kind, seq: shardName.seq, records: declared.records, size: body.length, rawSize: declared.rawSize, sha256: actual };
          seen.set(name, shard);
          lastEntry = name;
          lastEnd = entryEnd;
          if (decode) {
            let digest = digests.get(ds.index);
            if (!digest) digests.set(ds.index, (digest = new DatasetDigest({ major: header.formatVersion.major, uniqueKeys: true, primaryKey: primaryKeyOf(ds), hashes: lineBuffer !== null || (opts.digest?.(ds) ?? true) })));
            const give = handOn && (opts.wants?.(ds, name) ?? true);
            if (give && lineBuffer) {
              for await (const b of checkedLines(body, shard, lim, digest, ds, batchSize, BATCH_BYTES, lineBuffer)) {
                yield { type: 'lines', dataset: ds, kind: shard.kind, entry: name, firstLine: b.firstLine, bytes: b.bytes, ends: b.ends, hashes: b.hashes, garbage: b.garbage };
              }
            } else if (give && !checkFirst) {
              for await (const b of checkedBatches(body, shard, lim, digest, ds, batchSize, bytesFor(ds))) {
                yield { type: 'records', dataset: ds, kind: shard.kind, entry: name, firstLine: b.firstLine, records: b.records, ...(b.hashes ? { hashes: b.hashes } : {}) };
              }
            } else {
              await checkShard(body, shard, lim, digest, ds);
              if (give) {
                for await (const b of recordBatches(body, shard, lim, batchSize, bytesFor(ds))) {
                  yield { type: 'records', dataset: ds, kind: shard.kind, entry: name, firstLine: b.firstLine, records: b.records };
                }
              }
            }
          }
          yield { type: 'shard', dataset: ds, shard };
          continue;
        }

        if (name === CHECKSUMS_ENTRY) {
          if (checksumsSum !== null) fail('DUPLICATE_SHARD', `${CHECKSUMS_ENTRY} appears twice`, { entry: name });
          // No record follows (a shard after this entry is refused): the last dataset's node table
          // and key set go now, before the consumer verifies its targets against the trailer.
          for (const d of digests.values()) d.dropNodeTable();
          checksumsSum = await readChecksums(entry, lim.maxMetaBytes, headerSum!, seen);
          lastEntry = name;
          lastEnd = entryEnd;
          continue;
        }

        if (name === TRAILER_ENTRY) {
          if (checksumsSum === null) fail('MALFORMED_ARCHIVE', `${TRAILER_ENTRY} comes before ${CHECKSUMS_ENTRY}`, { entry: name });
          const meta = await readMeta(entry, name, lim.maxMetaBytes, lim.maxMetaValues - metaValues);
          trailer = validateTrailer(meta.doc);
          trailerEnd = entry.offset + 512 + Math.ceil(meta.size / 512) * 512;
          checkTrailer(trailer, header, headerSum!, checksumsSum!, seen, decode ? digests : null);
          lastEntry = name;
          lastEnd = entryEnd;
          continue;
        }

        // A safe name memarc does not know: a later minor version's entry. Skip it, bounded.
        opts.onWarning?.(`skipping unknown entry ${name}`);
        await drain(entry, lim.maxUnknownEntryBytes, name);
        unknownEntries.push({ entry: name, size: h.size });
        lastEntry = name;
        lastEnd = entryEnd;
      }
      await feeding;
    } catch (err) {
      throw translate(feedError ?? err, currentEntry, lastEntry, header !== null, firstBytes);
    }
    if (!header) fail('TRUNCATED', 'the archive is empty', {}, 'the input holds no tar entry; check the path or the pipe');
    if (!trailer && dataEnd > lastEnd) fail('TRUNCATED', `the archive ends inside the tar structure after ${lastEntry} (${dataEnd - lastEnd} bytes of an unfinished entry)`, { entry: lastEntry });
    if (!trailer) fail('MISSING_TRAILER', `the archive ends after ${lastEntry} without ${TRAILER_ENTRY}: it was never completed`, { entry: lastEntry });
    // The trailer's own padding and tar's two zero blocks must follow; a copy cut inside them is incomplete too.
    if (bytesIn < trailerEnd + 1024) fail('TRUNCATED', `the archive ends ${trailerEnd + 1024 - bytesIn} bytes short of the end-of-archive marker after ${TRAILER_ENTRY}`, { entry: TRAILER_ENTRY });
    done = true;
    yield { type: 'trailer', trailer, digests: decode ? new Map([...digests].filter(([, d]) => d.hashing).map(([i, d]) => [i, d.hex()])) : null, unknownEntries };
  } finally {
    // However the read ends (done, refused, or the consumer stopped early): a big graph's node
    // table holds a temporary file.
    for (const d of digests.values()) d.dropNodeTable();
    if (!done) {
      extract.destroy();
      await feeding.catch(() => {});
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkOrder(state: { dataset: number; kindPos: number; seq: number }, ds: HeaderDataset, kindPos: number, seq: number, name: string): void {
  const expectedSeq = state.dataset === ds.index && state.kindPos === kindPos ? state.seq + 1 : 1;
  const backwards = ds.index < state.dataset || (ds.index === state.dataset && kindPos < state.kindPos);
  if (backwards || seq !== expectedSeq) {
    fail('MALFORMED_ARCHIVE', `shard ${name} is out of order (expected ${ds.recordKinds[kindPos]} shard ${expectedSeq} of ${ds.dir}, or a later dataset or kind)`, { entry: name });
  }
  state.dataset = ds.index;
  state.kindPos = kindPos;
  state.seq = seq;
}

function paxCount(pax: Record<string, string>, key: string, name: string): number {
  const v = pax[key];
  if (v === undefined || !/^\d{1,15}$/.test(v)) fail('MALFORMED_ARCHIVE', `shard ${name} has no valid ${key} pax record`, { entry: name });
  return Number(v);
}

async function readWhole(entry: EntryLike, limit: number, name: string, option: string): Promise<Buffer> {
  if (!Number.isSafeInteger(entry.header.size) || entry.header.size < 0) fail('MALFORMED_ARCHIVE', `entry ${name} has no valid size in its tar header`, { entry: name });
  if (entry.header.size > limit) fail('LIMIT_EXCEEDED', `entry ${name} is ${entry.header.size} bytes, over the limit of ${limit}`, { entry: name, limit }, optionHint(option));
  // One buffer of the declared size, filled in place: collecting chunks and concatenating them
  // would hold the entry twice at the end.
  const out = Buffer.allocUnsafe(entry.header.size);
  let n = 0;
  for await (const c of entry as unknown as AsyncIterable<Uint8Array>) {
    if (n + c.length > out.length) fail('LIMIT_EXCEEDED', `entry ${name} holds more than the ${out.length} bytes its tar header declares`, { entry: name, limit });
    out.set(c, n);
    n += c.length;
  }
  return n === out.length ? out : out.subarray(0, n);
}

async function drain(entry: EntryLike, limit: number, name: string): Promise<void> {
  let n = 0;
  for await (const c of entry as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > limit) fail('LIMIT_EXCEEDED', `unknown entry ${name} is over the limit of ${limit} bytes`, { entry: name, limit });
  }
}

function decodeUtf8(body: Uint8Array, name: string): string {
  try {
    return utf8.decode(body);
  } catch {
    return fail('MALFORMED_ARCHIVE', `${name} is not valid UTF-8`, { entry: name });
  }
}

/**
 * Reads and parses header.json or trailer.json. A function of its own, so that the bytes and the
 * text are garbage once it returns (a generator's frame would keep them until the next entry).
 */
async function readMeta(entry: EntryLike, name: string, maxBytes: number, maxValues: number): Promise<{ doc: unknown; values: number; size: number; sha256: string }> {
  const body = await readWhole(entry, maxBytes, name, 'maxMetaBytes');
  const { doc, values } = parseMeta(body, name, maxValues);
  leftGarbage(body.length * 3);
  return { doc, values, size: body.length, sha256: sha256(body) };
}

async function readChecksums(entry: EntryLike, maxBytes: number, headerSum: { sha256: string }, seen: Map<string, TrailerShard>): Promise<{ size: number; sha256: string }> {
  const body = await readWhole(entry, maxBytes, CHECKSUMS_ENTRY, 'maxMetaBytes');
  checkChecksums(decodeUtf8(body, CHECKSUMS_ENTRY), headerSum, seen);
  return { size: body.length, sha256: sha256(body) };
}

/** Parses header.json or trailer.json, refusing more than `maxValues` JSON values before parsing. */
function parseMeta(body: Buffer, name: string, maxValues: number): { doc: unknown; values: number } {
  const values = countValues(body, 0, body.length, maxValues);
  if (values > maxValues) {
    fail('LIMIT_EXCEEDED', `${name} holds more JSON values than the ${maxValues} left of the limit for header.json and trailer.json together`, { entry: name, limit: maxValues }, optionHint('maxMetaValues'));
  }
  const text = decodeUtf8(body, name);
  try {
    return { doc: parseJsonBounded(text, MAX_META_NESTING), values };
  } catch (err) {
    if (err instanceof NestingError) return fail('MALFORMED_ARCHIVE', `${name}: arrays and objects are nested more than ${MAX_META_NESTING} levels deep`, { entry: name, limit: MAX_META_NESTING });
    return fail('MALFORMED_ARCHIVE', `${name} is not valid JSON: ${(err as Error).message}`, { entry: name });
  }
}

/** One line of a shard, checked: size, UTF-8, JSON, record shape; then digested. Returns the record. */
function checkLine(name: string, lineNo: number, bytes: Buffer, line: string, shard: TrailerShard, lim: Limits, digest: DatasetDigest, ds: HeaderDataset, table: ReturnType<typeof tableColumns> | null, parse: (line: string, maxDepth: number) => unknown): { rec: AnyRecord; values: number; hash: Buffer } {
  if (lineNo > shard.records) fail('COUNT_MISMATCH', `shard ${name} holds more than the ${shard.records} records its header declares`, { entry: name, line: lineNo });
  if (line.charCodeAt(0) !== 0x7b || line.charCodeAt(line.length - 1) !== 0x7d) {
    fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: a record line must start with "{" and end with "}" (no whitespace, BOM or CR)`, { entry: name, line: lineNo });
  }
  let values = 0;
  // A line of n bytes holds at most n values, so a short line is counted only under a limit
  // lowered below its length.
  if (bytes.length > COUNT_VALUES_ABOVE || bytes.length > lim.maxLineValues) {
    values = countValues(bytes, 0, bytes.length, lim.maxLineValues);
    if (values > lim.maxLineValues) fail('LIMIT_EXCEEDED', `shard ${name}, line ${lineNo}: the record holds more than ${lim.maxLineValues} JSON values`, { entry: name, line: lineNo, limit: lim.maxLineValues }, optionHint('maxLineValues'));
  }
  let rec: unknown;
  try {
    rec = parse(line, MAX_RECORD_NESTING);
  } catch (err) {
    if (err instanceof NestingError) fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: arrays and objects are nested more than ${MAX_RECORD_NESTING} levels deep`, { entry: name, line: lineNo, limit: MAX_RECORD_NESTING });
    fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: not valid JSON (${(err as Error).message})`, { entry: name, line: lineNo });
  }
  const problem = recordProblem(shard.kind, rec) ?? (table ? rowSchemaProblem(rec as RowRecord, table.columns, table.primaryKey) : null);
  if (problem) fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: ${problem}`, { entry: name, line: lineNo });
  let hash: Buffer;
  try {
    hash = digest.add(shard.kind, rec as AnyRecord);
  } catch (err) {
    if (err instanceof RecordKeyError) fail('MALFORMED_RECORD', `dataset ${JSON.stringify(ds.name)}, shard ${name}, line ${lineNo}: ${err.message}`, { entry: name, line: lineNo, dataset: ds.name }, 'the archive breaks a rule of its format; restore from another copy, or fix the source and export again');
    if (err instanceof NestingError) fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: ${err.message}`, { entry: name, line: lineNo });
    throw err;
  }
  return { rec: rec as AnyRecord, values, hash };
}

/**
 * Checks a shard completely (gzip, declared sizes, every line: size, UTF-8, JSON, record shape,
 * digest). The parsed records are not kept: holding a whole shard of objects until they are
 * handed on would make them survive into V8's old space; `recordBatches` parses them again, a
 * batch at a time, once the whole shard has passed.
 */
async function checkShard(body: Buffer, shard: TrailerShard, lim: Limits, digest: DatasetDigest, ds: HeaderDataset): Promise<void> {
  const name = shard.entry;
  let count = 0;
  // Format 2 digests payload numbers in their written form (spec 8.1): parse them as records are
  // handed on. Only points have a payload; other kinds skip the second look at the line.
  const parse = digest.major >= 2 && shard.kind === 'point' ? parseRecordLine : parseJsonBounded;
  const table = ds.family === 'table' ? tableColumns(ds) : null;
  for await (const { lineNo, bytes, text: line } of shardLines(body, name, { rawSize: shard.rawSize, maxLineBytes: lim.maxLineBytes })) {
    const { values } = checkLine(name, lineNo, bytes, line, shard, lim, digest, ds, table, parse);
    // The record is garbage from here on; a collection must not find it still referenced.
    if (values) leftGarbage(lineGarbage(line, values));
    count = lineNo;
  }
  recordCount(shard, count);
}

/** Refuses a shard whose lines are not as many as its header declares. */
function recordCount(shard: TrailerShard, count: number): void {
  if (count !== shard.records) fail('COUNT_MISMATCH', `shard ${shard.entry} holds ${count} records, its header declares ${shard.records}`, { entry: shard.entry });
}

/**
 * The records of a shard checked and handed on in one pass (`checkShardFirst: false`): every
 * line is checked as `checkShard` checks it, then joins the batch. A shard that fails part way has
 * handed on the batches before the failure; its count is checked before the last batch goes.
 */
function checkedBatches(body: Buffer, shard: TrailerShard, lim: Limits, digest: DatasetDigest, ds: HeaderDataset, batchSize: number, batchBytes: number): AsyncGenerator<{ firstLine: number; records: AnyRecord[]; hashes: Uint8Array | undefined; garbage: number }> {
  return checkedItems(body, shard, lim, digest, ds, batchSize, batchBytes, (rec) => rec);
}

/**
 * A shard's lines checked in one pass, each kept as `keep` makes it, in batches (`batches`), with
 * each record's digest hash, 32 bytes a record in batch order (a sink that digests the records it
 * verified adds these, DatasetDigest.addRecordHash, rather than hashing each one again), and what
 * the batch's parsed records leave behind once their consumer is done with them (collect.ts).
 */
async function* checkedItems<T>(body: Buffer, shard: TrailerShard, lim: Limits, digest: DatasetDigest, ds: HeaderDataset, batchSize: number, batchBytes: number, keep: (rec: AnyRecord, raw: Buffer) => T): AsyncGenerator<{ firstLine: number; records: T[]; hashes: Uint8Array | undefined; garbage: number }> {
  const table = ds.family === 'table' ? tableColumns(ds) : null;
  // `batches` hands on at most batchSize lines at once; each batch gets a copy of what it used of
  // this scratch (a batch of a few records would otherwise carry room for batchSize); none when
  // the dataset is not hashed (ReaderOptions.digest).
  const hashes = new Uint8Array(digest.hashing ? 32 * batchSize : 0);
  let n = 0;
  let garbage = 0;
  const batched = batches(body, shard, lim, batchSize, batchBytes, (lineNo, raw, text) => {
    // Handed to sinks: payload numbers keep their written form (json.ts, spec section 15.3); the
    // digest reads them by the archive's rule either way.
    const { rec, values, hash } = checkLine(shard.entry, lineNo, raw, text, shard, lim, digest, ds, table, parseRecordLine);
    if (digest.hashing) hashes.set(hash, 32 * n++);
    if (values) {
      // This parse is garbage now; the consumer's records of the last batch are by now too.
      const g = lineGarbage(text, values);
      leftGarbage(g);
      garbage += g;
    }
    return keep(rec, raw);
  }, (count) => recordCount(shard, count));
  for await (const b of batched) {
    yield { ...b, hashes: digest.hashing ? hashes.slice(0, 32 * n) : undefined, garbage };
    n = 0;
    garbage = 0;
  }
}

/**
 * `checkedBatches` with each checked line handed on as its bytes (`readArchiveLines`), copied
 * into one buffer a batch; `garbage` is for the consumer's collector, which parses them. Bytes,
 * not strings: a batch's text would be a MiB of strings that survive in the young generation
 * until the batch is posted, on both threads.
 */
async function* checkedLines(body: Buffer, shard: TrailerShard, lim: Limits, digest: DatasetDigest, ds: HeaderDataset, batchSize: number, batchBytes: number, lineBuffer: () => Uint8Array): AsyncGenerator<{ firstLine: number; bytes: Uint8Array; ends: Uint32Array; hashes: Uint8Array; garbage: number }> {
  let buf = lineBuffer();
  let used = 0;
  const batched = checkedItems(body, shard, lim, digest, ds, batchSize, batchBytes, (_rec, raw) => {
    if (used + raw.length > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, used + raw.length));
      grown.set(buf.subarray(0, used));
      buf = grown;
    }
    buf.set(raw, used);
    used += raw.length;
    return used;
  });
  for await (const b of batched) {
    // Lines events always come with their hashes: their reader digests every dataset.
    yield { firstLine: b.firstLine, bytes: buf.subarray(0, used), ends: Uint32Array.from(b.records), hashes: b.hashes ?? new Uint8Array(0), garbage: b.garbage };
    buf = lineBuffer();
    used = 0;
  }
}

/** A batch's lines buffer: a batch is cut at BATCH_BYTES, after the line that reaches it. */
export const LINES_BUFFER = BATCH_BYTES + 64 * 1024;

/**
 * A shard's lines made records by `take`, in batches of at most `batchSize` records and about
 * `batchBytes` of NDJSON (a batch is held parsed until its consumer is done with it); `end` hears
 * the number of lines before the last batch is handed on.
 */
async function* batches<T>(body: Buffer, shard: TrailerShard, lim: Limits, batchSize: number, batchBytes: number, take: (lineNo: number, raw: Buffer, text: string) => T, end?: (count: number) => void): AsyncGenerator<{ firstLine: number; records: T[] }> {
  let batch: T[] = [];
  let bytes = 0;
  let first = 1;
  let count = 0;
  for await (const { lineNo, bytes: raw, text } of shardLines(body, shard.entry, { rawSize: shard.rawSize, maxLineBytes: lim.maxLineBytes })) {
    batch.push(take(lineNo, raw, text));
    count = lineNo;
    bytes += text.length;
    if (batch.length === batchSize || bytes >= batchBytes) {
      yield { firstLine: first, records: batch };
      batch = [];
      bytes = 0;
      first = lineNo + 1;
    }
  }
  end?.(count);
  if (batch.length) yield { firstLine: first, records: batch };
}

/**
 * What a counted line leaves behind once checked, for the collector (collect.ts): its values
 * (their parsed form outlives V8's young generation when there are many) and, for a long line,
 * its text and the copies made while hashing it.
 */
const lineGarbage = (text: string, values: number) => (text.length > LONG_LINE ? text.length * 6 : 0) + (values > MANY_VALUES ? values * 64 : 0);

/**
 * Fewer values than this die young, like any record's (V8's young generation is 2 MiB); counting
 * them would make records of a few thousand numbers pay for a major collection every few MiB.
 */
const MANY_VALUES = 4096;

/** Records of a shard that `checkShard` passed, in batches (see `batches`). */
function recordBatches(body: Buffer, shard: TrailerShard, lim: Limits, batchSize: number, batchBytes: number): AsyncGenerator<{ firstLine: number; records: AnyRecord[] }> {
  return batches(body, shard, lim, batchSize, batchBytes, (_lineNo, raw, text) => {
    // The records of the last batch are the consumer's garbage by now.
    if (raw.length > COUNT_VALUES_ABOVE) leftGarbage(lineGarbage(text, countValues(raw, 0, raw.length, lim.maxLineValues)));
    // Handed to sinks: payload numbers keep their written form (json.ts, spec section 15.3).
    return parseRecordLine(text, MAX_RECORD_NESTING) as AnyRecord;
  });
}

function checkChecksums(text: string, headerSum: { sha256: string }, seen: Map<string, TrailerShard>): void {
  const actual = (name: string) => (name === HEADER_ENTRY ? headerSum.sha256 : seen.get(name)?.sha256);
  const listed = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) fail('MALFORMED_ARCHIVE', `${CHECKSUMS_ENTRY}, line ${i + 1}: not "<sha256>  <name>"`, { entry: CHECKSUMS_ENTRY, line: i + 1 });
    const [, sum, name] = m as unknown as [string, string, string];
    // Every line is checked, not only the last one for a name: sha256sum -c checks each line.
    const is = actual(name);
    if (is === undefined) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY}, line ${i + 1}: lists ${name}, which the archive does not hold`, { entry: CHECKSUMS_ENTRY, line: i + 1 });
    if (sum !== is) fail('CHECKSUM_MISMATCH', `${CHECKSUMS_ENTRY}, line ${i + 1}: records ${sum} for ${name}, the entry's SHA-256 is ${is}`, { entry: name, line: i + 1 });
    if (listed.has(name)) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY}, line ${i + 1}: lists ${name} a second time`, { entry: CHECKSUMS_ENTRY, line: i + 1 });
    listed.add(name);
  });
  if (!listed.has(HEADER_ENTRY)) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY} does not list ${HEADER_ENTRY}`, { entry: CHECKSUMS_ENTRY });
  for (const name of seen.keys()) if (!listed.has(name)) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY} does not list ${name}`, { entry: CHECKSUMS_ENTRY });
}

/** Sums of the shards of one dataset, gathered in one pass (checkTrailer stays linear). */
interface DatasetSums {
  records: Map<string, number>;
  shards: number;
  bytes: number;
  rawBytes: number;
}

function checkTrailer(t: Trailer, header: Header, headerSum: { size: number; sha256: string }, checksumsSum: { size: number; sha256: string }, seen: Map<string, TrailerShard>, digests: Map<number, DatasetDigest> | null): void {
  const T = TRAILER_ENTRY;
  if (t.header.sha256 !== headerSum.sha256 || t.header.size !== headerSum.size) fail('CHECKSUM_MISMATCH', `${T} records header.json as ${t.header.sha256}, it is ${headerSum.sha256}`, { entry: T });
  if (t.header.entry !== HEADER_ENTRY || t.checksums.entry !== CHECKSUMS_ENTRY) fail('MALFORMED_ARCHIVE', `${T} names ${t.header.entry} and ${t.checksums.entry}, not ${HEADER_ENTRY} and ${CHECKSUMS_ENTRY}`, { entry: T });
  if (t.formatVersion.major !== header.formatVersion.major || t.formatVersion.minor !== header.formatVersion.minor) fail('MALFORMED_ARCHIVE', `${T} is format ${t.formatVersion.major}.${t.formatVersion.minor}, the header ${header.formatVersion.major}.${header.formatVersion.minor}`, { entry: T });
  if (t.checksums.sha256 !== checksumsSum.sha256 || t.checksums.size !== checksumsSum.size) fail('CHECKSUM_MISMATCH', `${T} records ${CHECKSUMS_ENTRY} as ${t.checksums.sha256}, it is ${checksumsSum.sha256}`, { entry: T });
  if (t.shards.length !== seen.size) fail('COUNT_MISMATCH', `${T} lists ${t.shards.length} shards, the archive holds ${seen.size}`, { entry: T });
  const listed = new Set<string>();
  for (const s of t.shards) {
    const got = seen.get(s.entry);
    if (!got) fail('COUNT_MISMATCH', `${T} lists shard ${s.entry}, which the archive does not hold`, { entry: s.entry });
    // With as many elements as shards, a name listed twice means another is left out (§12.2: exactly the shards held).
    if (listed.has(s.entry)) fail('COUNT_MISMATCH', `${T} lists shard ${s.entry} twice (and so leaves out one the archive holds)`, { entry: s.entry });
    listed.add(s.entry);
    if (got.sha256 !== s.sha256 || got.size !== s.size) fail('CHECKSUM_MISMATCH', `${T} records shard ${s.entry} as ${s.size} bytes ${s.sha256}, it is ${got.size} bytes ${got.sha256}`, { entry: s.entry });
    if (got.records !== s.records || got.rawSize !== s.rawSize) fail('COUNT_MISMATCH', `${T} records ${s.records} records for shard ${s.entry}, its header ${got.records}`, { entry: s.entry });
    if (got.dataset !== s.dataset || got.kind !== s.kind || got.seq !== s.seq) fail('MALFORMED_ARCHIVE', `${T} describes shard ${s.entry} as dataset ${s.dataset} ${s.kind} ${s.seq}, its name says dataset ${got.dataset} ${got.kind} ${got.seq}`, { entry: s.entry });
  }
  let totalRecords = 0;
  let totalBytes = 0;
  const sums = new Map<number, DatasetSums>();
  for (const s of seen.values()) {
    totalRecords += s.records;
    totalBytes += s.size;
    let d = sums.get(s.dataset);
    if (!d) sums.set(s.dataset, (d = { records: new Map(), shards: 0, bytes: 0, rawBytes: 0 }));
    d.records.set(s.kind, (d.records.get(s.kind) ?? 0) + s.records);
    d.shards++;
    d.bytes += s.size;
    d.rawBytes += s.rawSize;
  }
  if (t.totals.records !== totalRecords || t.totals.shards !== seen.size || t.totals.bytes !== totalBytes) {
    fail('COUNT_MISMATCH', `${T} totals ${t.totals.records} records, ${t.totals.shards} shards, ${t.totals.bytes} bytes; the archive holds ${totalRecords}, ${seen.size}, ${totalBytes}`, { entry: T });
  }
  if (t.datasets.length !== header.datasets.length) fail('COUNT_MISMATCH', `${T} totals ${t.datasets.length} datasets, the header declares ${header.datasets.length}`, { entry: T });
  const none: DatasetSums = { records: new Map(), shards: 0, bytes: 0, rawBytes: 0 };
  for (const ds of header.datasets) {
    const td = t.datasets[ds.index - 1]!;
    if (td.index !== ds.index || td.name !== ds.name) fail('MALFORMED_ARCHIVE', `${T}: datasets[${ds.index - 1}] is ${td.name}, the header's is ${ds.name}`, { entry: T });
    const d = sums.get(ds.index) ?? none;
    for (const kind of ds.recordKinds) {
      const counted = d.records.get(kind) ?? 0;
      const claimed = td.records[kind] ?? 0;
      if (claimed !== counted) fail('COUNT_MISMATCH', `dataset ${JSON.stringify(ds.name)}: ${T} totals ${claimed} ${kind} records, the shards hold ${counted}`, { entry: T, dataset: ds.name });
    }
    if (td.shards !== d.shards || td.bytes !== d.bytes || td.rawBytes !== d.rawBytes) {
      fail('COUNT_MISMATCH', `dataset ${JSON.stringify(ds.name)}: ${T} totals ${td.shards} shards, ${td.bytes} bytes, ${td.rawBytes} raw bytes; the archive holds ${d.shards}, ${d.bytes}, ${d.rawBytes}`, { entry: T, dataset: ds.name });
    }
    // A dataset whose digest the consumer compares itself (ReaderOptions.digest) is not checked here.
    if (digests && digests.get(ds.index)?.hashing !== false) {
      const dg = digests.get(ds.index)?.hex() ?? '0'.repeat(64);
      if (dg !== td.digest) fail('DIGEST_MISMATCH', `dataset ${JSON.stringify(ds.name)}: content digest is ${dg}, ${T} records ${td.digest}`, { entry: T, dataset: ds.name });
    }
  }
}

function translate(err: unknown, currentEntry: string | null, lastEntry: string, sawHeader: boolean, firstBytes: Buffer | null): unknown {
  if (err instanceof MemarcError) return err;
  const msg = (err as Error)?.message ?? String(err);
  if ((err as NodeJS.ErrnoException)?.code === 'ABORT_ERR') return err;
  if ((err as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    const where = currentEntry !== null && currentEntry !== lastEntry ? `inside entry ${currentEntry}` : `after ${lastEntry}`;
    return new MemarcError('TRUNCATED', `the input closed early, ${where}`, { cause: err, context: { entry: currentEntry ?? lastEntry }, hint: 'the stream feeding memarc ended before the archive did (a closed pipe or connection); use a complete copy' });
  }
  if (/Unexpected end of data/.test(msg)) {
    const where = currentEntry !== null && currentEntry !== lastEntry ? `inside entry ${currentEntry}` : `in the tar header after ${lastEntry}`;
    return new MemarcError('TRUNCATED', `the archive ends ${where}`, { cause: err, context: { entry: currentEntry ?? lastEntry }, hint: defaultHint('TRUNCATED') });
  }
  if (/Invalid tar header|Invalid header|unknown format/i.test(msg)) {
    if (!sawHeader) {
      const gz = firstBytes !== null && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b;
      return new MemarcError('MALFORMED_ARCHIVE', gz ? 'the input is gzip-compressed; a memarc archive is a plain tar' : 'the input is not a tar archive', {
        cause: err,
        hint: gz ? 'decompress it first: gunzip -c FILE | memarc verify -' : 'check that this is a memarc archive',
      });
    }
    return new MemarcError('CHECKSUM_MISMATCH', `the tar header after ${lastEntry} is corrupt (its checksum fails)`, { cause: err, context: { entry: lastEntry }, hint: defaultHint('CHECKSUM_MISMATCH') });
  }
  if (/Header exceeds max size/.test(msg)) {
    return new MemarcError('LIMIT_EXCEEDED', `a pax header after ${lastEntry} is too large`, { cause: err, context: { entry: lastEntry }, hint: defaultHint('LIMIT_EXCEEDED') });
  }
  return err;
}
