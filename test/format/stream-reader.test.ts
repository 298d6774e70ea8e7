/**
 * Stream compliance of the reader: a source that fails or is aborted in any phase, or a consumer
 * that stops early, ends the read promptly, releases the source and leaves no work behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../src/format/reader.ts';
import { layout } from '../../fixtures/forge.ts';
import { golden, readAll } from './support.ts';
import { failOnUnhandledRejections, within } from '../helpers/stream-checks.ts';

const g = golden();
const { entries } = layout(g);
const shard = entries.find((e) => e.name.endsWith('node-000002.ndjson.gz'))!;
const trailer = entries.find((e) => e.name === 'trailer.json')!;

/** The reading phases, as byte offsets at which the source fails. */
const PHASES: Array<[string, number]> = [
  ['while reading the header', 512 + 100],
  ['mid-shard', shard.bodyAt + 20],
  ['before the trailer', trailer.start],
];

/** A source that emits the archive in 256-byte chunks and calls `at` once `offset` bytes are out. */
function slowSource(offset: number, at: (s: Readable) => void): Readable {
  let sent = 0;
  const s = new Readable({
    highWaterMark: 256,
    read() {
      if (sent >= offset) {
        at(s);
        return;
      }
      const n = Math.min(256, offset - sent, g.length - sent);
      setImmediate(() => {
        if (s.destroyed) return;
        s.push(g.subarray(sent, sent + n));
        sent += n;
        if (sent >= g.length) s.push(null);
      });
    },
  });
  return s;
}


failOnUnhandledRejections();

describe('reader stream compliance', () => {
  it.each(PHASES)('a source that fails %s: the read rejects with its error, no trailer', async (_phase, offset) => {
    const boom = new Error('disk went away');
    const src = slowSource(offset, (s) => s.destroy(boom));
    const r = await within(readAll(src));
    expect(r.error).toBe(boom);
    expect(r.trailer).toBeNull();
    expect(src.destroyed).toBe(true);
  });

  it.each(PHASES)('a source destroyed without an error %s: the read rejects, no trailer', async (_phase, offset) => {
    const src = slowSource(offset, (s) => s.destroy());
    const r = await within(readAll(src));
    expect(r.error).toBeInstanceOf(Error);
    expect(r.trailer).toBeNull();
  });

  it('a source that closes early without an error gives TRUNCATED', async () => {
    // A closed pipe or connection is a truncated input, not an internal error (exit 1).
    const src = slowSource(shard.bodyAt + 20, (s) => s.destroy());
    const r = await within(readAll(src));
    expect((r.error as { code?: string }).code).toBe('TRUNCATED');
  });

  it.each(PHASES)('an abort signal %s: the read rejects with an AbortError and the source is destroyed', async (_phase, offset) => {
    const ac = new AbortController();
    const src = slowSource(offset, () => ac.abort());
    const r = await within(readAll(src, { signal: ac.signal }));
    expect((r.error as Error)?.name).toBe('AbortError');
    expect(r.trailer).toBeNull();
    expect(src.destroyed).toBe(true);
  });

  it('an already aborted signal: the read rejects at once and the source is destroyed', async () => {
    const src = slowSource(g.length, () => {});
    const r = await within(readAll(src, { signal: AbortSignal.abort() }));
    expect((r.error as Error)?.name).toBe('AbortError');
    expect(r.header).toBeNull();
    expect(src.destroyed).toBe(true);
  });

  it('a consumer that stops after the header releases the source', async () => {
    const src = slowSource(g.length, () => {});
    let events = 0;
    for await (const ev of readArchive(src)) {
      events++;
      expect(ev.type).toBe('header');
      break;
    }
    expect(events).toBe(1);
    expect(src.destroyed).toBe(true);
  });

  it('a consumer that stops after the first records releases the source', async () => {
    const src = slowSource(g.length, () => {});
    const seen: string[] = [];
    for await (const ev of readArchive(src, { batchSize: 1 })) {
      seen.push(ev.type);
      if (ev.type === 'records') break;
    }
    expect(seen).toEqual(['header', 'records']);
    expect(src.destroyed).toBe(true);
  });

  it('a consumer that stops early ends an async-generator source (its finally runs)', async () => {
    let released = false;
    let yielded = 0;
    async function* source() {
      try {
        for (let off = 0; off < g.length; off += 700) {
          yielded++;
          yield g.subarray(off, off + 700);
        }
      } finally {
        released = true;
      }
    }
    for await (const ev of readArchive(source())) if (ev.type === 'records') break;
    await sleep(10);
    expect(released).toBe(true);
    expect(yielded * 700).toBeLessThan(g.length);
  });

  it('a consumer that throws mid-read releases the source and sees its own error', async () => {
    const src = slowSource(g.length, () => {});
    const mine = new Error('consumer failed');
    await expect(
      (async () => {
        for await (const ev of readArchive(src)) if (ev.type === 'shard') throw mine;
      })(),
    ).rejects.toBe(mine);
    expect(src.destroyed).toBe(true);
  });

  it('reads a whole archive from a slow source (the harness itself works)', async () => {
    const r = await within(readAll(slowSource(g.length, () => {})));
    expect(r.error).toBeNull();
    expect(r.trailer).not.toBeNull();
  });
});
