/** Small helpers of the SQLite tests: archives in memory, digests by dataset, a scratch directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll } from 'vitest';
import type { Source } from '../../src/core/adapter.ts';
import type { AnyRecord } from '../../src/format/records.ts';
import { readArchive } from '../../src/format/reader.ts';
import { exportToBuffer } from '../helpers/archive.ts';
import { DatabaseSync } from 'node:sqlite';

export async function archiveOf(sources: Source[], opts: { shardMaxRecords?: number; log?: (m: string) => void } = {}): Promise<Buffer> {
  return (await exportToBuffer({ sources, ...(opts.shardMaxRecords ? { shardMaxRecords: opts.shardMaxRecords } : {}), ...(opts.log ? { log: opts.log } : {}) })).bytes;
}

/** The trailer's digest of each dataset, by name. */
export async function digestsOf(archive: Buffer): Promise<Record<string, string>> {
  for await (const ev of readArchive(Readable.from([archive]), { decode: false })) {
    if (ev.type === 'trailer') return Object.fromEntries(ev.trailer.datasets.map((d) => [d.name, d.digest]));
  }
  throw new Error('no trailer');
}

/** Every record of every dataset, by dataset name (small archives only). */
export async function recordsOf(archive: Buffer): Promise<Map<string, AnyRecord[]>> {
  const out = new Map<string, AnyRecord[]>();
  for await (const ev of readArchive(Readable.from([archive]))) {
    if (ev.type === 'records') out.set(ev.dataset.name, [...(out.get(ev.dataset.name) ?? []), ...(ev.records as AnyRecord[])]);
  }
  return out;
}

/** A scratch directory removed after the file's tests. */
export function scratch(): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), 'memarc-sqlite-test-'));
    dirs.push(d);
    return d;
  };
}

/** Runs `read` on a read-only connection to the database at `path`, and closes it. */
export function withDb<T>(path: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
