/**
 * Reads an archive's header: the first tar entry, `header.json`. Only that entry is read; the
 * stream is dropped as soon as it is parsed, so listing a directory of 50 GB archives reads a few
 * KiB of each.
 *
 * Stand-in until `readHeader(stream)` from src/format/reader.ts exists: it checks only what
 * listing and pruning need (format, createdAt, datasets), not the full header schema.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { MemarcError } from '../errors.ts';

export const HEADER_ENTRY = 'header.json';
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface ArchiveHeader {
  format: 'memarc';
  createdAt: string;
  datasets: unknown[];
  [key: string]: unknown;
}

/** Why a stream is not a readable memarc archive; thrown by `readArchiveHeader`. */
export class NotAnArchiveError extends Error {
  override readonly name = 'NotAnArchiveError';
}

export async function readArchiveHeader(source: Readable, maxBytes = MAX_HEADER_BYTES): Promise<ArchiveHeader> {
  const extract = tar.extract();
  // The pipeline is cut on purpose once the first entry is read; its rejection then means nothing.
  // A real read error also ends the iteration below, which reports it.
  const feeding = pipeline(source, extract).catch(() => undefined);
  let text: string | undefined;
  try {
    for await (const entry of extract) {
      const { name, size, type } = entry.header;
      if (name !== HEADER_ENTRY || (type !== 'file' && type !== undefined && type !== null)) {
        throw new NotAnArchiveError(`its first entry is ${JSON.stringify(name)}, not ${HEADER_ENTRY}`);
      }
      if (size !== undefined && size > maxBytes) throw new NotAnArchiveError(`its ${HEADER_ENTRY} is ${size} bytes, over the ${maxBytes}-byte limit`);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of entry) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) throw new NotAnArchiveError(`its ${HEADER_ENTRY} is over the ${maxBytes}-byte limit`);
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
      break;
    }
  } catch (err) {
    if (err instanceof NotAnArchiveError) throw err;
    // A failure to read (S3 error, EACCES) is not a verdict on the archive: let it through.
    if (err instanceof MemarcError || typeof (err as NodeJS.ErrnoException).syscall === 'string') throw err;
    throw new NotAnArchiveError(`it is not a readable tar archive (${(err as Error).message})`);
  } finally {
    extract.destroy();
    source.destroy();
    await feeding;
  }
  if (text === undefined) throw new NotAnArchiveError('it is empty or not a tar archive');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NotAnArchiveError(`its ${HEADER_ENTRY} is not JSON (${(err as Error).message})`);
  }
  const h = doc as Partial<ArchiveHeader> | null;
  if (!h || typeof h !== 'object' || Array.isArray(h) || h.format !== 'memarc') throw new NotAnArchiveError(`its ${HEADER_ENTRY} does not say format "memarc"`);
  if (typeof h.createdAt !== 'string' || Number.isNaN(Date.parse(h.createdAt))) throw new NotAnArchiveError(`its ${HEADER_ENTRY} has no valid createdAt`);
  if (!Array.isArray(h.datasets)) throw new NotAnArchiveError(`its ${HEADER_ENTRY} has no datasets list`);
  return h as ArchiveHeader;
}
