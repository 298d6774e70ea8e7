/**
 * The archive reader: tar bytes in; the header, then verified records, then the verified trailer
 * out, as an async iterable of events (spec/FORMAT.md, "Reading").
 *
 * Every shard is read whole (bounded by `maxShardBytes`), its SHA-256 compared with its pax
 * header, decompressed under a hard output cap, and every line parsed and validated, before the
 * first of its records is handed on: a corrupt, truncated, hostile or malformed shard yields no
 * record at all. The trailer is the commit marker; the `trailer` event comes only after every
 * count, checksum and content digest agrees with it and the tar has ended cleanly, so a consumer
 * must not make anything visible before it.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TextDecoder, promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';
import tar from 'tar-stream';
import { MemarcError, type ErrorCode } from '../errors.ts';
import { DatasetDigest, NodeKeyError } from './digest.ts';
import { validateHeader, validateTrailer, type Header, type HeaderDataset, type Trailer, type TrailerShard } from './header.ts';
import { parseJson, parseRecordLine } from './json.ts';
import { CHECKSUMS_ENTRY, HEADER_ENTRY, parseShardName, TRAILER_ENTRY, unsafeNameReason } from './names.ts';
import type { AnyRecord, RecordKind } from './records.ts';
import { recordProblem } from './validate.ts';

const gunzip = promisify(gunzipCb);

export const DEFAULT_LIMITS = {
  /** header.json, CHECKSUMS.sha256, trailer.json. */
  maxMetaBytes: 64 * 1024 * 1024,
  /** A shard entry (gzip bytes); it is held in memory while it is verified. */
  maxShardBytes: 256 * 1024 * 1024,
  /** A shard's NDJSON after decompression: the decompression-bomb limit. */
  maxShardRawBytes: 512 * 1024 * 1024,
  /** Bytes of entries memarc does not know (skipped, never stored). */
  maxUnknownEntryBytes: 1024 * 1024 * 1024,
};

export interface ReaderOptions extends Partial<typeof DEFAULT_LIMITS> {
  /** Records per `records` event. */
  batchSize?: number;
  /**
   * false: check entry checksums, names, order and the trailer, but do not decompress shards or
   * recompute digests (`memarc inspect`). Default true.
   */
  decode?: boolean;
  signal?: AbortSignal;
  /** Unknown entries (from a newer minor version) are skipped; this hears about them. */
  onWarning?: (msg: string) => void;
}

export type ArchiveEvent =
  | { type: 'header'; header: Header; sha256: string; size: number }
  | { type: 'records'; dataset: HeaderDataset; kind: RecordKind; entry: string; firstLine: number; records: AnyRecord[] }
  | { type: 'shard'; dataset: HeaderDataset; shard: TrailerShard }
  | { type: 'trailer'; trailer: Trailer; digests: Map<number, string> | null };

