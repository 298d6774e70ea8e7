/**
 * windowPages (windows.ts) against an in-memory table whose replies arrive out of order: every
 * row exactly once, in window order, whatever the page size and the number of pages in flight.
 */
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/adapters/falkordb/client.ts';
import { windowPages, type PageQuery, type WindowQueries } from '../../src/adapters/falkordb/windows.ts';

/** Rows `[rowId, sourceId]`: sparse source ids, a dense stretch and two hubs. */
function table(): Array<[number, number]> {
  const rows: Array<[number, number]> = [];
  let id = 0;
  for (let src = 0; src < 400; src++) {
    if (src >= 100 && src < 180) continue; // deleted ids
    const degree = src === 7 || src === 250 ? 57 : src >= 300 && src < 320 ? 6 : src % 3;
    for (let j = 0; j < degree; j++) rows.push([id++, src]);
  }
  return rows;
}

const QUERIES: WindowQueries = {
  window: (lo, hi, k) => ({ match: 'window', params: { lo, hi, k } }),
  hub: (lo, last, k) => ({ match: 'hub', params: { lo, last, k } }),
};

async function readAll(rows: Array<[number, number]>, pageSize: number, depth: number, seed: number): Promise<{ ids: number[]; requests: number; maxInFlight: number }> {
  let rnd = seed;
  const delay = (): number => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) % 7);
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (q: PageQuery): Promise<Reply[][]> => {
    requests++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const { lo, hi, last, k } = q.params as { lo: number; hi: number; last: number; k: number };
    const hit = q.match === 'hub' ? rows.filter(([id, s]) => s === lo && id > last) : rows.filter(([, s]) => s >= lo && s < hi);
    await new Promise((r) => setTimeout(r, delay()));
    inFlight--;
    return hit.slice(0, k).map(([id, s]) => [String(id), String(s)]);
  };
  const ids: number[] = [];
  const plan = { maxId: 399, density: rows.length / 400, pageSize, depth };
  for await (const { rows: page } of windowPages(plan, QUERIES, send, () => ({ keys: [], arrayKeys: [], generic: false }), (r) => Number(r[0]))) {
    expect(page.length).toBeLessThanOrEqual(pageSize);
    for (const r of page) ids.push(Number(r[0]));
  }
  return { ids, requests, maxInFlight };
}

describe('windowPages', () => {
  it('yields every row once and in order, for any page size and depth', async () => {
    const rows = table();
    const all = rows.map(([id]) => id);
    for (const pageSize of [1, 5, 20, 1_000]) {
      for (const depth of [1, 2, 4]) {
        const got = await readAll(rows, pageSize, depth, pageSize * 31 + depth);
        expect(got.ids, `page ${pageSize}, depth ${depth}`).toEqual(all);
        expect(got.maxInFlight).toBeLessThanOrEqual(depth);
        if (depth === 1) expect(got.maxInFlight).toBe(1);
      }
    }
  });

  it('keeps several requests in flight when asked to', async () => {
    const got = await readAll(table(), 20, 3, 1);
    expect(got.maxInFlight).toBeGreaterThanOrEqual(3);
  });
});
