/**
 * The lines of one shard, inflated as they are read: the gzip bytes are held (they were hashed
 * whole before anything is inflated), the NDJSON never is. Memory is the gzip bytes plus one line
 * plus zlib's window, whatever the shard inflates to (spec/FORMAT.md, "Reader limits"). The
 * reader walks a shard twice this way, once to check every line and once to hand records on;
 * inflating is the cheap part of reading a line.
 *
 * Checked here, as bytes come out: the declared raw size is a hard cap (a bomb stops there), the
 * line limit, UTF-8, the final newline, the raw size and that nothing follows the last gzip member.
 */
import { TextDecoder } from 'node:util';
import { createGunzip, gunzipSync } from 'node:zlib';
import { MemarcError, type ErrorCode } from '../errors.ts';

// ignoreBOM keeps a BOM in the text, where JSON.parse refuses it: a line must start with '{'.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const CHUNK = 64 * 1024;
/**
 * Shards that declare at most this much NDJSON are inflated at once, synchronously: a stream
 * costs two thread-pool hops per shard, which dominated verifying 20,000 one-record shards.
 */
const AT_ONCE = 1024 * 1024;

export interface ShardLine {
  lineNo: number;
  /** The line's bytes, without its newline. Valid until the next line is asked for. */
  bytes: Buffer;
  text: string;
}

export interface ShardLimits {
  /** The declared NDJSON size, already checked against the raw-size limit. */
  rawSize: number;
  maxLineBytes: number;
}

const BAD_HINT = 'the archive is not a valid memarc archive; do not restore from it';

function fail(code: ErrorCode, message: string, context: Record<string, unknown>, hint = BAD_HINT): never {
  throw new MemarcError(code, message, { context, hint });
}

export async function* shardLines(body: Buffer, entry: string, lim: ShardLimits): AsyncGenerator<ShardLine, void, undefined> {
  if (lim.rawSize <= AT_ONCE) {
    yield* smallShardLines(body, entry, lim);
    return;
  }
  const gz = createGunzip({ chunkSize: CHUNK });
  gz.on('error', () => {}); // surfaced by the iterator below
  gz.end(body);
  let total = 0;
  let lineNo = 1;
  /** Pieces of a line that spans chunks. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const tooLong = () =>
    fail('LIMIT_EXCEEDED', `shard ${entry}, line ${lineNo}: the line is longer than the limit of ${lim.maxLineBytes} bytes`, { entry, line: lineNo, limit: lim.maxLineBytes }, '--max-line-bytes (CLI) or the reader option maxLineBytes (library) raises this limit for an archive you trust; otherwise treat it as hostile');
  const line = (bytes: Buffer): ShardLine => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return fail('MALFORMED_RECORD', `shard ${entry}, line ${lineNo}: not valid UTF-8`, { entry, line: lineNo });
    }
    return { lineNo: lineNo++, bytes, text };
  };
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > lim.rawSize) {
        fail('LIMIT_EXCEEDED', `shard ${entry} inflates beyond its declared ${lim.rawSize} bytes (a decompression bomb?)`, { entry, limit: lim.rawSize }, 'the archive is corrupt or hostile; do not restore from it');
      }
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        if (pendingBytes === 0) {
          if (nl - start > lim.maxLineBytes) tooLong();
          yield line(chunk.subarray(start, nl));
        } else {
          if (pendingBytes + nl - start > lim.maxLineBytes) tooLong();
          pending.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(pending, pendingBytes + nl - start);
          pending = [];
          pendingBytes = 0;
          yield line(whole);
        }
        start = nl + 1;
      }
      if (start < chunk.length) {
        pendingBytes += chunk.length - start;
        if (pendingBytes > lim.maxLineBytes) tooLong();
        // A copy: zlib may reuse the chunk's memory.
        pending.push(Buffer.from(chunk.subarray(start)));
      }
    }
  } catch (err) {
    if (err instanceof MemarcError) throw err;
    return fail('MALFORMED_RECORD', `shard ${entry} is not valid gzip: ${(err as Error).message}`, { entry });
  } finally {
    gz.destroy();
  }
  // zlib stops after the last member when what follows is not another one; it must be nothing.
  if (gz.bytesWritten !== body.length) {
    fail('MALFORMED_RECORD', `shard ${entry}: ${body.length - gz.bytesWritten} bytes follow the last gzip member`, { entry });
  }
  if (total !== lim.rawSize) fail('COUNT_MISMATCH', `shard ${entry} holds ${total} bytes of records, its header declares ${lim.rawSize}`, { entry }, 'the archive is corrupt or was altered; restore from another copy');
  if (pendingBytes > 0) fail('MALFORMED_RECORD', `shard ${entry}: the last line does not end with a newline`, { entry, line: lineNo });
}

/** shardLines for a shard of at most AT_ONCE bytes of NDJSON: the same checks, on one buffer. */
function* smallShardLines(body: Buffer, entry: string, lim: ShardLimits): Generator<ShardLine, void, undefined> {
  let raw: Buffer;
  let consumed: number;
  try {
    // One byte over the declared size tells a shard that inflates beyond it.
    const r = gunzipSync(body, { info: true, maxOutputLength: lim.rawSize + 1 }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    raw = r.buffer;
    consumed = r.engine.bytesWritten;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return fail('LIMIT_EXCEEDED', `shard ${entry} inflates beyond its declared ${lim.rawSize} bytes (a decompression bomb?)`, { entry, limit: lim.rawSize }, 'the archive is corrupt or hostile; do not restore from it');
    }
    return fail('MALFORMED_RECORD', `shard ${entry} is not valid gzip: ${(err as Error).message}`, { entry });
  }
  if (raw.length > lim.rawSize) fail('LIMIT_EXCEEDED', `shard ${entry} inflates beyond its declared ${lim.rawSize} bytes (a decompression bomb?)`, { entry, limit: lim.rawSize }, 'the archive is corrupt or hostile; do not restore from it');
  if (consumed !== body.length) fail('MALFORMED_RECORD', `shard ${entry}: ${body.length - consumed} bytes follow the last gzip member`, { entry });
  if (raw.length !== lim.rawSize) fail('COUNT_MISMATCH', `shard ${entry} holds ${raw.length} bytes of records, its header declares ${lim.rawSize}`, { entry }, 'the archive is corrupt or was altered; restore from another copy');
  if (raw.length > 0 && raw[raw.length - 1] !== 0x0a) fail('MALFORMED_RECORD', `shard ${entry}: the last line does not end with a newline`, { entry, line: countLines(raw) + 1 });
  let start = 0;
  for (let lineNo = 1; start < raw.length; lineNo++) {
    const end = raw.indexOf(0x0a, start);
    if (end - start > lim.maxLineBytes) fail('LIMIT_EXCEEDED', `shard ${entry}, line ${lineNo}: the line is longer than the limit of ${lim.maxLineBytes} bytes`, { entry, line: lineNo, limit: lim.maxLineBytes }, '--max-line-bytes (CLI) or the reader option maxLineBytes (library) raises this limit for an archive you trust; otherwise treat it as hostile');
    const bytes = raw.subarray(start, end);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return fail('MALFORMED_RECORD', `shard ${entry}, line ${lineNo}: not valid UTF-8`, { entry, line: lineNo });
    }
    start = end + 1;
    yield { lineNo, bytes, text };
  }
}

function countLines(raw: Buffer): number {
  let n = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) n++;
  return n;
}
