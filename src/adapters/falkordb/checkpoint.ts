/**
 * Resume state of one load, in two Redis keys next to the staging graph:
 * - `memarc_ckpt:<staging>`, a hash: `runId`, `done` (JSON list of shard entries already durable)
 *   and `edges` (JSON: per relationship type, how many edges the done shards wrote);
 * - `memarc_keys:<staging>`, a hash from archive node key to the node's id in the staging graph,
 *   written after each node batch (edges find their endpoints through it).
 * A node batch that was written but whose keys were not recorded (a crash in between) leaves
 * nodes with no key: a resume deletes them and writes those records again. Edges of the shard in
 * flight are counted per type in the graph, and that many are skipped when the shard is replayed.
 */
import type { NodeKey } from '../../format/records.ts';
import type { FalkorClient } from './client.ts';

export function encodeKey(k: NodeKey): string {
  return typeof k === 'string' ? 's' + k : 'n' + k.toString();
}

export function decodeKey(s: string): NodeKey {
  if (s.startsWith('s')) return s.slice(1);
  const n = Number(s.slice(1));
  return Number.isSafeInteger(n) ? n : BigInt(s.slice(1));
}

export interface CheckpointState {
  runId: string;
  done: string[];
  edges: Record<string, number>;
}

export class Checkpoint {
  readonly ckptKey: string;
  readonly mapKey: string;
  private readonly client: FalkorClient;
  private readonly what: string;

  constructor(client: FalkorClient, staging: string) {
    this.client = client;
    this.ckptKey = `memarc_ckpt:${staging}`;
    this.mapKey = `memarc_keys:${staging}`;
    this.what = `checkpoint of "${staging}"`;
  }

  async read(): Promise<CheckpointState | null> {
    const h = (await this.client.call(this.what, 'HGETALL', this.ckptKey)) as string[];
    if (!Array.isArray(h) || h.length === 0) return null;
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < h.length; i += 2) m.set(h[i]!, h[i + 1]!);
    return { runId: m.get('runId') ?? '', done: JSON.parse(m.get('done') ?? '[]') as string[], edges: JSON.parse(m.get('edges') ?? '{}') as Record<string, number> };
  }

  async write(state: CheckpointState): Promise<void> {
    await this.client.call(this.what, 'HSET', this.ckptKey, 'runId', state.runId, 'done', JSON.stringify(state.done), 'edges', JSON.stringify(state.edges));
  }

  async recordKeys(pairs: Array<[NodeKey, number]>): Promise<void> {
    if (pairs.length === 0) return;
    const args: string[] = [];
    for (const [k, id] of pairs) args.push(encodeKey(k), String(id));
    await this.client.call(this.what, 'HSET', this.mapKey, ...args);
  }

  async *keys(): AsyncGenerator<Array<[NodeKey, number]>> {
    let cursor = '0';
    do {
      const [next, flat] = (await this.client.call(this.what, 'HSCAN', this.mapKey, cursor, 'COUNT', 5000)) as [string, string[]];
      const out: Array<[NodeKey, number]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([decodeKey(flat[i]!), Number(flat[i + 1])]);
      yield out;
      cursor = next;
    } while (cursor !== '0');
  }

  async clear(): Promise<void> {
    await this.client.call(this.what, 'DEL', this.ckptKey, this.mapKey);
  }
}
