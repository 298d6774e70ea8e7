/**
 * Stream compliance of the writer: a consumer that stops early, a section source that fails, an
 * output that is destroyed: each ends promptly, releases the section sources, and never produces
 * a trailer.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { syntheticPoint } from '../../src/adapters/synthetic/index.ts';
import type { PointRecord } from '../../src/format/records.ts';
import { ArchiveWriter, type Section } from '../../src/format/writer.ts';
import { layout } from '../../fixtures/forge.ts';
import { readAll } from './support.ts';
import { failOnUnhandledRejections, within } from '../helpers/stream-checks.ts';

const DATASETS = [{ name: 'c', kind: 'qdrant.collection' as const, fingerprint: {}, source: {} }];

/** 40 batches of 50 points; records what happened to it. */
function tracked(opts: { failAfter?: number } = {}) {
  const state = { batches: 0, released: false };
  async function* batches(): AsyncGenerator<PointRecord[]> {
    try {
      for (let b = 0; b < 40; b++) {
        if (opts.failAfter !== undefined && b === opts.failAfter) throw new Error('the store went away');
        state.batches++;
        yield Array.from({ length: 50 }, (_, i) => syntheticPoint(b * 50 + i, 32, 7));
        await sleep(0);
      }
    } finally {
      state.released = true;
    }
  }
  const sections: Section[] = [{ dataset: 1, kind: 'point', batches: batches() }];
  return { state, sections };
}


failOnUnhandledRejections();

describe('writer stream compliance', () => {
  it('a consumer that stops after the first chunk ends the writer and releases the sections', async () => {
    const { state, sections } = tracked();
    const w = new ArchiveWriter({ datasets: DATASETS, shardMaxRecords: 100 });
    await within(
      (async () => {
        for await (const chunk of w.encode(sections)) {
          expect(chunk.length).toBeGreaterThan(0);
          break;
        }
      })(),
    );
    await sleep(10);
    expect(state.released).toBe(true);
    expect(state.batches).toBeLessThan(40);
    expect(w.trailer).toBeUndefined();
  });

  it('a consumer that stops mid-archive ends the writer and releases the sections', async () => {
    const { state, sections } = tracked();
    const w = new ArchiveWriter({ datasets: DATASETS, shardMaxRecords: 100 });
    let bytes = 0;
    await within(
      (async () => {
        for await (const chunk of w.encode(sections)) {
          bytes += chunk.length;
          if (bytes > 64 * 1024) break;
        }
      })(),
    );
    await sleep(10);
    expect(state.released).toBe(true);
    expect(w.trailer).toBeUndefined();
  });

  it('a section source that throws midway: its error propagates and no trailer is written', async () => {
    const { state, sections } = tracked({ failAfter: 5 });
    const w = new ArchiveWriter({ datasets: DATASETS, shardMaxRecords: 60 });
    const out: Buffer[] = [];
    const err = await within(
      (async () => {
        for await (const chunk of w.encode(sections)) out.push(chunk);
      })().then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect((err as Error)?.message).toBe('the store went away');
    expect(state.released).toBe(true);
    expect(w.trailer).toBeUndefined();
    const partial = Buffer.concat(out);
    expect(layout(partial).entries.map((e) => e.name)).not.toContain('trailer.json');
    const r = await readAll(partial);
    expect(r.trailer).toBeNull();
    expect(['MISSING_TRAILER', 'TRUNCATED']).toContain((r.error as { code?: string }).code);
  });

  it('an output destroyed mid-write: the pipeline rejects, the sections are released, no trailer', async () => {
    const { state, sections } = tracked();
    const w = new ArchiveWriter({ datasets: DATASETS, shardMaxRecords: 100 });
    let written = 0;
    const broken = new Error('EPIPE: the reader went away');
    const output = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (written > 40 * 1024) {
          this.destroy(broken);
          return;
        }
        cb();
      },
    });
    await expect(within(pipeline(w.encode(sections), output))).rejects.toBe(broken);
    await sleep(10);
    expect(state.released).toBe(true);
    expect(w.trailer).toBeUndefined();
  });

  it('a section out of order is refused before anything past it is written', async () => {
    const w = new ArchiveWriter({ datasets: [...DATASETS, { name: 'g', kind: 'falkordb.graph', fingerprint: {}, source: {} }] });
    const sections: Section[] = [
      { dataset: 2, kind: 'edge', batches: [] },
      { dataset: 2, kind: 'node', batches: [] },
    ];
    const err = await within((async () => { for await (const _ of w.encode(sections)); })().then(() => null, (e: unknown) => e));
    expect((err as { code?: string }).code).toBe('USAGE');
    expect(w.trailer).toBeUndefined();
  });

  it('completes and sets the trailer when nothing goes wrong (the harness itself works)', async () => {
    const { state, sections } = tracked();
    const w = new ArchiveWriter({ datasets: DATASETS, shardMaxRecords: 100 });
    const chunks: Buffer[] = [];
    await within(pipeline(w.encode(sections), new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } })));
    expect(state.released).toBe(true);
    expect(w.trailer?.totals.records).toBe(2000);
    expect((await readAll(Buffer.concat(chunks))).error).toBeNull();
  });
});
