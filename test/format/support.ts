/** Shared helpers of the format tests: write an archive to a Buffer, read one into a summary. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readArchive, type ArchiveEvent, type ReaderOptions } from '../../src/format/reader.ts';
import type { Header, Trailer } from '../../src/format/header.ts';
import { FAMILIES, type AnyRecord, type JsonObject } from '../../src/format/records.ts';
import { descriptorFamily } from '../../src/core/adapter.ts';
import { syntheticSource, type SyntheticOptions } from '../../src/adapters/synthetic/index.ts';
import { ArchiveWriter, type DatasetInput, type Section, type WriterOptions } from '../../src/format/writer.ts';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
export const GOLDEN_PATH = path.join(FIXTURES, 'v1/golden.memarc');
export const NEGATIVE_PATH = path.join(FIXTURES, 'v1/negative');

export const golden = (): Buffer => readFileSync(GOLDEN_PATH);

export async function writeArchive(datasets: DatasetInput[], sections: Iterable<Section> | AsyncIterable<Section>, opts: Partial<WriterOptions> = {}): Promise<{ archive: Buffer; writer: ArchiveWriter }> {
  const writer = new ArchiveWriter({ datasets, ...opts });
  const chunks: Buffer[] = [];
  for await (const c of writer.encode(sections)) chunks.push(c);
  return { archive: Buffer.concat(chunks), writer };
}

export interface ReadResult {
  header: Header | null;
  /** Records by `${datasetIndex}/${kind}`, in archive order. */
  records: Map<string, AnyRecord[]>;
  /** Entry of every `records` event with its record count, in order. */
  recordEvents: Array<{ entry: string; count: number; firstLine: number }>;
  shards: string[];
  trailer: Trailer | null;
  digests: Map<number, string> | null;
  error: unknown;
}

/** Reads the whole archive (with `read`: readArchive, or another reader of its events); never throws: the error, if any, is in the result with what came before it. */
export async function readAll(source: Buffer | Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions = {}, read: (source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions) => AsyncIterable<ArchiveEvent> = readArchive): Promise<ReadResult> {
  const out: ReadResult = { header: null, records: new Map(), recordEvents: [], shards: [], trailer: null, digests: null, error: null };
  const src = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  try {
    for await (const ev of read(src, opts)) collect(out, ev);
  } catch (err) {
    out.error = err;
  }
  return out;
}

function collect(out: ReadResult, ev: ArchiveEvent): void {
  switch (ev.type) {
    case 'header':
      out.header = ev.header;
      break;
    case 'records': {
      const k = `${ev.dataset.index}/${ev.kind}`;
      const list = out.records.get(k) ?? [];
      list.push(...ev.records);
      out.records.set(k, list);
      out.recordEvents.push({ entry: ev.entry, count: ev.records.length, firstLine: ev.firstLine });
      break;
    }
    case 'shard':
      out.shards.push(ev.shard.entry);
      break;
    case 'trailer':
      out.trailer = ev.trailer;
      out.digests = ev.digests;
      break;
  }
}

/** Records handed on from one entry. */
export function recordsFrom(r: ReadResult, entry: string): number {
  return r.recordEvents.filter((e) => e.entry === entry).reduce((n, e) => n + e.count, 0);
}

/** The datasets and sections of a synthetic source, ready for the writer. */
export async function syntheticInputs(opts: SyntheticOptions): Promise<{ datasets: DatasetInput[]; sections: Section[] }> {
  const ds = await syntheticSource(opts).open();
  const sections: Section[] = [];
  ds.forEach((d, i) => {
    for (const kind of FAMILIES[descriptorFamily(d.descriptor)]) sections.push({ dataset: i + 1, kind, batches: d.batches(kind) });
  });
  return { datasets: ds.map((d) => ({ ...d.descriptor, source: d.descriptor.source as JsonObject })), sections };
}
