/**
 * Re-chunking helpers for chunk-boundary tests: the same bytes, cut at other places, must read
 * the same.
 */
import { Readable } from 'node:stream';

/**
 * The buffer as an async iterable of chunks of the given sizes, used in turn (cycled). Each chunk
 * is a copy, so a reader that keeps a chunk cannot see the next one's bytes by accident.
 */
export async function* rechunk(buf: Uint8Array, sizes: number | readonly number[]): AsyncGenerator<Buffer, void, undefined> {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new RangeError(`chunk sizes must be positive integers, got ${JSON.stringify(list)}`);
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = list[i++ % list.length]!;
    yield Buffer.from(buf.subarray(off, off + n));
    off += n;
    // Let other work run between chunks, as a socket would.
    if (i % 64 === 0) await new Promise<void>((r) => setImmediate(r));
  }
}

/** A Readable that emits the buffer in chunks of the given sizes. */
export function rechunkStream(buf: Uint8Array, sizes: number | readonly number[]): Readable {
  return Readable.from(rechunk(buf, sizes), { objectMode: false });
}
