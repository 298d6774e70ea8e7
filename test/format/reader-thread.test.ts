/**
 * The reader on a thread of its own (src/format/reader-thread.ts) is the reader: every fixture,
 * good or bad, gives the same events, records, digests and errors (code, message, context, hint)
 * as `readArchive` in one pass; the caller's own input errors come back as they were thrown; it
 * stops when its consumer stops (the thread ends, the source is released) or the signal aborts;
 * and it reads no further ahead than its window while its consumer is busy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemarcError } from '../../src/errors.ts';
import { readArchive, type ReaderOptions } from '../../src/format/reader.ts';
import { DatasetDigest } from '../../src/format/digest.ts';
import { readArchiveInThread } from '../../src/format/reader-thread.ts';
import { COMPAT_FIXTURES } from '../../fixtures/compat.ts';
import { NEGATIVE_FIXTURES } from '../../fixtures/negatives.ts';
import { V2_NEGATIVE } from '../../fixtures/make-v2.ts';
import { FIXTURES, golden, NEGATIVE_PATH, readAll, syntheticInputs, writeArchive } from './support.ts';

const onePass = (source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions) => readArchive(source, { ...opts, checkShardFirst: false });
const threaded = (source: Readable | AsyncIterable<Uint8Array>, opts: ReaderOptions) => readArchiveInThread(source, opts);

const archives = [
  ...NEGATIVE_FIXTURES.map((f) => path.join(NEGATIVE_PATH, f.file)),
  ...V2_NEGATIVE.map((f) => path.join(FIXTURES, 'v2/negative', f.file)),
  path.join(FIXTURES, 'v1/golden.memarc'),
  path.join(FIXTURES, 'v2/golden.memarc'),
  ...COMPAT_FIXTURES.map((f) => path.join(FIXTURES, 'v1/compat', f.file)),
  ...readdirSync(path.join(FIXTURES, 'v2/compat')).filter((f) => f.endsWith('.memarc')).map((f) => path.join(FIXTURES, 'v2/compat', f)),
];

/** Everything an error tells its reader. */
const told = (err: unknown) =>
  err instanceof MemarcError ? { memarc: true, code: err.code, message: err.message, context: err.context, hint: err.hint } : { memarc: false, message: (err as Error | null)?.message, code: (err as NodeJS.ErrnoException | null)?.code };

/** A big enough archive (several shards of a few hundred KiB) to see the reader's window. */
async function bigArchive(): Promise<Buffer> {
  const { datasets, sections } = await syntheticInputs({ count: 6000, dim: 256, nodes: 2000, edgesPerNode: 2, batchSize: 500 });
  return (await writeArchive(datasets, sections, { shardMaxRecords: 1000 })).archive;
}

