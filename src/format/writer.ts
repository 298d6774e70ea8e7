/**
 * The archive writer: sections of records in, tar bytes out (spec/FORMAT.md, "Writing").
 *
 *   header.json, data/NNNN-slug/KIND-SSSSSS.ndjson.gz …, CHECKSUMS.sha256, trailer.json
 *
 * A tar header carries its entry's size, and a shard's pax header carries its record count and
 * SHA-256, so each shard is built whole in memory before it is emitted: memory is bounded by
 * `shardMaxRawBytes` (times `pipelineDepth`, the shards being compressed at once), never by the
 * archive. JSON encoding and the digest run on the main thread while zlib compresses earlier
 * shards on the libuv pool, which is how encoding keeps up with `gzip | sha256sum` on two cores.
 *
 *   const w = new ArchiveWriter({ datasets });
 *   await pipeline(w.encode(sections), output);   // w.trailer is set once it resolves
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import tar from 'tar-stream';
import { MemarcError } from '../errors.ts';
import { canonicalJson } from './canonical.ts';
import { DatasetDigest, RecordKeyError } from './digest.ts';
import { legacyKind, primaryKeyOf, tableColumns } from './datasets.ts';
import {
  FORMAT_MAJOR, FORMAT_MINOR, FORMAT_NAME, VECTOR_ENCODING,
  type Header, type HeaderDataset, type Trailer, type TrailerDataset, type TrailerShard,
} from './header.ts';
import { stringifyJson } from './json.ts';
import { CHECKSUMS_ENTRY, datasetDir, HEADER_ENTRY, shardEntry, TRAILER_ENTRY } from './names.ts';
import { DATASET_KINDS, FAMILIES, KIND_FAMILY, type AnyRecord, type DatasetKind, type Family, type Json, type JsonObject, type RecordKind, type RowRecord } from './records.ts';
import { recordProblem, rowSchemaProblem } from './validate.ts';
import { COUNT_VALUES_ABOVE, countValues } from './line-values.ts';
import { leftGarbage } from './collect.ts';
import { DEFAULT_LIMITS } from './reader.ts';

export const DEFAULT_SHARD_MAX_RAW_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHARD_MAX_RECORDS = 100_000;

/**
 * A dataset to write. Format 2 needs its `family` (or a format-1 `kind`, which implies family and
 * store); `store` and `fingerprint` become the native block, `schema` the neutral schema (`{}`
 * when the caller knows none). Format 1 needs `kind` (or a family and store that format 1 named).
 */
export interface DatasetInput {
  name: string;
  /** A format-1 dataset kind (`qdrant.collection`, `falkordb.graph`). */
  kind?: string;
  family?: Family;
  /** The native store (its adapter name); with `fingerprint`, the native block. */
  store?: string | null;
  /** The store's version for the native block; default `source.serverVersion` when it is a string. */
  storeVersion?: string;
  /** The native configuration. */
  fingerprint: JsonObject;
  /** The neutral schema (format 2). */
  schema?: JsonObject;
  source: JsonObject;
  /** Asked for once the dataset's records are written; becomes the trailer dataset's `notes`. */
  notes?: () => JsonObject;
}

export interface Section {
  /** 1-based index into `datasets`. Sections come in dataset order, kinds in DATASET_KINDS order. */
  dataset: number;
  kind: RecordKind;
  batches: AsyncIterable<readonly AnyRecord[]> | Iterable<readonly AnyRecord[]>;
}

export interface WriterOptions {
  datasets: DatasetInput[];
  shardMaxRawBytes?: number;
  shardMaxRecords?: number;
  /** zlib level, 1 (fast, the default) to 9. */
  gzipLevel?: number;
  /** Shards being compressed at once. */
  pipelineDepth?: number;
  producer?: { name: string; version: string };
  createdAt?: Date;
  /** Called after each shard is emitted, for progress. */
  onShard?: (shard: TrailerShard) => void;
  /** Validate every record before writing it (default true). */
  validate?: boolean;
  /** The major version to write: 2 (the default), or 1 for tools and tests that need a format-1 archive. */
  formatMajor?: 1 | 2;
}

