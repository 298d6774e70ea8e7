/**
 * exportArchive: sources in, one archive out. Every source describes its datasets first, so the
 * header (with every fingerprint) is written before any data; then each dataset's records stream
 * through the writer. The output is committed only after the trailer is written, and aborted on
 * any failure or interrupt, so no complete-looking archive is left behind by a failed export.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveWriter, type Section, type WriterOptions } from '../format/writer.ts';
import { Sections } from '../format/collect.ts';
import type { Header, Trailer, TrailerShard } from '../format/header.ts';
import type { JsonObject } from '../format/records.ts';
import { descriptorFamily, descriptorStore, type DatasetSource, type Source } from './adapter.ts';

export interface ExportOptions extends Omit<WriterOptions, 'datasets' | 'onShard'> {
  sources: Source[];
  /** Where the bytes go: a Writable, or an output with commit/abort (src/transport). */
  output: Writable | { stream: Writable; commit(): Promise<void>; abort(err?: unknown): Promise<void> };
  signal?: AbortSignal;
  onShard?: (shard: TrailerShard) => void;
}

export interface ExportResult {
  header: Header;
  trailer: Trailer;
}

export async function exportArchive(opts: ExportOptions): Promise<ExportResult> {
  const { sources, output, signal, ...writerOpts } = opts;
  const sink = 'commit' in output ? output : null;
  const stream = sink ? sink.stream : (output as Writable);
  const opened: Source[] = [];
  try {
    const datasets: DatasetSource[] = [];
    for (const s of sources) {
      opened.push(s);
      datasets.push(...(await s.open(signal)));
    }
    const writer = new ArchiveWriter({
      ...writerOpts,
      datasets: datasets.map((d) => ({ name: d.descriptor.name, family: descriptorFamily(d.descriptor), ...(descriptorStore(d.descriptor) ? { store: descriptorStore(d.descriptor)! } : {}), ...(d.descriptor.schema ? { schema: d.descriptor.schema } : {}), fingerprint: d.descriptor.fingerprint, source: d.descriptor.source as JsonObject, ...(d.notes ? { notes: () => d.notes!() } : {}) })),
    });
    await pipeline(writer.encode(sections(datasets, writer, signal)), stream, signal ? { signal } : {});
    if (!writer.trailer) throw new Error('writer ended without a trailer');
    await sink?.commit();
    return { header: writer.header, trailer: writer.trailer };
  } catch (err) {
    await sink?.abort(err);
    throw err;
  } finally {
    for (const s of opened) await s.close().catch(() => {});
  }
}

function* sections(datasets: DatasetSource[], writer: ArchiveWriter, signal?: AbortSignal): Generator<Section> {
  const sections = new Sections();
  for (const [i, d] of datasets.entries()) {
    for (const kind of writer.header.datasets[i]!.recordKinds) {
      sections.enter(`${i} ${kind}`);
      yield { dataset: i + 1, kind, batches: d.batches(kind, signal) };
    }
  }
}
