/**
 * Reads an archive's header (its first entry) through the format reader, and stops there: the
 * stream is released as soon as the header is validated, so listing a directory of 50 GB archives
 * reads a few KiB of each.
 */
import type { Readable } from 'node:stream';
import { MemarcError, type ErrorCode } from '../errors.ts';
import type { Header } from '../format/header.ts';
import { readArchive } from '../format/reader.ts';

export const MAX_HEADER_BYTES = 1024 * 1024;

export type ArchiveHeader = Header;

/** Why a stream is not a readable memarc archive; thrown by `readArchiveHeader`. */
export class NotAnArchiveError extends Error {
  override readonly name = 'NotAnArchiveError';
}

/** Verdicts on the bytes; anything else (I/O, S3, credentials) is a failure to read them and passes through. */
const VERDICTS = new Set<ErrorCode>(['MALFORMED_ARCHIVE', 'UNSUPPORTED_VERSION', 'TRUNCATED', 'MISSING_TRAILER', 'UNSAFE_ENTRY', 'LINK_ENTRY', 'LIMIT_EXCEEDED', 'CHECKSUM_MISMATCH']);

export async function readArchiveHeader(source: Readable, maxBytes = MAX_HEADER_BYTES): Promise<ArchiveHeader> {
  return (await readArchiveHead(source, maxBytes)).header;
}

/** The header and the SHA-256 of `header.json` (which the trailer records). */
export async function readArchiveHead(source: Readable, maxBytes = MAX_HEADER_BYTES): Promise<{ header: ArchiveHeader; sha256: string }> {
  try {
    for await (const ev of readArchive(source, { decode: false, maxMetaBytes: maxBytes })) {
      if (ev.type === 'header') return { header: ev.header, sha256: ev.sha256 }; // leaving the loop releases the stream
    }
  } catch (err) {
    if (err instanceof MemarcError && VERDICTS.has(err.code)) throw new NotAnArchiveError(err.message);
    throw err;
  } finally {
    source.destroy();
  }
  throw new NotAnArchiveError('it holds no header');
}