interface PendingShard {
  meta: Omit<TrailerShard, 'size' | 'sha256'>;
  body: Promise<{ body: Buffer; sha256: string }>;
}

/**
 * One shard being compressed: NDJSON goes into a gzip stream whose work runs on the libuv pool,
 * while its output is collected and hashed. Up to half a shard of NDJSON may wait for zlib, so
 * the main thread can move on to the next shard while this one is still being compressed: with
 * `pipelineDepth` 2, two shards compress at once on two cores. (A whole shard was faster by a
 * few percent but grew peak RSS by 23% from 10k to 100k memories; 1 MiB kept one core idle.)
 */
class ShardBuffer {
  readonly gz: Gzip;
  readonly body: Promise<{ body: Buffer; sha256: string }>;
  records = 0;
  raw = 0;
  private pending: string[] = [];
  private pendingLen = 0;

  constructor(level: number, highWaterMark: number) {
    this.gz = createGzip({ level, highWaterMark } as ZlibOptions);
    this.body = collect(this.gz);
    this.body.catch(() => {}); // observed by whoever emits the shard
  }

  /**
   * Adds one NDJSON line, given without its newline; `len` is its byte length with the newline.
   * The newline is written in flush(): `json + '\n'` would be a rope that measuring it flattens,
   * a copy of every record's text (a seventh of all a graph export allocated, bench/RESULTS.md
   * session 9).
   */
  async add(json: string, len: number): Promise<void> {
    this.pending.push(json);
    this.pendingLen += len;
    this.records++;
    this.raw += len;
    if (this.pendingLen >= 64 * 1024) await this.flush();
  }

  /** Writes the pending lines' UTF-8 into one buffer for zlib, without joining them into a string first. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buf = Buffer.allocUnsafeSlow(this.pendingLen);
    let off = 0;
    for (const json of this.pending) {
      off += buf.write(json, off);
      buf[off++] = 0x0a;
    }
    this.pending = [];
    this.pendingLen = 0;
    if (!this.gz.write(off === buf.length ? buf : buf.subarray(0, off))) await once(this.gz, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    this.gz.end();
  }
}

async function collect(gz: Gzip): Promise<{ body: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  for await (const c of gz as AsyncIterable<Buffer>) {
    hash.update(c);
    chunks.push(c);
  }
  return { body: Buffer.concat(chunks), sha256: hash.digest('hex') };
}

/**
 * Refuses a record that readers would refuse with their default limits (spec §13): an export
 * that writes it would make an archive no default restore reads.
 */
function lineWithinLimits(json: string, len: number, dataset: string, kind: string, record: number, shard: number): void {
  const where = `dataset ${JSON.stringify(dataset)}: ${kind} record ${record} of shard ${shard}`;
  const hint = 'readers refuse such a record by default (spec/FORMAT.md section 13); shrink the value in the store before exporting';
  if (len - 1 > DEFAULT_LIMITS.maxLineBytes) {
    throw new MemarcError('LIMIT_EXCEEDED', `${where}: its line is ${len - 1} bytes, over the reader limit of ${DEFAULT_LIMITS.maxLineBytes}`, { context: { dataset, limit: DEFAULT_LIMITS.maxLineBytes }, hint });
  }
  const bytes = Buffer.from(json);
  if (countValues(bytes, 0, bytes.length, DEFAULT_LIMITS.maxLineValues) > DEFAULT_LIMITS.maxLineValues) {
    throw new MemarcError('LIMIT_EXCEEDED', `${where}: it holds more than the reader limit of ${DEFAULT_LIMITS.maxLineValues} JSON values`, { context: { dataset, limit: DEFAULT_LIMITS.maxLineValues }, hint });
  }
}

export const PRODUCER = { name: 'memarc', version: '0.1.0' };

export class ArchiveWriter {
  readonly header: Header;
  /** Set when `encode()` has emitted the trailer. */
  trailer: Trailer | undefined;
  private readonly opts: Required<Pick<WriterOptions, 'shardMaxRawBytes' | 'shardMaxRecords' | 'gzipLevel' | 'pipelineDepth' | 'validate'>> & WriterOptions;
  private readonly mtime: Date;