function fail(code: ErrorCode, message: string, context: Record<string, unknown> = {}, hint?: string): never {
  throw new MemarcError(code, message, { context, hint: hint ?? defaultHint(code) });
}

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
// ignoreBOM keeps a BOM in the text, where JSON.parse refuses it: a line must start with '{'.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads an archive; see the module comment. Stop early by leaving the loop: everything is released. */
export async function* readArchive(source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions = {}): AsyncGenerator<ArchiveEvent, void, undefined> {
  const lim = { ...DEFAULT_LIMITS, ...stripUndefined(opts) };
  const decode = opts.decode ?? true;
  const batchSize = opts.batchSize ?? 1000;
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
  let checksumsText: string | null = null;
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
          const body = await readWhole(entry, lim.maxMetaBytes, name);
          header = validateHeader(parseMeta(body, name));
          headerSum = { size: body.length, sha256: sha256(body) };
          lastEntry = name;
          lastEnd = entryEnd;
          yield { type: 'header', header, sha256: headerSum.sha256, size: body.length };
          continue;
        }

        const shardName = parseShardName(name);
        if (shardName) {
          if (seen.has(name)) fail('DUPLICATE_SHARD', `shard ${name} appears twice`, { entry: name });
          if (checksumsText !== null) fail('MALFORMED_ARCHIVE', `shard ${name} follows ${CHECKSUMS_ENTRY}; every shard must come before it`, { entry: name });
          const ds = header.datasets[shardName.index - 1];
          if (!ds || ds.dir !== shardName.dir) fail('MALFORMED_ARCHIVE', `shard ${name} belongs to no dataset of the header`, { entry: name });
          const kindPos = ds.recordKinds.indexOf(shardName.kind);
          if (kindPos < 0) fail('MALFORMED_ARCHIVE', `shard ${name}: a ${ds.kind} dataset holds no ${shardName.kind} records`, { entry: name });
          checkOrder(state, ds, kindPos, shardName.seq, name);
          const pax = (h.pax ?? {}) as Record<string, string>;
          const declared = {
            records: paxCount(pax, 'MEMARC.records', name),
            rawSize: paxCount(pax, 'MEMARC.rawsize', name),
            sha256: pax['MEMARC.sha256'],
          };
          if (typeof declared.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(declared.sha256)) fail('MALFORMED_ARCHIVE', `shard ${name} has no MEMARC.sha256 pax record`, { entry: name });
          if (declared.rawSize > lim.maxShardRawBytes) {
            fail('LIMIT_EXCEEDED', `shard ${name} declares ${declared.rawSize} bytes of records, over the limit of ${lim.maxShardRawBytes}`, { entry: name, limit: lim.maxShardRawBytes });
          }
          const body = await readWhole(entry, lim.maxShardBytes, name);
          const actual = sha256(body);
          if (actual !== declared.sha256) fail('CHECKSUM_MISMATCH', `shard ${name}: SHA-256 is ${actual}, its header records ${declared.sha256}`, { entry: name });
          const shard: TrailerShard = { entry: name, dataset: ds.index, kind: shardName.kind, seq: shardName.seq, records: declared.records, size: body.length, rawSize: declared.rawSize, sha256: actual };
          seen.set(name, shard);
          lastEntry = name;
          lastEnd = entryEnd;
          if (decode) {
            let digest = digests.get(ds.index);
            if (!digest) digests.set(ds.index, (digest = new DatasetDigest()));
            const raw = await checkShard(body, shard, lim.maxShardRawBytes, digest);
            for (const b of parseBatches(raw, name, batchSize)) {
              yield { type: 'records', dataset: ds, kind: shard.kind, entry: name, firstLine: b.firstLine, records: b.records };
            }
          }
          yield { type: 'shard', dataset: ds, shard };
          continue;
        }

        if (name === CHECKSUMS_ENTRY) {
          if (checksumsText !== null) fail('DUPLICATE_SHARD', `${CHECKSUMS_ENTRY} appears twice`, { entry: name });
          const body = await readWhole(entry, lim.maxMetaBytes, name);
          checksumsText = decodeUtf8(body, name);
          checksumsSum = { size: body.length, sha256: sha256(body) };
          checkChecksums(checksumsText, headerSum!, seen);
          lastEntry = name;
          lastEnd = entryEnd;
          continue;
        }

        if (name === TRAILER_ENTRY) {
          if (checksumsText === null) fail('MALFORMED_ARCHIVE', `${TRAILER_ENTRY} comes before ${CHECKSUMS_ENTRY}`, { entry: name });
          const body = await readWhole(entry, lim.maxMetaBytes, name);
          trailer = validateTrailer(parseMeta(body, name));
          trailerEnd = entry.offset + 512 + Math.ceil(body.length / 512) * 512;
          checkTrailer(trailer, header, headerSum!, checksumsSum!, seen, decode ? digests : null);
          lastEntry = name;
          lastEnd = entryEnd;
          continue;
        }

        // A safe name memarc does not know: a later minor version's entry. Skip it, bounded.
        opts.onWarning?.(`skipping unknown entry ${name}`);
        await drain(entry, lim.maxUnknownEntryBytes, name);
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
    yield { type: 'trailer', trailer, digests: decode ? new Map([...digests].map(([i, d]) => [i, d.hex()])) : null };
  } finally {
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

async function readWhole(entry: EntryLike, limit: number, name: string): Promise<Buffer> {
  if (entry.header.size > limit) fail('LIMIT_EXCEEDED', `entry ${name} is ${entry.header.size} bytes, over the limit of ${limit}`, { entry: name, limit });
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of entry as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > limit) fail('LIMIT_EXCEEDED', `entry ${name} is over the limit of ${limit} bytes`, { entry: name, limit });
    chunks.push(c);
  }
  return Buffer.concat(chunks, n);
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

