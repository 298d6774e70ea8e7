/**
 * Point-in-time copies, for `snapshot: 'copy'` (the default reads the live graph, live.ts). The
 * export then reads `GRAPH.COPY <graph> memarc_tmp_<graph>_<pid>_<ms>`, taken just before that
 * graph is read and deleted right after its edges are read, so node ids (the archive keys) are
 * stable for the whole read and the archive is one consistent state of each graph.
 *
 * A copy costs a second copy of the graph in server memory while it is read: `copy()` first
 * checks that it fits (INFO memory: used memory plus the graph's size from GRAPH.MEMORY USAGE
 * must stay below maxmemory, or the machine's memory when maxmemory is 0). It needs write
 * access. And on FalkorDB 4.16.3 GRAPH.COPY can deadlock the whole server when another client
 * writes to the graph during the copy (the copy holds the graph lock and waits for the module
 * lock; the write's commit holds the module lock and waits for the graph lock; even PING stops
 * answering), so it is only for graphs nobody writes to while the export runs. While a run holds a copy it keeps a lease key
 * `memarc_lease:<copy>` alive (a short TTL, refreshed); `close()` deletes copy and lease on
 * success, failure and interrupt. A process that dies leaves the copy behind without a live
 * lease: the next export finds it (prefix `memarc_tmp_`, no lease) and deletes it, or only
 * reports it with `cleanupStale: false`.
 */
import { MemarcError } from '../../errors.ts';
import type { FalkorClient, Reply } from './client.ts';

export const TMP_PREFIX = 'memarc_tmp_';
const LEASE_PREFIX = 'memarc_lease:';

export function tempName(graph: string, now = Date.now()): string {
  return `${TMP_PREFIX}${graph}_${process.pid}_${now}`;
}

export class TempCopies {
  private readonly client: FalkorClient;
  private readonly leaseMs: number;
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(client: FalkorClient, leaseMs: number) {
    this.client = client;
    this.leaseMs = leaseMs;
  }

  /** Deletes (or lists, with `remove` false) copies left by runs that no longer hold a lease. */
  async sweep(remove: boolean, log: (m: string) => void): Promise<string[]> {
    const stale: string[] = [];
    for (const g of await this.client.listGraphs()) {
      if (!g.startsWith(TMP_PREFIX) || this.held.has(g)) continue;
      if (Number(await this.client.call('EXISTS', 'EXISTS', LEASE_PREFIX + g)) > 0) continue;
      stale.push(g);
      if (remove) {
        await this.client.call(`graph "${g}"`, 'GRAPH.DELETE', g);
        log(`removed the stale temporary copy "${g}" left by an earlier export`);
      } else {
        log(`a stale temporary copy "${g}" from an earlier export is still on the server: delete it with GRAPH.DELETE`);
      }
    }
    return stale;
  }

  /** Refuses a copy that would not fit into the server's memory limit. */
  async checkMemory(graph: string): Promise<void> {
    const info = String(await this.client.call('INFO memory', 'INFO', 'memory'));
    const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    const used = field('used_memory');
    const limit = field('maxmemory') || field('total_system_memory');
    let size = 0;
    try {
      const r = (await this.client.call(`graph "${graph}"`, 'GRAPH.MEMORY', 'USAGE', graph)) as Reply[];
      const i = r.findIndex((x) => x === 'total_graph_sz_mb');
      size = Number(r[i + 1] ?? 0) * 2 ** 20;
    } catch (err) {
      if ((err as MemarcError).code !== 'STORE_ERROR') throw err; // an older server without GRAPH.MEMORY
    }
    if (limit > 0 && used + size > limit) {
      const mib = (n: number): string => `${Math.round(n / 2 ** 20)} MiB`;
      throw new MemarcError('STORE_ERROR', `graph "${graph}": a copy (${mib(size)}) does not fit into the server's memory (${mib(used)} used of ${mib(limit)})`, {
        hint: 'export without --snapshot copy: the default reads the live graph and needs no copy',
        context: { dataset: graph },
      });
    }
  }

  async copy(graph: string): Promise<string> {
    await this.checkMemory(graph);
    const tmp = tempName(graph);
    // The lease comes first so that a concurrent sweep never takes a fresh copy for stale.
    await this.client.call('lease', 'SET', LEASE_PREFIX + tmp, '1', 'PX', this.leaseMs);
    this.held.add(tmp);
    this.startRenewal();
    await this.client.call(`graph "${graph}"`, 'GRAPH.COPY', graph, tmp);
    return tmp;
  }

  async drop(tmp: string, via: FalkorClient = this.client): Promise<void> {
    if (!this.held.has(tmp)) return;
    await via.call(`graph "${tmp}"`, 'GRAPH.DELETE', tmp).catch((err: unknown) => {
      if (!/empty key|does not exist|Invalid graph/i.test(String((err as Error).message))) throw err;
    });
    await via.call('lease', 'DEL', LEASE_PREFIX + tmp);
    this.held.delete(tmp);
    if (this.held.size === 0) this.stopRenewal();
  }

  /**
   * Drops every copy still held, on a fresh connection when the run's own was lost; returns the
   * ones that could not be dropped (server gone or frozen: their leases expire, and the next
   * export deletes them).
   */
  async dropAll(): Promise<string[]> {
    const failed: string[] = [];
    if (this.held.size === 0) return failed;
    this.stopRenewal();
    const via = this.client.healthy ? this.client : this.client.fresh();
    try {
      if (via !== this.client) await via.connect('cleanup');
      for (const tmp of [...this.held]) {
        try {
          await this.drop(tmp, via);
        } catch {
          failed.push(tmp);
          this.held.delete(tmp);
        }
      }
    } catch {
      failed.push(...this.held);
      this.held.clear();
    } finally {
      if (via !== this.client) await via.close();
    }
    return failed;
  }

  private startRenewal(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const tmp of this.held) this.client.redis.pexpire(LEASE_PREFIX + tmp, this.leaseMs).catch(() => {});
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  private stopRenewal(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
