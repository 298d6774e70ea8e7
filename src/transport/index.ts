/**
 * Where archive bytes live. A location is a path, `-` (stdin/stdout) or `s3://bucket/key`.
 *
 * An output is a Writable plus an explicit end of life: `commit()` after the last byte makes the
 * archive appear at its final location (rename, PutObject, multipart complete) and resolves only
 * once it is durable; `abort(err)` removes every trace (temp file, multipart parts). Nothing
 * appears at the final location before `commit()`. See types.ts for the full contract.
 */
import type { Readable } from 'node:stream';
import { MemarcError } from '../errors.ts';
import { fileInput, fileOutput } from './file.ts';
import { parseLocation } from './location.ts';
import { stdinInput, stdoutOutput } from './stdio.ts';
import type { ArchiveOutput, InputOptions, OutputOptions } from './types.ts';

export type { ArchiveOutput, InputOptions, OutputOptions } from './types.ts';
export type { S3Options } from './s3-client.ts';
export type { ArchiveInfo, ListOptions, ListResult, PruneOptions, PruneResult, SkippedEntry } from './archives.ts';
export type { ArchiveHeader } from './header.ts';
export type { Location } from './location.ts';
export { parseDuration } from './duration.ts';
export { parseLocation } from './location.ts';
export { readArchiveHeader, NotAnArchiveError } from './header.ts';

/**
 * The AWS SDK is loaded only for an s3:// location: it costs about 18 MiB of RSS, which a file or
 * pipe export or import would otherwise carry for nothing (bench/RESULTS.md, "The whole job").
 */
export async function listArchives(...args: Parameters<typeof import('./archives.ts').listArchives>): ReturnType<typeof import('./archives.ts').listArchives> {
  return (await import('./archives.ts')).listArchives(...args);
}

export async function pruneArchives(...args: Parameters<typeof import('./archives.ts').pruneArchives>): ReturnType<typeof import('./archives.ts').pruneArchives> {
  return (await import('./archives.ts')).pruneArchives(...args);
}

export async function openInput(location: string, opts: InputOptions = {}): Promise<Readable> {
  const loc = parseLocation(location);
  switch (loc.kind) {
    case 'stdio':
      return stdinInput();
    case 's3':
      return (await import('./s3.ts')).openS3Input(loc.bucket, loc.key, opts);
    case 'file':
      return fileInput(loc.path, opts.signal);
  }
}

export async function openOutput(location: string, opts: OutputOptions = {}): Promise<ArchiveOutput> {
  if (opts.signal?.aborted) throw new MemarcError('INTERRUPTED', `writing ${location} was cancelled before it started`);
  const loc = parseLocation(location);
  switch (loc.kind) {
    case 'stdio':
      return stdoutOutput();
    case 's3':
      return (await import('./s3.ts')).openS3Output(loc.bucket, loc.key, opts);
    case 'file':
      return fileOutput(loc.path, opts);
  }
}