function parseMeta(body: Uint8Array, name: string): unknown {
  const text = decodeUtf8(body, name);
  try {
    return parseJson(text);
  } catch (err) {
    return fail('MALFORMED_ARCHIVE', `${name} is not valid JSON: ${(err as Error).message}`, { entry: name });
  }
}

/**
 * Checks a shard completely (gzip, declared sizes, every line: UTF-8, JSON, record shape, digest)
 * and returns its NDJSON. The parsed records are not kept: holding a whole shard of objects
 * until they are handed on would make them survive into V8's old space; they are parsed again,
 * a batch at a time, by `parseBatches` once the whole shard has passed.
 */
async function checkShard(body: Buffer, shard: TrailerShard, maxRaw: number, digest: DatasetDigest): Promise<Buffer> {
  const name = shard.entry;
  let raw: Buffer;
  try {
    // The output cap is the declared size: a shard that inflates beyond it is refused as soon as it does.
    raw = await gunzip(body, { maxOutputLength: Math.max(1, Math.min(shard.rawSize, maxRaw)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      fail('LIMIT_EXCEEDED', `shard ${name} inflates beyond its declared ${shard.rawSize} bytes (a decompression bomb?)`, { entry: name, limit: shard.rawSize });
    }
    return fail('MALFORMED_RECORD', `shard ${name} is not valid gzip: ${(err as Error).message}`, { entry: name });
  }
  if (raw.length !== shard.rawSize) fail('COUNT_MISMATCH', `shard ${name} holds ${raw.length} bytes of records, its header declares ${shard.rawSize}`, { entry: name });
  if (raw.length > 0 && raw[raw.length - 1] !== 0x0a) fail('MALFORMED_RECORD', `shard ${name}: the last line does not end with a newline`, { entry: name });
  let count = 0;
  for (const [lineNo, line] of lines(raw, name)) {
    if (lineNo > shard.records) fail('COUNT_MISMATCH', `shard ${name} holds more than the ${shard.records} records its header declares`, { entry: name, line: lineNo });
    if (line.charCodeAt(0) !== 0x7b || line.charCodeAt(line.length - 1) !== 0x7d) {
      fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: a record line must start with "{" and end with "}" (no whitespace, BOM or CR)`, { entry: name, line: lineNo });
    }
    let rec: unknown;
    try {
      rec = parseJson(line);
    } catch (err) {
      fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: not valid JSON (${(err as Error).message})`, { entry: name, line: lineNo });
    }
    const problem = recordProblem(shard.kind, rec);
    if (problem) fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: ${problem}`, { entry: name, line: lineNo });
    try {
      digest.add(shard.kind, rec as AnyRecord);
    } catch (err) {
      if (err instanceof NodeKeyError) fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: ${err.message}`, { entry: name, line: lineNo });
      throw err;
    }
    count = lineNo;
  }
  if (count !== shard.records) fail('COUNT_MISMATCH', `shard ${name} holds ${count} records, its header declares ${shard.records}`, { entry: name });
  return raw;
}