describe('the reader thread', () => {
  it.each(archives.map((f) => [path.relative(FIXTURES, f), f] as const))('%s: the same events, records, digests and error as one pass on one thread', async (_name, file) => {
    const archive = readFileSync(file);
    const warningsA: string[] = [];
    const warningsB: string[] = [];
    const a = await readAll(archive, { onWarning: (m) => warningsA.push(m) }, onePass);
    const b = await readAll(archive, { onWarning: (m) => warningsB.push(m) }, threaded);
    expect(told(b.error)).toEqual(told(a.error));
    if (a.error instanceof MemarcError) expect(b.error).toBeInstanceOf(MemarcError);
    expect(b.header).toEqual(a.header);
    expect(b.recordEvents).toEqual(a.recordEvents);
    expect(b.records).toEqual(a.records);
    expect(b.shards).toEqual(a.shards);
    expect(b.trailer).toEqual(a.trailer);
    expect(b.digests).toEqual(a.digests);
    expect(warningsB).toEqual(warningsA);
  });

  it('the fixtures above include good archives, refused ones and ones refused after records were handed on', async () => {
    const results = await Promise.all(archives.map((f) => readAll(readFileSync(f), {}, threaded)));
    expect(results.filter((r) => r.error === null && r.trailer !== null).length).toBeGreaterThan(3);
    expect(results.filter((r) => r.error instanceof MemarcError).length).toBeGreaterThan(30);
    expect(results.filter((r) => r.error instanceof MemarcError && r.recordEvents.length > 0).length).toBeGreaterThan(0);
  });

  it('a big archive: the same records and digests, in the same batches', async () => {
    const archive = await bigArchive();
    const a = await readAll(archive, {}, onePass);
    const b = await readAll(archive, {}, threaded);
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect(b.recordEvents.length).toBeGreaterThan(10);
    expect(b.recordEvents).toEqual(a.recordEvents);
    expect(b.records).toEqual(a.records);
    expect(b.digests).toEqual(a.digests);
  });

  it("each batch's hashes are its records' digest hashes, in batches cut by count and by size, on one thread and on two", async () => {
    const archive = await bigArchive();
    for (const read of [onePass, threaded]) {
      const digests = new Map<number, DatasetDigest>();
      let cut = 0;
      let checked = 0;
      for await (const ev of read(Readable.from([archive]), {})) {
        if (ev.type !== 'records') continue;
        let d = digests.get(ev.dataset.index);
        if (!d) digests.set(ev.dataset.index, (d = new DatasetDigest()));
        expect(ev.hashes?.length).toBe(32 * ev.records.length);
        if (ev.records.length < 1000 && ev.firstLine + ev.records.length <= 1000) cut++;
        ev.records.forEach((r, i) => expect(Buffer.from(ev.hashes!.subarray(32 * i, 32 * i + 32)).equals(d!.add(ev.kind, r))).toBe(true));
        checked += ev.records.length;
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(cut, 'some batches were cut at 1 MiB before 1,000 records').toBeGreaterThan(0);
    }
  });

  it('an archive cut short, from a stream that ends early, is truncated as on one thread', async () => {
    const archive = golden();
    for (const cut of [700, Math.floor(archive.length / 2), archive.length - 1500]) {
      const a = await readAll(archive.subarray(0, cut), {}, onePass);
      const b = await readAll(archive.subarray(0, cut), {}, threaded);
      expect(a.error).toBeInstanceOf(MemarcError);
      expect(told(b.error)).toEqual(told(a.error));
    }
  });

  it("the source's own error reaches the consumer as it was thrown, after what came before it", async () => {
    const archive = golden();
    const failure = new MemarcError('TRANSPORT_FAILED', 'the download broke off', { hint: 'try again' });
    async function* breaking() {
      yield archive.subarray(0, 4096);
      throw failure;
    }
    const b = await readAll(breaking(), {}, threaded);
    expect(b.error).toBe(failure);
    expect(b.header).not.toBeNull();
    const plain = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    async function* resetting() {
      yield archive.subarray(0, 4096);
      throw plain;
    }
    expect((await readAll(resetting(), {}, threaded)).error).toBe(plain);
  });

  it('a consumer that stops early ends the thread and releases the source', async () => {
    const archive = await bigArchive();
    const source = Readable.from(chunks(archive, 64 * 1024));
    let records = 0;
    for await (const ev of readArchiveInThread(source)) {
      if (ev.type === 'records') records += ev.records.length;
      if (records > 1000) break;
    }
    expect(records).toBeGreaterThan(1000);
    expect(source.destroyed).toBe(true);
  });

  it('an abort stops the read with an AbortError and releases the source', async () => {
    const archive = await bigArchive();
    const source = Readable.from(chunks(archive, 64 * 1024));
    const ac = new AbortController();
    const reason = new MemarcError('INTERRUPTED', 'interrupted by SIGINT');
    let records = 0;
    let error: unknown = null;
    try {
      for await (const ev of readArchiveInThread(source, { signal: ac.signal })) {
        if (ev.type === 'records') records += ev.records.length;
        if (records > 500) ac.abort(reason);
      }
    } catch (err) {
      error = err;
    }
    expect((error as NodeJS.ErrnoException).code).toBe('ABORT_ERR');
    expect((error as Error).cause).toBe(reason);
    expect(source.destroyed).toBe(true);
    // Already aborted: nothing is read.
    const again = Readable.from(chunks(archive, 64 * 1024));
    await expect(readAll(again, { signal: ac.signal }, threaded).then((r) => (r.error as NodeJS.ErrnoException).code)).resolves.toBe('ABORT_ERR');
  });

  it('reads no further ahead than its window while the consumer is busy', async () => {
    const archive = await bigArchive();
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (const c of chunks(archive, 64 * 1024)) {
          pulled += c.length;
          yield c;
        }
      })(),
      { highWaterMark: 1 },
    );
    const events = readArchiveInThread(source);
    let ev = await events.next();
    while (!ev.done && ev.value.type !== 'records') ev = await events.next();
    expect(ev.done).toBe(false);
    // The consumer is busy: the reader fills its window and waits. It has settled once nothing
    // more is pulled for 300 ms (on a loaded machine filling the window can take longer than that).
    let ahead = -1;
    for (let waited = 0; pulled !== ahead && waited < 20_000; waited += 300) {
      ahead = pulled;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(pulled).toBe(ahead);
    expect(pulled).toBeLessThan(archive.length / 2);
    // And it goes on to the end once the consumer does.
    let records = (ev.value as { records: unknown[] }).records.length;
    for (ev = await events.next(); !ev.done; ev = await events.next()) if (ev.value.type === 'records') records += ev.value.records.length;
    const all = await readAll(archive);
    expect(records).toBe([...all.records.values()].reduce((n, r) => n + r.length, 0));
    expect(pulled).toBe(archive.length);
  });
});

function* chunks(b: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
