/**
 * The ids of one collection in Qdrant's scroll order, kept so that a scroll page costs O(page).
 *
 * Ids that arrive in ascending order are appended at once (the common bulk-load case). Others wait
 * in `pending` and are merged in one pass before the next read. Deleted ids stay in place as stale
 * entries until a merge or compaction drops them, so a delete is O(1).
 */
import { compareIds, type PointId } from './ids.ts';

export class SortedIds {
  private sorted: PointId[] = [];
  private pending = new Set<PointId>();
  private readonly stale = new Set<PointId>();

  /** Records an id that was not in the collection before. */
  add(id: PointId): void {
    if (this.stale.delete(id)) return; // still in `sorted`, at its place
    const last = this.sorted[this.sorted.length - 1];
    if (this.pending.size === 0 && (last === undefined || compareIds(last, id) < 0)) this.sorted.push(id);
    else this.pending.add(id);
  }

  /** Records that an id left the collection. */
  remove(id: PointId): void {
    if (!this.pending.delete(id)) this.stale.add(id);
  }

  clear(): void {
    this.sorted = [];
    this.pending.clear();
    this.stale.clear();
  }

  /** Up to `limit` live ids from the first id ≥ `from` (or from the start), in order. */
  page(from: PointId | undefined, limit: number): PointId[] {
    this.settle();
    let i = from === undefined ? 0 : this.lowerBound(from);
    const out: PointId[] = [];
    const ids = this.sorted;
    while (i < ids.length && out.length < limit) {
      const id = ids[i++] as PointId;
      if (!this.stale.has(id)) out.push(id);
    }
    return out;
  }

  private lowerBound(id: PointId): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.sorted[mid] as PointId, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private settle(): void {
    const compact = this.stale.size > 0 && this.stale.size * 4 > this.sorted.length;
    if (this.pending.size === 0 && !compact) return;
    const incoming = [...this.pending].sort(compareIds);
    const merged: PointId[] = [];
    let a = 0;
    let b = 0;
    const base = this.sorted;
    while (a < base.length || b < incoming.length) {
      const x = base[a];
      const y = incoming[b];
      if (y === undefined || (x !== undefined && compareIds(x, y) <= 0)) {
        a++;
        if (!this.stale.has(x as PointId)) merged.push(x as PointId);
      } else {
        b++;
        merged.push(y);
      }
    }
    this.sorted = merged;
    this.pending.clear();
    this.stale.clear();
  }
}
