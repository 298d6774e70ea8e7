/**
 * The framing of `COPY … (FORMAT binary)` (PostgreSQL docs, "COPY", "Binary Format"): an 11-byte
 * signature, a flags word and a header extension, then one tuple per row (a 16-bit field count,
 * each field a 32-bit length, -1 for NULL, and the bytes of the type's send function), then the
 * 16-bit trailer -1. The per-type field bytes are codec.ts's business.
 *
 * Why binary and not text: binary carries floats as their IEEE bits (NaN, ±Infinity and −0 need
 * no spelling), vectors as raw float4 (no decimal printing and parsing of 768 numbers a row), and
 * needs no unescaping of backslashes, quoting of array literals or DateStyle settings. Each type's
 * binary form is fixed by its send/recv functions, which the server keeps stable across versions.
 */
import { MemarcError } from '../../errors.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export type Field = Buffer | null;

/** The file header of a binary COPY: signature, flags 0, no header extension. */
export function copyHeader(): Buffer {
  const b = Buffer.alloc(19);
  SIGNATURE.copy(b, 0);
  return b;
}

/** The trailer: a field count of -1. */
export function copyTrailer(): Buffer {
  return Buffer.from([0xff, 0xff]);
}

/** One tuple: its fields, each length-prefixed (-1 for NULL). */
export function encodeTuple(fields: Field[]): Buffer {
  let size = 2;
  for (const f of fields) size += 4 + (f ? f.length : 0);
  const b = Buffer.allocUnsafe(size);
  b.writeInt16BE(fields.length, 0);
  let at = 2;
  for (const f of fields) {
    if (f === null) {
      b.writeInt32BE(-1, at);
      at += 4;
    } else {
      b.writeInt32BE(f.length, at);
      f.copy(b, at + 4);
      at += 4 + f.length;
    }
  }
  return b;
}

function malformed(what: string): MemarcError {
  return new MemarcError('STORE_ERROR', `the server's binary COPY output is malformed: ${what}`, { hint: 'this is a bug in memarc or in the server; please report it' });
}

/**
 * Rows of a binary COPY stream, as lists of fields. Chunks arrive cut anywhere; a tuple that spans
 * chunks waits for the rest. Memory is one tuple plus one chunk.
 */
export async function* copyRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<Field[][]> {
  let buf: Buffer = Buffer.alloc(0);
  let headerDone = false;
  let ended = false;
  // Chunks held back until they complete the tuple in progress (`need` bytes): a row bigger than a
  // chunk is joined once, not once per chunk.
  let held: Buffer[] = [];
  let heldBytes = 0;
  let need = 0;
  for await (const chunk of chunks) {
    if (buf.length + heldBytes + chunk.length < need) {
      held.push(chunk);
      heldBytes += chunk.length;
      continue;
    }
    buf = buf.length === 0 && held.length === 0 ? chunk : Buffer.concat([buf, ...held, chunk]);
    held = [];
    heldBytes = 0;
    need = 0;
    let at = 0;
    if (!headerDone) {
      if (buf.length < 19) {
        need = 19;
        continue;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw malformed('no PGCOPY signature');
      const ext = buf.readUInt32BE(15);
      if (buf.length < 19 + ext) {
        need = 19 + ext;
        continue;
      }
      at = 19 + ext;
      headerDone = true;
    }
    const rows: Field[][] = [];
    for (;;) {
      if (ended) {
        if (at < buf.length) throw malformed('data after the trailer');
        break;
      }
      if (buf.length - at < 2) {
        need = buf.length - at + 2;
        break;
      }
      const n = buf.readInt16BE(at);
      if (n === -1) {
        ended = true;
        at += 2;
        continue;
      }
      let p = at + 2;
      const fields: Field[] = new Array(n);
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (buf.length - p < 4) {
          complete = false;
          need = p + 4 - at;
          break;
        }
        const len = buf.readInt32BE(p);
        p += 4;
        if (len === -1) {
          fields[i] = null;
          continue;
        }
        if (buf.length - p < len) {
          complete = false;
          need = p + len - at;
          break;
        }
        fields[i] = buf.subarray(p, p + len);
        p += len;
      }
      if (!complete) break;
      rows.push(fields);
      at = p;
    }
    // Fields are views into buf; the unread rest is copied so the chunks behind the rows can go.
    buf = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    if (rows.length > 0) yield rows;
  }
  if (!headerDone || !ended || buf.length > 0 || heldBytes > 0) throw malformed('the stream ended before its trailer');
}