/** Lines of a checked shard, cut from the buffer one at a time (no copy of the whole text). */
function* lines(raw: Buffer, name: string): Generator<[number, string]> {
  let start = 0;
  for (let lineNo = 1; start < raw.length; lineNo++) {
    const end = raw.indexOf(0x0a, start);
    let line: string;
    try {
      line = utf8.decode(raw.subarray(start, end));
    } catch {
      fail('MALFORMED_RECORD', `shard ${name}, line ${lineNo}: not valid UTF-8`, { entry: name, line: lineNo });
    }
    start = end + 1;
    yield [lineNo, line];
  }
}

/** Records of a shard that `checkShard` passed, in batches. */
function* parseBatches(raw: Buffer, name: string, batchSize: number): Generator<{ firstLine: number; records: AnyRecord[] }> {
  let batch: AnyRecord[] = [];
  let first = 1;
  for (const [lineNo, line] of lines(raw, name)) {
    // Handed to sinks: payload numbers keep their written form (json.ts, spec section 15.3).
    batch.push(parseRecordLine(line) as AnyRecord);
    if (batch.length === batchSize) {
      yield { firstLine: first, records: batch };
      batch = [];
      first = lineNo + 1;
    }
  }
  if (batch.length) yield { firstLine: first, records: batch };
}

function checkChecksums(text: string, headerSum: { sha256: string }, seen: Map<string, TrailerShard>): void {
  const listed = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) fail('MALFORMED_ARCHIVE', `${CHECKSUMS_ENTRY}, line ${i + 1}: not "<sha256>  <name>"`, { entry: CHECKSUMS_ENTRY, line: i + 1 });
    listed.set(m[2]!, m[1]!);
  });
  const expect = (name: string, sum: string) => {
    const l = listed.get(name);
    if (l === undefined) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY} does not list ${name}`, { entry: CHECKSUMS_ENTRY });
    if (l !== sum) fail('CHECKSUM_MISMATCH', `${CHECKSUMS_ENTRY} records ${l} for ${name}, the entry's SHA-256 is ${sum}`, { entry: name });
  };
  expect(HEADER_ENTRY, headerSum.sha256);
  for (const [name, s] of seen) expect(name, s.sha256);
  if (listed.size !== seen.size + 1) fail('COUNT_MISMATCH', `${CHECKSUMS_ENTRY} lists ${listed.size} entries, the archive holds ${seen.size + 1}`, { entry: CHECKSUMS_ENTRY });
}

