/**
 * Windowed paging with several pages in flight, yielded in order. Windows of node ids are
 * disjoint, so they can be read in any order and at once, also on a live graph (each page is
 * one state of it either way): FalkorDB runs read queries on a thread pool, and each request in
 * flight has its own connection (FalkorClient.queryPage). Pages are still handed on in window
 * order.
 *
 * A window `[lo, hi)` of node ids asks for at most `pageSize + 1` rows. Its width comes from the
 * density seen so far (90 % of a page); a window that yields more than a page is dropped and read
 * again in quarters (before any later window is handed on), and a window of a single node with
 * more than a page of rows (a node with many outgoing edges) is paged by `id(e)` among its rows.
 */
import { MemarcError } from '../../errors.ts';
import type { Reply } from './client.ts';

/** The exact-double columns of a request (reader.ts, exact-double.ts), in column order. */
export interface ExactCols {
  /** Keys with a column of the double's significand. */
  keys: string[];
  /** Keys with a column of the significands of an array's elements. */
  arrayKeys: string[];
  /** A last column with the generic expression (keys no query can name). */
  generic: boolean;
}

/** A page request: the MATCH part (ending in the entity variable) and its parameters. */
export interface PageQuery {
  match: string;
  params: { [k: string]: number };
  /** Exact columns of this request (set by the reader; updated when it asks again). */
  cols: ExactCols;
}

export interface WindowQueries {
  /** Rows whose source node id is in [lo, hi), at most k of them. */
  window(lo: number, hi: number, k: number): Omit<PageQuery, 'cols'>;
  /** Rows of node `lo` with an id above `last`, by id, at most k (absent: cannot overflow). */
  hub?(lo: number, last: number, k: number): Omit<PageQuery, 'cols'>;
}

/** A window (or a hub page) in read order; `reply` once it was requested. */
interface Slot {
  lo: number;
  hi: number;
  /** Hub pages: the last row id read before this page; null for windows. */
  last: number | null;
  q?: PageQuery;
  reply?: Promise<Reply[][]>;
}

export interface WindowPlan {
  /** The first node id of the first window (default 0). */
  start?: number;
  maxId: number;
  /** Expected rows per node id (for the first window's width). */
  density: number;
  pageSize: number;
  /** Requests in flight at once (≥ 1). */
  depth: number;
}

/**
 * Yields `{rows, q}` for every window in order. `send` issues a request (its rejection is
 * handled when awaited); `cols()` gives the exact columns for a new request.
 */
export async function* windowPages(
  plan: WindowPlan,
  queries: WindowQueries,
  send: (q: PageQuery) => Promise<Reply[][]>,
  cols: () => ExactCols,
  rowId: (row: Reply[]) => number,
): AsyncGenerator<{ rows: Reply[][]; q: PageQuery }> {
  const { maxId, pageSize } = plan;
  const target = Math.max(1, Math.floor(pageSize * 0.9));
  let width = Math.max(1, Math.floor(target / Math.max(plan.density, 1e-9)));
  let frontier = plan.start ?? 0;
  // Slots in read order. At most `depth` of them are requested at once; a dropped window's
  // quarters (or a hub's pages) take its place at the front, so the order stays the windows'.
  const queue: Slot[] = [];
  const request = (slot: Slot): void => {
    const base = slot.last !== null ? queries.hub!(slot.lo, slot.last, pageSize) : queries.window(slot.lo, slot.hi, pageSize + 1);
    slot.q = { ...base, cols: cols() };
    slot.reply = send(slot.q);
    slot.reply.catch(() => {}); // handled when awaited; a slot never awaited is dropped
  };
  const fill = (): void => {
    let busy = queue.filter((x) => x.reply).length;
    for (const slot of queue) {
      if (busy >= plan.depth) return;
      if (!slot.reply) {
        request(slot);
        busy++;
      }
    }
    while (busy < plan.depth && frontier <= maxId) {
      const hi = Math.min(frontier + width, maxId + 1);
      const slot: Slot = { lo: frontier, hi, last: null };
      request(slot);
      queue.push(slot);
      busy++;
      frontier = hi;
    }
  };
  for (;;) {
    fill();
    const head = queue.shift();
    if (!head) return;
    const rows = await head.reply!;
    const q = head.q!;
    if (head.last !== null) {
      if (rows.length === pageSize) queue.unshift({ lo: head.lo, hi: head.hi, last: rowId(rows[rows.length - 1]!) });
      if (rows.length > 0) yield { rows, q };
      continue;
    }
    const span = head.hi - head.lo;
    if (rows.length > pageSize) {
      if (span === 1) {
        if (!queries.hub) throw new MemarcError('INTERNAL', `a window of one node id returned ${rows.length} rows`);
        queue.unshift({ lo: head.lo, hi: head.hi, last: -1 });
        continue;
      }
      // Read the window again in quarters, ahead of every later window.
      width = Math.max(1, Math.floor(span / 4));
      const parts: Slot[] = [];
      for (let lo = head.lo; lo < head.hi; lo += width) parts.push({ lo, hi: Math.min(lo + width, head.hi), last: null });
      queue.unshift(...parts);
      continue;
    }
    const grow = rows.length === 0 ? span * 8 : Math.floor((span * target) / rows.length);
    width = Math.max(1, Math.min(grow, span * 8));
    if (rows.length > 0) yield { rows, q };
  }
}