  constructor(opts: WriterOptions) {
    this.opts = {
      shardMaxRawBytes: DEFAULT_SHARD_MAX_RAW_BYTES,
      shardMaxRecords: DEFAULT_SHARD_MAX_RECORDS,
      gzipLevel: 1,
      pipelineDepth: 2,
      validate: true,
      ...opts,
    };
    const major = opts.formatMajor ?? FORMAT_MAJOR;
    const seenNames = new Set<string>();
    for (const d of opts.datasets) {
      if (typeof d.name !== 'string' || d.name.length === 0) throw new MemarcError('USAGE', 'a dataset needs a non-empty name');
      const k = `${major === 1 ? d.kind : familyOf(d)}\u0000${d.name}`;
      if (seenNames.has(k)) throw new MemarcError('USAGE', `dataset ${JSON.stringify(d.name)} (${d.kind ?? d.family}) is given twice`, { hint: 'rename one of them' });
      seenNames.add(k);
    }
    const created = opts.createdAt ?? new Date();
    this.mtime = new Date(Math.floor(created.getTime() / 1000) * 1000);
    this.header = {
      format: FORMAT_NAME,
      formatVersion: { major, minor: major === FORMAT_MAJOR ? FORMAT_MINOR : 0 },
      createdAt: created.toISOString(),
      producer: opts.producer ?? PRODUCER,
      encoding: { records: 'ndjson', compression: 'gzip', vectors: VECTOR_ENCODING },
      shardLimits: { maxRawBytes: this.opts.shardMaxRawBytes, maxRecords: this.opts.shardMaxRecords },
      datasets: opts.datasets.map((d, i): HeaderDataset => {
        if (major === 2) return headerDatasetV2(d, i + 1);
        const kind = (d.kind ?? legacyKind(familyOf(d), d.store ?? null)) as DatasetKind;
        if (!Object.hasOwn(DATASET_KINDS, kind)) throw new MemarcError('USAGE', `dataset ${JSON.stringify(d.name)}: unknown kind ${JSON.stringify(kind)}`);
        return {
          index: i + 1,
          dir: datasetDir(i + 1, d.name),
          name: d.name,
          kind,
          recordKinds: [...DATASET_KINDS[kind]],
          fingerprint: d.fingerprint,
          fingerprintSha256: sha256hex(canonicalJson(d.fingerprint as Json)),
          source: d.source,
        };
      }),
    };
  }

  async *encode(sections: AsyncIterable<Section> | Iterable<Section>): AsyncGenerator<Buffer, void, undefined> {
    const pack = tar.pack();
    const stop = new AbortController();
    const producing = this.produce(pack, sections, stop.signal).then(
      () => pack.finalize(),
      (err: unknown) => pack.destroy(err as Error),
    );
    try {
      for await (const chunk of pack) yield chunk as Buffer;
    } finally {
      stop.abort();
      if (!this.trailer) pack.destroy();
      await producing;
    }
  }

  private async produce(pack: tar.Pack, sections: AsyncIterable<Section> | Iterable<Section>, signal: AbortSignal): Promise<void> {
    const major = this.header.formatVersion.major;
    const digests = this.header.datasets.map((d) => new DatasetDigest({ major, uniqueKeys: true, primaryKey: primaryKeyOf(d) }));
    try {
      await this.produceWith(pack, sections, signal, digests);
    } finally {
      // A big graph's node table holds a temporary file: released on a refused record or an abort too.
      for (const d of digests) d.dropNodeTable();
    }
  }

