/**
 * Point-in-time copies. The export reads `GRAPH.COPY <graph> memarc_tmp_<graph>_<pid>_<ms>`,
 * never the live graph, so node ids (the archive keys) are stable for the whole read and the
 * archive is one consistent state. While a run holds a copy it keeps a lease key
 * `memarc_lease:<copy>` alive (a short TTL, refreshed); `close()` deletes copy and lease on
 * success, failure and interrupt. A process that dies leaves the copy behind without a live
 * lease: the next export finds it (prefix `memarc_tmp_`, no lease) and deletes it, or only
 * reports it with `cleanupStale: false`.
 */
import type { FalkorClient } from './client.ts';

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

  async copy(graph: string): Promise<string> {
    const tmp = tempName(graph);
    // The lease comes first so that a concurrent sweep never takes a fresh copy for stale.
    await this.client.call('lease', 'SET', LEASE_PREFIX + tmp, '1', 'PX', this.leaseMs);
    this.held.add(tmp);
    this.startRenewal();
    await this.client.call(`graph "${graph}"`, 'GRAPH.COPY', graph, tmp);
    return tmp;
  }

  async drop(tmp: string): Promise<void> {
    if (!this.held.has(tmp)) return;
    await this.client.call(`graph "${tmp}"`, 'GRAPH.DELETE', tmp).catch((err: unknown) => {
      if (!/empty key|does not exist|Invalid graph/i.test(String((err as Error).message))) throw err;
    });
    await this.client.call('lease', 'DEL', LEASE_PREFIX + tmp);
    this.held.delete(tmp);
    if (this.held.size === 0) this.stopRenewal();
  }

  /** Drops every copy still held; returns the ones that could not be dropped (server gone). */
  async dropAll(): Promise<string[]> {
    const failed: string[] = [];
    for (const tmp of [...this.held]) {
      try {
        await this.drop(tmp);
      } catch {
        failed.push(tmp);
        this.held.delete(tmp);
      }
    }
    this.stopRenewal();
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
