/**
 * Every owner of a node table releases its temporary file when the graph is done, on the normal
 * path and on error paths: the writer (a refused edge), the reader (read to the end, stopped early
 * by its consumer, a truncated archive) and an import into the memory sink (completed, failed).
 * A graph of just over the default memory threshold (src/format/node-table.ts) makes each of them
 * spill; the open, already unlinked files are counted in /proc/self/fd, so Linux only.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { memorySink } from '../../src/adapters/memory/index.ts';
import { importArchive } from '../../src/core/import.ts';
import { isMemarcError } from '../../src/errors.ts';
import { MEMORY_KEYS } from '../../src/format/node-table.ts';
import { readArchive } from '../../src/format/reader.ts';
import type { EdgeRecord, NodeRecord } from '../../src/format/records.ts';
import type { Section } from '../../src/format/writer.ts';
import { writeArchive } from './support.ts';

/** Descriptors of this process open on a spilled node table's file (unlinked: "… (deleted)"). */
function spillFiles(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (/\/memarc-[^/]+\/nodes \(deleted\)$/.test(readlinkSync(`/proc/self/fd/${fd}`))) n++;
    } catch {
      // the descriptor readdir used, closed by now
    }
  }
  return n;
}

const NODES = MEMORY_KEYS + 3_000;
const GRAPH = [{ name: 'g', kind: 'falkordb.graph', fingerprint: {}, source: {} }];

/** Nodes 0…NODES-1, then edges; `seen` gets the number of open spill files when the edges start. */
function graph(opts: { badEdge?: boolean; seen?: number[] } = {}): Section[] {
  function* nodes(): Generator<NodeRecord[]> {
    for (let i = 0; i < NODES; i += 10_000) yield Array.from({ length: Math.min(10_000, NODES - i) }, (_, j) => ({ key: i + j, labels: ['N'], props: {} }));
  }
  function* edges(): Generator<EdgeRecord[]> {
    opts.seen?.push(spillFiles());
    yield Array.from({ length: 2_000 }, (_, i) => ({ src: NODES - 1 - i, dst: i, type: 'E', props: { i } }));
    if (opts.badEdge) yield [{ src: NODES + 10, dst: 0, type: 'E', props: {} }];
  }
  return [
    { dataset: 1, kind: 'node', batches: nodes() },
    { dataset: 1, kind: 'edge', batches: edges() },
  ];
}

let archive: Buffer;

describe.skipIf(!existsSync('/proc/self/fd'))('node table files are released by their owners', () => {
  beforeAll(async () => {
    const seen: number[] = [];
    archive = (await writeArchive(GRAPH, graph({ seen }))).archive;
    expect(seen).toEqual([1]); // the writer's table spilled…
    expect(spillFiles()).toBe(0); // …and released its file when the archive was done
  });

  it('the writer, when it refuses an edge to an unknown node', async () => {
    const seen: number[] = [];
    const err = await writeArchive(GRAPH, graph({ badEdge: true, seen })).then(() => null, (e: unknown) => e);
    expect(isMemarcError(err, 'MALFORMED_RECORD')).toBe(true);
    expect(seen).toEqual([1]);
    expect(spillFiles()).toBe(0);
  });

  it('the reader, read to the end, or stopped by its consumer at the first edges', async () => {
    let during = -1;
    for await (const ev of readArchive(Readable.from([archive]))) if (ev.type === 'records' && ev.kind === 'edge' && during < 0) during = spillFiles();
    expect(during).toBe(1);
    expect(spillFiles()).toBe(0);

    for await (const ev of readArchive(Readable.from([archive]))) {
      if (ev.type === 'records' && ev.kind === 'edge') {
        expect(spillFiles()).toBe(1);
        break;
      }
    }
    expect(spillFiles()).toBe(0);
  });

  it('the reader, when the archive ends inside the edges', async () => {
    const cut = archive.subarray(0, archive.indexOf('edge-000001') + 3_000);
    let nodes = 0;
    const err = await (async () => {
      for await (const ev of readArchive(Readable.from([cut]))) if (ev.type === 'records' && ev.kind === 'node') nodes += ev.records.length;
    })().then(() => null, (e: unknown) => e);
    expect(isMemarcError(err, 'TRUNCATED')).toBe(true);
    expect(nodes).toBe(NODES);
    expect(spillFiles()).toBe(0);
  });

  it('an import into the memory sink, completed and failed', async () => {
    const report = await importArchive({ input: Readable.from([archive]), sink: memorySink(), stateDir: false });
    expect(report.datasets[0]?.records).toEqual({ node: NODES, edge: 2_000 });
    expect(spillFiles()).toBe(0);

    const cut = archive.subarray(0, archive.indexOf('edge-000001') + 3_000);
    const err = await importArchive({ input: Readable.from([cut]), sink: memorySink(), stateDir: false }).then(() => null, (e: unknown) => e);
    expect(isMemarcError(err, 'TRUNCATED')).toBe(true);
    expect(spillFiles()).toBe(0);
  });
});