  private async produceWith(pack: tar.Pack, sections: AsyncIterable<Section> | Iterable<Section>, signal: AbortSignal, digests: DatasetDigest[]): Promise<void> {
    const checksums: string[] = [];
    const trailerShards: TrailerShard[] = [];
    const tables = this.header.datasets.map((d) => (d.family === 'table' ? tableColumns(d) : null));
    const sums = this.header.datasets.map((d): TrailerDataset => ({ index: d.index, name: d.name, records: Object.fromEntries(d.recordKinds.map((k) => [k, 0])), shards: 0, bytes: 0, rawBytes: 0, digest: '' }));

    const headerBody = Buffer.from(stringifyJson(this.header, 2) + '\n');
    const headerSha = sha256hex(headerBody);
    await addEntry(pack, { name: HEADER_ENTRY, size: headerBody.length, mtime: this.mtime }, headerBody);
    checksums.push(`${headerSha}  ${HEADER_ENTRY}`);

    const inFlight: PendingShard[] = [];
    const emit = async (p: PendingShard) => {
      const { body, sha256 } = await p.body;
      const shard: TrailerShard = { ...p.meta, size: body.length, sha256 };
      await addEntry(pack, {
        name: shard.entry,
        size: body.length,
        mtime: this.mtime,
        pax: { 'MEMARC.records': String(shard.records), 'MEMARC.rawsize': String(shard.rawSize), 'MEMARC.sha256': shard.sha256 },
      }, body);
      checksums.push(`${shard.sha256}  ${shard.entry}`);
      trailerShards.push(shard);
      const s = sums[shard.dataset - 1]!;
      s.shards++;
      s.bytes += shard.size;
      s.rawBytes += shard.rawSize;
      this.opts.onShard?.(shard);
    };

    let last = { dataset: 0, kindPos: -1 };
    for await (const section of sections) {
      const ds = this.header.datasets[section.dataset - 1];
      if (!ds) throw new MemarcError('USAGE', `section for dataset ${section.dataset}, which the header does not declare`);
      const kindPos = ds.recordKinds.indexOf(section.kind);
      if (kindPos < 0) throw new MemarcError('USAGE', `dataset ${JSON.stringify(ds.name)} (${ds.kind}) holds no ${section.kind} records`);
      if (section.dataset < last.dataset || (section.dataset === last.dataset && kindPos <= last.kindPos)) {
        throw new MemarcError('USAGE', `sections out of order: ${ds.name}/${section.kind} after dataset ${last.dataset}`);
      }
      last = { dataset: section.dataset, kindPos };
      const digest = digests[section.dataset - 1]!;
      let seq = 0;
      let shard: ShardBuffer | null = null;
      const cut = async () => {
        if (!shard) return;
        const done = shard;
        shard = null;
        seq++;
        await done.end();
        inFlight.push({ meta: { entry: shardEntry(ds.dir, section.kind, seq), dataset: ds.index, kind: section.kind, seq, records: done.records, rawSize: done.raw }, body: done.body });
        while (inFlight.length >= this.opts.pipelineDepth) await emit(inFlight.shift()!);
      };
      let batchBytes = 0;
      for await (const batch of section.batches) {
        if (signal.aborted) throw signal.reason;
        for (const rec of batch) {
          if (this.opts.validate) {
            const table = tables[section.dataset - 1];
            const problem = recordProblem(section.kind, rec) ?? (table ? rowSchemaProblem(rec as RowRecord, table.columns, table.primaryKey) : null);
            if (problem) throw new MemarcError('MALFORMED_RECORD', `dataset ${JSON.stringify(ds.name)}: ${section.kind} record ${(shard?.records ?? 0) + 1} of shard ${seq + 1}: ${problem}`, { context: { dataset: ds.name } });
          }
          try {
            digest.add(section.kind, rec);
          } catch (err) {
            if (err instanceof RecordKeyError) throw new MemarcError('MALFORMED_RECORD', `dataset ${JSON.stringify(ds.name)}: ${section.kind} record ${(shard?.records ?? 0) + 1} of shard ${seq + 1}: ${err.message}`, { context: { dataset: ds.name }, hint: 'point ids, node keys and row primary keys must be unique within a dataset, and every edge must refer to nodes written before it' });
            throw err;
          }
          const json = stringifyJson(rec);
          const len = Buffer.byteLength(json) + 1;
          if (this.opts.validate && len > COUNT_VALUES_ABOVE) lineWithinLimits(json, len, ds.name, section.kind, (shard?.records ?? 0) + 1, seq + 1);
          if (shard && (shard.raw + len > this.opts.shardMaxRawBytes || shard.records >= this.opts.shardMaxRecords)) await cut();
          shard ??= new ShardBuffer(this.opts.gzipLevel, Math.ceil(this.opts.shardMaxRawBytes / 2));
          await shard.add(json, len);
          batchBytes += len;
        }
        // The batch's records, their lines and whatever the source decoded them from are garbage
        // now. Counted, they make V8 collect its old generation before it grows with the export
        // (collect.ts): 100k points peaked at 308 MiB of RSS without this, 247 MiB with a
        // collection per shard (bench/RESULTS.md, "The whole job").
        leftGarbage(batchBytes * 3);
        batchBytes = 0;
      }
      await cut();
      const s = sums[section.dataset - 1]!;
      s.records[section.kind] = digest.counts[section.kind] ?? 0;
      if (section.kind === ds.recordKinds.at(-1)) digest.dropNodeTable();
    }
    while (inFlight.length) await emit(inFlight.shift()!);

    const checksumsBody = Buffer.from(checksums.join('\n') + '\n');
    await addEntry(pack, { name: CHECKSUMS_ENTRY, size: checksumsBody.length, mtime: this.mtime }, checksumsBody);

    sums.forEach((s, i) => (s.digest = digests[i]!.hex()));
    this.opts.datasets.forEach((d, i) => {
      if (d.notes) sums[i]!.notes = d.notes();
    });
    const trailer: Trailer = {
      format: FORMAT_NAME,
      formatVersion: this.header.formatVersion,
      complete: true,
      finishedAt: new Date().toISOString(),
      header: { entry: HEADER_ENTRY, size: headerBody.length, sha256: headerSha },
      checksums: { entry: CHECKSUMS_ENTRY, size: checksumsBody.length, sha256: sha256hex(checksumsBody) },
      shards: trailerShards,
      datasets: sums,
      totals: {
        records: sums.reduce((n, s) => n + Object.values(s.records).reduce((a, b) => a + (b ?? 0), 0), 0),
        shards: trailerShards.length,
        bytes: trailerShards.reduce((n, s) => n + s.size, 0),
      },
    };
    const trailerBody = Buffer.from(stringifyJson(trailer, 2) + '\n');
    await addEntry(pack, { name: TRAILER_ENTRY, size: trailerBody.length, mtime: this.mtime }, trailerBody);
    this.trailer = trailer;
  }
}

function familyOf(d: DatasetInput): Family {
  const family = d.family ?? (d.kind ? KIND_FAMILY[d.kind as DatasetKind]?.family : undefined);
  if (!family || !Object.hasOwn(FAMILIES, family)) throw new MemarcError('USAGE', `dataset ${JSON.stringify(d.name)}: no known family (${JSON.stringify(d.family ?? d.kind)})`);
  return family;
}

/** A format-2 header dataset: family, neutral schema, and the native block when a store is known. */
function headerDatasetV2(d: DatasetInput, index: number): HeaderDataset {
  const family = familyOf(d);
  const store = d.store ?? (d.kind ? KIND_FAMILY[d.kind as DatasetKind]?.store : undefined);
  const schema = d.schema ?? {};
  const version = d.storeVersion ?? (typeof d.source.serverVersion === 'string' ? d.source.serverVersion : undefined);
  return {
    index,
    dir: datasetDir(index, d.name),
    name: d.name,
    family,
    recordKinds: [...FAMILIES[family]],
    schema,
    schemaSha256: sha256hex(canonicalJson(schema as Json)),
    ...(store ? { native: { store, ...(version !== undefined ? { version } : {}), config: d.fingerprint, configSha256: sha256hex(canonicalJson(d.fingerprint as Json)) } } : {}),
    source: d.source,
  };
}

function addEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ mode: 0o644, uname: '', gname: '', ...header }, body, (err) => (err ? reject(err) : resolve()));
  });
}

export function sha256hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
