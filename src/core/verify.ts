/**
 * verifyArchive reads a whole archive as an import would, minus the target: every shard hash,
 * every record, every count and every dataset digest against the trailer. inspectArchive is the
 * quick look (`pg_restore -l`): checksums, names, order and the trailer, without decompressing.
 */
import type { Readable } from 'node:stream';
import { readArchive, type ReaderOptions, type UnknownEntry } from '../format/reader.ts';
import type { Header, Trailer } from '../format/header.ts';
import type { Family, RecordKind } from '../format/records.ts';
import { datasetFamily, datasetLabel, datasetStore, schemaHash } from '../format/datasets.ts';

export interface ArchiveSummary {
  header: Header;
  headerSha256: string;
  trailer: Trailer;
  datasets: Array<{
    index: number;
    name: string;
    /** The format-1 kind (`<store>.<object>`), or `family/store` (format 2). */
    kind: string;
    family: Family;
    /** The native store, null when the dataset has none. */
    store: string | null;
    records: Partial<Record<RecordKind, number>>;
    shards: number;
    bytes: number;
    rawBytes: number;
    fingerprintSha256: string;
    digest: string;
    /** Recomputed from the records (verify only). */
    digestVerified: boolean;
  }>;
  /** Entries the reader does not know (a later minor version's), skipped unread (spec §3.4, §14). */
  unknownEntries: UnknownEntry[];
}

export interface VerifyOptions extends Omit<ReaderOptions, 'decode' | 'records'> {
  onRecords?: (n: number) => void;
  onBytes?: (n: number) => void;
}

export function verifyArchive(input: Readable | AsyncIterable<Uint8Array>, opts: VerifyOptions = {}): Promise<ArchiveSummary> {
  // Every record is decoded and checked, none handed on: each shard is inflated once.
  return summarize(input, { ...opts, decode: true, records: false });
}

export function inspectArchive(input: Readable | AsyncIterable<Uint8Array>, opts: VerifyOptions = {}): Promise<ArchiveSummary> {
  return summarize(input, { ...opts, decode: false });
}

async function summarize(input: Readable | AsyncIterable<Uint8Array>, opts: VerifyOptions & { decode: boolean; records?: boolean }): Promise<ArchiveSummary> {
  let header: Header | undefined;
  let headerSha256 = '';
  for await (const ev of readArchive(input, opts)) {
    if (ev.type === 'header') {
      header = ev.header;
      headerSha256 = ev.sha256;
    } else if (ev.type === 'records') {
      opts.onRecords?.(ev.records.length);
    } else if (ev.type === 'shard') {
      if (opts.decode) opts.onRecords?.(ev.shard.records);
      opts.onBytes?.(ev.shard.size);
    } else if (ev.type === 'trailer') {
      const h = header!;
      const t = ev.trailer;
      return {
        header: h,
        headerSha256,
        trailer: t,
        datasets: h.datasets.map((d) => {
          const td = t.datasets[d.index - 1]!;
          return {
            index: d.index,
            name: d.name,
            kind: datasetLabel(d),
            family: datasetFamily(d),
            store: datasetStore(d),
            records: td.records,
            shards: td.shards,
            bytes: td.bytes,
            rawBytes: td.rawBytes,
            fingerprintSha256: schemaHash(d),
            digest: td.digest,
            digestVerified: ev.digests !== null,
          };
        }),
        unknownEntries: ev.unknownEntries,
      };
    }
  }
  throw new Error('reader ended without a trailer event');
}
