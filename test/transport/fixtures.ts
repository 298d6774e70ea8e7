/**
 * Archive-like test data: a tar whose first entry is `header.json` (format memarc, a createdAt,
 * datasets) followed by shard-like entries of pseudo-random bytes (incompressible, like gzip).
 * Deterministic from a seed so a test can regenerate and compare.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { ArchiveWriter } from '../../src/format/writer.ts';

/** Deterministic pseudo-random bytes (AES-128-CTR over zeros), generated on the fly. */
export function pseudoRandom(seed: string, bytes: number, chunk = 1 << 20): Readable {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  let left = bytes;
  return Readable.from((function* () {
    while (left > 0) {
      const n = Math.min(chunk, left);
      left -= n;
      yield cipher.update(n === chunk ? zeros : zeros.subarray(0, n));
    }
  })(), { objectMode: false });
}

export interface ArchiveSpec {
  createdAt: string;
  /** Bytes of shard data (split into entries of at most 4 MiB). */
  dataBytes?: number;
  seed?: string;
  /** Replace the header document (for negative cases). */
  header?: unknown;
  /** Name of the first entry (default header.json). */
  firstEntry?: string;
}

export async function makeArchive(spec: ArchiveSpec): Promise<Buffer> {
  const pack = tar.pack();
  // A real v1 header (the format reader validates it), with the creation time under test.
  const header = spec.header ?? new ArchiveWriter({ datasets: [{ name: 'memories', kind: 'qdrant.collection', fingerprint: {}, source: { type: 'test' } }], createdAt: new Date(spec.createdAt) }).header;
  const done = buffer(pack);
  const headerBytes = Buffer.from(JSON.stringify(header));
  pack.entry({ name: spec.firstEntry ?? 'header.json', type: 'file' }, headerBytes);
  let left = spec.dataBytes ?? 1024;
  let seq = 1;
  while (left > 0) {
    const n = Math.min(left, 4 << 20);
    const data = await buffer(pseudoRandom(`${spec.seed ?? 'data'}-${seq}`, n));
    pack.entry({ name: `data/0001-memories/points-${String(seq).padStart(6, '0')}.ndjson.gz`, type: 'file' }, data);
    left -= n;
    seq++;
  }
  // A trailer that passes validation and names this header: what `ls` and `prune` look for at the end.
  const trailer = {
    format: 'memarc',
    formatVersion: { major: 1, minor: 0 },
    complete: true,
    finishedAt: spec.createdAt,
    header: { entry: 'header.json', size: headerBytes.length, sha256: sha256(headerBytes) },
    checksums: { entry: 'CHECKSUMS.sha256', size: 0, sha256: sha256(Buffer.alloc(0)) },
    shards: [],
    datasets: [],
    totals: { records: 0, shards: 0, bytes: 0 },
  };
  pack.entry({ name: 'trailer.json', type: 'file' }, Buffer.from(JSON.stringify(trailer)));
  pack.finalize();
  return done;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Feeds a buffer in chunks of `size` bytes, optionally pausing between chunks. */
export function chunked(data: Buffer, size: number): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })(), { objectMode: false });
}
