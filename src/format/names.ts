/**
 * Entry names of format v1 (spec/FORMAT.md, "Entries"). Names are built only from a small
 * portable alphabet, so no archive can name a path outside the directory it is extracted into.
 */
import type { RecordKind } from './records.ts';

export const HEADER_ENTRY = 'header.json';
export const CHECKSUMS_ENTRY = 'CHECKSUMS.sha256';
export const TRAILER_ENTRY = 'trailer.json';

const SAFE_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const SHARD = /^data\/(\d{4,9})-([A-Za-z0-9._-]{0,64})\/(point|node|edge|row)-(\d{6,9})\.ndjson\.gz$/;

export const MAX_NAME_BYTES = 255;

/** Why a name is unsafe, or null when it is safe to use as a relative path. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  if (name.startsWith('/')) return 'the name is an absolute path';
  if (/^[A-Za-z]:/.test(name) || name.includes('\\')) return 'the name is a Windows path';
  if (name.split('/').some((c) => c === '..' || c === '.')) return 'the name contains a "." or ".." component';
  if (!SAFE_NAME.test(name)) return 'the name has characters outside [A-Za-z0-9._-/] or an empty component';
  return null;
}

export function slugOf(name: string): string {
  return name.normalize('NFC').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '_').slice(0, 64);
}

export function datasetDir(index: number, name: string): string {
  return `data/${String(index).padStart(4, '0')}-${slugOf(name)}`;
}

export function shardEntry(dir: string, kind: RecordKind, seq: number): string {
  return `${dir}/${kind}-${String(seq).padStart(6, '0')}.ndjson.gz`;
}

export interface ParsedShardName {
  index: number;
  dir: string;
  kind: RecordKind;
  seq: number;
}

export function parseShardName(name: string): ParsedShardName | null {
  const m = SHARD.exec(name);
  if (!m) return null;
  return { index: Number(m[1]), dir: `data/${m[1]}-${m[2]}`, kind: m[3] as RecordKind, seq: Number(m[4]) };
}
