/**
 * The FalkorDB sink. A new or replaced graph is loaded into a staging graph
 * `memarc_stage_<target>_<run>`, verified there (exact counts and the content digest read back
 * from the server), and only then switched in with one `RENAME` (`RENAMENX` for a new target):
 * Redis renames a key atomically and FalkorDB follows the rename, so readers see the old graph
 * or the new one, never a mix, and the old data is dropped only by that switch. `append` writes
 * into the live target and verifies that live digest = digest before + archive digest; its
 * abort deletes the nodes it created. See checkpoint.ts for `resume`.
 */
import { createHash } from 'node:crypto';
import type { CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, OpenResult, ShardRef, Sink, SinkContext } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest, normKey } from '../../format/digest.ts';
import type { EdgeRecord, NodeKey, NodeRecord, RecordByKind, RecordKind } from '../../format/records.ts';
import { Checkpoint } from './checkpoint.ts';
import { FalkorClient, type Reply } from './client.ts';
import { decode } from './compact.ts';
import { readEdges, readNodes, SchemaNames } from './reader.ts';
import { prepareQuery } from './params.ts';
import { applySchema, schemaFromFingerprint } from './schema.ts';
import { edgeQuery, groupRows, labelsClause, nodeQuery } from './write-batches.ts';

export interface FalkorSinkOptions {
  url: string;
  ifExists?: 'fail' | 'append' | 'replace';
  /** Archive graph name → target graph name. */
  rename?: Record<string, string>;
  /** Only restore these archive graphs. */
  graphs?: string[];
  /** Rows per UNWIND query (default 5,000). */
  batchSize?: number;
  /** Deadline of every server command and connection attempt, in ms (default 60,000). */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

export const STAGE_PREFIX = 'memarc_stage_';

export function stagingName(target: string, runId: string): string {
  return `${STAGE_PREFIX}${target}_${createHash('sha256').update(runId).digest('hex').slice(0, 12)}`;
}

async function liveDigest(client: FalkorClient, graph: string, into: DatasetDigest): Promise<void> {
  const names = new SchemaNames(client, graph);
  await names.refresh();
  // Smaller pages than the export's: the same time, and a lower peak RSS (310 → 260 MiB at
  // 100k nodes / 200k edges), since less of each page outlives the young generation.
  const ro = { pageSize: 2_500, exactDoubles: true };
  for await (const b of readNodes(client, graph, names, ro)) for (const n of b) into.add('node', n);
  for await (const b of readEdges(client, graph, names, ro)) for (const e of b) into.add('edge', e);
}

export function falkordbSink(opts: FalkorSinkOptions): Sink {
  const client = new FalkorClient(opts.url, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  const batchSize = opts.batchSize ?? 5_000;
  return {
    async dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null> {
      if (descriptor.kind !== 'falkordb.graph') {
        opts.log?.(`skipping dataset "${descriptor.name}": a ${descriptor.kind} cannot be restored into FalkorDB`);
        return null;
      }
      if (opts.graphs && !opts.graphs.includes(descriptor.name)) return null;
      return new GraphSink(client, opts, batchSize);
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
}

class GraphSink implements DatasetSink {
  private readonly client: FalkorClient;
  private readonly opts: FalkorSinkOptions;
  private readonly batchSize: number;
  private ctx!: SinkContext;
  private desc!: DatasetDescriptor;
  private target = '';
  private load = '';
  private mode: 'new' | 'replace' | 'append' = 'new';
  private ckpt: Checkpoint | null = null;
  private done: string[] = [];
  private readonly keyMap = new Map<number | string | bigint, number>();
  private readonly created: number[] = [];
  private edgeCum: Record<string, number> = {};
  private skipEdges: Record<string, number> = {};
  private pre: DatasetDigest | null = null;
  private dry: DatasetDigest | null = null;
  private readonly actions: string[] = [];
  /**
   * The write query in flight, at most one: the next batch's query text is built while the
   * server runs this one. Awaited before the next is sent, before edges look up endpoints, and
   * by shardDone, commit and abort, so its failure surfaces at the latest there.
   */
  private inflight: { kind: RecordKind; done: Promise<void> } | null = null;
  /** A node batch failed without a reply: its nodes may exist with ids nobody recorded. */
  private lostBatch = false;

  constructor(client: FalkorClient, opts: FalkorSinkOptions, batchSize: number) {
    this.client = client;
    this.opts = opts;
    this.batchSize = batchSize;
  }

  private log(m: string): void {
    (this.ctx?.log ?? this.opts.log)?.(m);
  }

  private get what(): string {
    return `graph "${this.target}"`;
  }

  /** The archive's version decides its digest rule (spec/FORMAT.md 8). */
  private digestRule(): { major?: number } {
    return this.desc?.formatMajor ? { major: this.desc.formatMajor } : {};
  }

  async open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult | void> {
    this.ctx = ctx;
    this.desc = descriptor;
    this.target = this.opts.rename?.[descriptor.name] ?? descriptor.name;
    schemaFromFingerprint(descriptor.fingerprint, descriptor.name); // fail early on a bad fingerprint
    await this.client.connect(this.what);
    const graphs = await this.client.listGraphs();
    const exists = graphs.includes(this.target);
    const ifExists = this.opts.ifExists ?? 'fail';
    if (exists && ifExists === 'fail') {
      throw new MemarcError('TARGET_EXISTS', `graph "${this.target}" already exists on ${this.client.redactedUrl}`, {
        hint: 'choose --if-exists replace or append, or restore under another name with --rename',
        context: { dataset: descriptor.name },
      });
    }
    this.mode = !exists ? 'new' : ifExists === 'append' ? 'append' : 'replace';
    this.load = this.mode === 'append' ? this.target : stagingName(this.target, ctx.runId);
    if (ctx.dryRun) {
      this.dry = new DatasetDigest(this.digestRule());
      this.actions.push(this.mode === 'append' ? `would append to graph "${this.target}"` : `would load graph "${this.target}" through staging graph "${this.load}"${this.mode === 'replace' ? ', then replace the existing graph' : ''}`);
      return;
    }
    if (this.mode === 'append') {
      if (ctx.resume) throw new MemarcError('USAGE', `graph "${this.target}": resume is not supported with --if-exists append`, { hint: 'restore into a new graph or with --if-exists replace to be able to resume' });
      this.pre = new DatasetDigest(this.digestRule());
      await liveDigest(this.client, this.target, this.pre);
      return;
    }
    this.ckpt = new Checkpoint(this.client, this.load);
    const state = await this.ckpt.read();
    if (ctx.resume && state && state.runId === ctx.runId && graphs.includes(this.load)) {
      await this.recover(state);
      this.log(`graph "${this.target}": resuming into "${this.load}", ${this.done.length} shard(s) already loaded`);
      return { done: [...this.done] };
    }
    if (graphs.includes(this.load)) await this.client.call(this.what, 'GRAPH.DELETE', this.load);
    await this.ckpt.clear();
    // The staging graph exists from here on, also for an archive graph without records (an
    // empty graph): indexes, the read-back and the rename need a graph key.
    await this.client.query(this.load, 'RETURN 1');
    for (const g of graphs) {
      if (g.startsWith(`${STAGE_PREFIX}${this.target}_`) && g !== this.load) this.log(`note: staging graph "${g}" of another run is still on the server`);
    }
    await this.ckpt.write({ runId: ctx.runId, done: [], edges: {} });
  }

  private async recover(state: { done: string[]; edges: Record<string, number> }): Promise<void> {
    this.done = [...state.done];
    this.edgeCum = { ...state.edges };
    const ids = new Set<number>();
    for await (const pairs of this.ckpt!.keys()) {
      for (const [k, id] of pairs) {
        this.keyMap.set(normKey(k), id);
        ids.add(id);
      }
    }
    // Nodes written by a batch whose keys never reached the checkpoint: delete, they come again.
    const orphans: number[] = [];
    let last = -1;
    for (;;) {
      const { rows } = await this.client.query(this.load, 'MATCH (n) WHERE id(n) > $last RETURN id(n) ORDER BY id(n) LIMIT 50000', { last }, true);
      for (const r of rows) {
        const id = Number(decode(r[0]!));
        if (!ids.has(id)) orphans.push(id);
        last = id;
      }
      if (rows.length < 50000) break;
    }
    for (let i = 0; i < orphans.length; i += this.batchSize) {
      await this.client.query(this.load, 'UNWIND $ids AS i WITH i AS x MATCH (n) WHERE id(n) = x DETACH DELETE n', { ids: orphans.slice(i, i + this.batchSize) });
    }
    if (orphans.length) this.log(`graph "${this.target}": removed ${orphans.length} node(s) of an unfinished batch`);
    const { rows } = await this.client.query(this.load, 'MATCH ()-[e]->() RETURN type(e), count(e)', {}, true);
    for (const r of rows) {
      const t = String(decode(r[0]!));
      const live = Number(decode(r[1]!));
      const pending = live - (this.edgeCum[t] ?? 0);
      if (pending > 0) this.skipEdges[t] = pending;
    }
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || this.ctx.signal?.aborted) throw new MemarcError('INTERRUPTED', `loading graph "${this.target}" was interrupted`);
    try {
      if (kind === 'node') await this.writeNodes(batch as NodeRecord[]);
      else if (kind === 'edge') await this.writeEdges(batch as EdgeRecord[]);
      else throw new MemarcError('MALFORMED_ARCHIVE', `graph "${this.desc.name}" cannot hold records of kind ${kind}`);
    } catch (err) {
      throw this.client.wrap(err, this.what);
    }
  }

  private async writeNodes(all: NodeRecord[]): Promise<void> {
    if (this.dry) {
      for (const n of all) this.dry.add('node', n);
      groupRows(all.map((n) => n.props), (i) => labelsClause(all[i]!.labels), () => ({}), (i) => `graph "${this.desc.name}", node ${String(all[i]!.key)}`, 'n');
      return;
    }
    const recs = all.filter((n) => !this.keyMap.has(normKey(n.key)));
    for (let off = 0; off < recs.length; off += this.batchSize) {
      const part = recs.slice(off, off + this.batchSize);
      const groups = groupRows(part.map((n) => n.props), (i) => labelsClause(part[i]!.labels), () => ({}), (i) => `graph "${this.desc.name}", node ${String(part[i]!.key)}`, 'n');
      // Sent but not answered yet: -1 until the reply gives the id (a later batch skips the key).
      for (const n of part) this.keyMap.set(normKey(n.key), -1);
      for (const g of groups.values()) {
        const text = prepareQuery(nodeQuery(g.head, g.setClauses), { rows: g.rows });
        await this.send('node', async () => {
          const { rows } = await this.client.queryText(this.load, text).catch((e: unknown) => {
            if (this.client.wrap(e, this.what).code === 'CONNECTION_FAILED') this.lostBatch = true;
            throw e;
          });
          if (rows.length !== g.rows.length) throw new MemarcError('STORE_ERROR', `graph "${this.target}": created ${rows.length} of ${g.rows.length} nodes`);
          const pairs: Array<[NodeKey, number]> = [];
          rows.forEach((r, j) => {
            const id = Number((r[0] as Reply[])[1]);
            const key = part[g.index[j]!]!.key;
            this.keyMap.set(normKey(key), id);
            pairs.push([key, id]);
            if (this.mode === 'append') this.created.push(id);
          });
          await this.ckpt?.recordKeys(pairs);
        });
      }
    }
  }

  private endpoint(k: NodeKey): number {
    const id = this.keyMap.get(normKey(k));
    if (id === undefined) {
      throw new MemarcError('MALFORMED_RECORD', `graph "${this.desc.name}": an edge refers to node key ${String(k)}, which no node of the archive has`);
    }
    return id;
  }

  private async writeEdges(all: EdgeRecord[]): Promise<void> {
    if (this.dry) {
      for (const e of all) this.dry.add('edge', e);
      groupRows(all.map((e) => e.props), (i) => all[i]!.type, () => ({}), (i) => `graph "${this.desc.name}", edge ${i}`, 'e');
      return;
    }
    await this.settle('node'); // endpoints need every node batch's ids
    const recs: EdgeRecord[] = [];
    for (const e of all) {
      const skip = this.skipEdges[e.type] ?? 0;
      this.edgeCum[e.type] = (this.edgeCum[e.type] ?? 0) + 1;
      if (skip > 0) {
        this.skipEdges[e.type] = skip - 1; // written before the interruption
        continue;
      }
      recs.push(e);
    }
    for (let off = 0; off < recs.length; off += this.batchSize) {
      const part = recs.slice(off, off + this.batchSize);
      const groups = groupRows(
        part.map((e) => e.props),
        (i) => part[i]!.type,
        (i) => ({ a: this.endpoint(part[i]!.src), b: this.endpoint(part[i]!.dst) }),
        (i) => `graph "${this.desc.name}", ${part[i]!.type} edge`,
        'e',
      );
      for (const g of groups.values()) {
        const text = prepareQuery(edgeQuery(g.head, g.setClauses), { rows: g.rows });
        await this.send('edge', async () => {
          const { rows } = await this.client.queryText(this.load, text);
          const made = Number(decode(rows[0]![0]!));
          if (made !== g.rows.length) throw new MemarcError('STORE_ERROR', `graph "${this.target}": created ${made} of ${g.rows.length} ${g.head} edges (an endpoint is missing)`);
        });
      }
    }
  }

  /** Waits for the query in flight (only if it writes `only`, when given); rethrows its failure. */
  private async settle(only?: RecordKind): Promise<void> {
    const f = this.inflight;
    if (!f || (only !== undefined && f.kind !== only)) return;
    this.inflight = null;
    await f.done;
  }

  /** Sends a write once the previous one is done; returns without waiting for this one. */
  private async send(kind: RecordKind, run: () => Promise<void>): Promise<void> {
    await this.settle();
    const done = run();
    done.catch(() => {}); // observed by settle()
    this.inflight = { kind, done };
  }

  async shardDone(shard: ShardRef): Promise<void> {
    try {
      await this.settle();
    } catch (err) {
      throw this.client.wrap(err, this.what);
    }
    if (!this.ckpt || this.dry) return;
    this.done.push(shard.entry);
    await this.ckpt.write({ runId: this.ctx.runId, done: this.done, edges: this.edgeCum });
  }

  async commit(expected: DatasetTotals): Promise<CommitReport> {
    const report = (digest: string, records: DatasetTotals['records']): CommitReport => ({ dataset: this.desc.name, target: this.target, records, digest, actions: [...this.actions] });
    if (this.dry) {
      this.check(this.dry, expected, 'the archive records');
      this.actions.push(`would create ${this.desc.fingerprint.indexes ? (this.desc.fingerprint.indexes as unknown[]).length : 0} index(es) and ${(this.desc.fingerprint.constraints as unknown[] | undefined)?.length ?? 0} constraint(s)`);
      return report(this.dry.hex(), { ...this.dry.counts });
    }
    try {
      await this.settle();
      this.actions.push(...(await applySchema(this.client, this.load, schemaFromFingerprint(this.desc.fingerprint, this.desc.name), (m) => this.log(m))));
      const live = new DatasetDigest(this.digestRule());
      await liveDigest(this.client, this.load, live);
      const want = new DatasetDigest(this.digestRule());
      want.addDigest(expected.digest);
      const records = { node: (expected.records.node ?? 0) + (this.pre?.counts.node ?? 0), edge: (expected.records.edge ?? 0) + (this.pre?.counts.edge ?? 0) };
      if (this.pre) want.addDigest(this.pre.hex());
      this.check(live, { records, digest: want.hex() }, `graph "${this.load}"`);
      if (this.mode === 'new') {
        if (Number(await this.client.call(this.what, 'RENAMENX', this.load, this.target)) !== 1) {
          throw new MemarcError('TARGET_EXISTS', `graph "${this.target}" was created by someone else during the restore; the restored data is kept in "${this.load}"`, {
            hint: `inspect both graphs; RENAME ${this.load} ${this.target} replaces it`,
          });
        }
        this.actions.push(`created graph "${this.target}"`);
      } else if (this.mode === 'replace') {
        await this.client.call(this.what, 'RENAME', this.load, this.target);
        this.actions.push(`replaced graph "${this.target}"`);
      } else {
        this.actions.push(`appended to graph "${this.target}"`);
      }
      await this.ckpt?.clear();
      this.actions.push(`verified ${records.node} node(s), ${records.edge} edge(s) and the content digest`);
      return report(expected.digest, { node: expected.records.node ?? 0, edge: expected.records.edge ?? 0 });
    } catch (err) {
      throw this.client.wrap(err, this.what);
    }
  }

  private check(live: DatasetDigest, expected: DatasetTotals, where: string): void {
    const diffs: string[] = [];
    for (const k of ['node', 'edge'] as const) {
      const got = live.counts[k] ?? 0;
      const want = expected.records[k] ?? 0;
      if (got !== want) diffs.push(`${k}s: ${got} found, ${want} expected`);
    }
    if (live.hex() !== expected.digest) diffs.push(`digest ${live.hex()} found, ${expected.digest} expected`);
    if (diffs.length) {
      throw new MemarcError('VERIFY_FAILED', `graph "${this.target}": ${where} disagrees with the archive: ${diffs.join('; ')}`, {
        hint: 'the existing graph was left untouched; check the server log and try again',
        context: { dataset: this.desc.name },
      });
    }
  }

  /**
   * Rolls back on a connection of its own when the run's connection was lost (a missed deadline
   * closes it). Dropping the staging graph is idempotent, so it is retried until the deadline
   * (a server that was frozen for a moment); deleting appended nodes by id is not (a deleted id
   * may be reused by another writer at once), so it is tried once.
   */
  async abort(err: unknown): Promise<void> {
    void err;
    if (this.dry || !this.load) return;
    await this.settle().catch(() => {});
    const until = Date.now() + this.client.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const via = this.client.healthy ? this.client : this.client.fresh();
      try {
        if (via !== this.client) await via.connect(this.what);
        if (this.mode === 'append') {
          for (let i = 0; i < this.created.length; i += this.batchSize) {
            await via.query(this.load, 'UNWIND $ids AS i WITH i AS x MATCH (n) WHERE id(n) = x DETACH DELETE n', { ids: this.created.slice(i, i + this.batchSize) });
          }
          const lost = this.lostBatch ? '; a node batch whose reply was lost may have left nodes without a record of their ids' : '';
          this.log(`graph "${this.target}": removed the ${this.created.length} node(s) this run appended${lost}`);
        } else {
          if ((await via.listGraphs()).includes(this.load)) await via.call(this.what, 'GRAPH.DELETE', this.load);
          await new Checkpoint(via, this.load).clear();
          this.log(`graph "${this.target}": dropped the staging graph "${this.load}"; the target is unchanged`);
        }
        return;
      } catch (e) {
        const w = via.wrap(e, this.what);
        if (this.mode === 'append' || w.code !== 'CONNECTION_FAILED' || Date.now() >= until) {
          this.log(`graph "${this.target}": cleanup after the failure did not finish (${w.message}); delete ${this.mode === 'append' ? 'the appended nodes' : `"${this.load}"`} by hand if it remains`);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(500 * (attempt + 1), 2000)));
      } finally {
        if (via !== this.client) await via.close();
      }
    }
  }
}