function checkTrailer(t: Trailer, header: Header, headerSum: { size: number; sha256: string }, checksumsSum: { size: number; sha256: string }, seen: Map<string, TrailerShard>, digests: Map<number, DatasetDigest> | null): void {
  const T = TRAILER_ENTRY;
  if (t.header.sha256 !== headerSum.sha256 || t.header.size !== headerSum.size) fail('CHECKSUM_MISMATCH', `${T} records header.json as ${t.header.sha256}, it is ${headerSum.sha256}`, { entry: T });
  if (t.header.entry !== HEADER_ENTRY || t.checksums.entry !== CHECKSUMS_ENTRY) fail('MALFORMED_ARCHIVE', `${T} names ${t.header.entry} and ${t.checksums.entry}, not ${HEADER_ENTRY} and ${CHECKSUMS_ENTRY}`, { entry: T });
  if (t.formatVersion.major !== header.formatVersion.major || t.formatVersion.minor !== header.formatVersion.minor) fail('MALFORMED_ARCHIVE', `${T} is format ${t.formatVersion.major}.${t.formatVersion.minor}, the header ${header.formatVersion.major}.${header.formatVersion.minor}`, { entry: T });
  if (t.checksums.sha256 !== checksumsSum.sha256 || t.checksums.size !== checksumsSum.size) fail('CHECKSUM_MISMATCH', `${T} records ${CHECKSUMS_ENTRY} as ${t.checksums.sha256}, it is ${checksumsSum.sha256}`, { entry: T });
  if (t.shards.length !== seen.size) fail('COUNT_MISMATCH', `${T} lists ${t.shards.length} shards, the archive holds ${seen.size}`, { entry: T });
  for (const s of t.shards) {
    const got = seen.get(s.entry);
    if (!got) fail('COUNT_MISMATCH', `${T} lists shard ${s.entry}, which the archive does not hold`, { entry: s.entry });
    if (got.sha256 !== s.sha256 || got.size !== s.size) fail('CHECKSUM_MISMATCH', `${T} records shard ${s.entry} as ${s.size} bytes ${s.sha256}, it is ${got.size} bytes ${got.sha256}`, { entry: s.entry });
    if (got.records !== s.records || got.rawSize !== s.rawSize) fail('COUNT_MISMATCH', `${T} records ${s.records} records for shard ${s.entry}, its header ${got.records}`, { entry: s.entry });
    if (got.dataset !== s.dataset || got.kind !== s.kind || got.seq !== s.seq) fail('MALFORMED_ARCHIVE', `${T} describes shard ${s.entry} as dataset ${s.dataset} ${s.kind} ${s.seq}, its name says dataset ${got.dataset} ${got.kind} ${got.seq}`, { entry: s.entry });
  }
  let totalRecords = 0;
  let totalBytes = 0;
  for (const s of seen.values()) {
    totalRecords += s.records;
    totalBytes += s.size;
  }
  if (t.totals.records !== totalRecords || t.totals.shards !== seen.size || t.totals.bytes !== totalBytes) {
    fail('COUNT_MISMATCH', `${T} totals ${t.totals.records} records, ${t.totals.shards} shards, ${t.totals.bytes} bytes; the archive holds ${totalRecords}, ${seen.size}, ${totalBytes}`, { entry: T });
  }
  if (t.datasets.length !== header.datasets.length) fail('COUNT_MISMATCH', `${T} totals ${t.datasets.length} datasets, the header declares ${header.datasets.length}`, { entry: T });
  for (const ds of header.datasets) {
    const td = t.datasets[ds.index - 1]!;
    if (td.index !== ds.index || td.name !== ds.name) fail('MALFORMED_ARCHIVE', `${T}: datasets[${ds.index - 1}] is ${td.name}, the header's is ${ds.name}`, { entry: T });
    for (const kind of ds.recordKinds) {
      let counted = 0;
      for (const s of seen.values()) if (s.dataset === ds.index && s.kind === kind) counted += s.records;
      const claimed = td.records[kind] ?? 0;
      if (claimed !== counted) fail('COUNT_MISMATCH', `dataset ${JSON.stringify(ds.name)}: ${T} totals ${claimed} ${kind} records, the shards hold ${counted}`, { entry: T, dataset: ds.name });
    }
    let shards = 0;
    let bytes = 0;
    let rawBytes = 0;
    for (const s of seen.values()) {
      if (s.dataset !== ds.index) continue;
      shards++;
      bytes += s.size;
      rawBytes += s.rawSize;
    }
    if (td.shards !== shards || td.bytes !== bytes || td.rawBytes !== rawBytes) {
      fail('COUNT_MISMATCH', `dataset ${JSON.stringify(ds.name)}: ${T} totals ${td.shards} shards, ${td.bytes} bytes, ${td.rawBytes} raw bytes; the archive holds ${shards}, ${bytes}, ${rawBytes}`, { entry: T, dataset: ds.name });
    }
    if (digests) {
      const d = digests.get(ds.index)?.hex() ?? '0'.repeat(64);
      if (d !== td.digest) fail('DIGEST_MISMATCH', `dataset ${JSON.stringify(ds.name)}: content digest is ${d}, ${T} records ${td.digest}`, { entry: T, dataset: ds.name });
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
