/**
 * The FalkorDB sink: the primitives of src/core/adapter.ts, the policy being src/core/restore.ts's.
 * A new or replaced graph is loaded into a staging graph `memarc_stage_<target>_<run>`, verified
 * there (exact counts and the content digest read back from the server), and only then published:
 * `RENAMENX` for a new target; for a replaced one, one MULTI/EXEC that renames the old graph aside
 * (`memarc_prev_<target>_<run>`) and the staging graph to the target, so readers see the old graph
 * or the new one, never a mix, and undo can rename them back. `finish` drops the old graph.
 *
 * `append` writes into the live target and verifies that live digest = digest before + archive
 * digest. Archived node keys are not stored in the target (a graph's node key is its source id),
 * so an appended graph can never collide with what the target holds: append always adds, and
 * its rollback deletes exactly the nodes it created (and with them its edges). `merge` has
 * nothing to match nodes by, and is refused for an existing graph. See checkpoint.ts for resume.
 */
import { createHash } from 'node:crypto';
import type { AbortOutcome, CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, IfExists, OpenResult, PublishResult, ShardRef, Sink, SinkContext } from '../../core/adapter.ts';
import type { CheckpointFile } from '../../core/checkpoint.ts';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest, normKey } from '../../format/digest.ts';
import type { EdgeRecord, NodeKey, NodeRecord, RecordByKind, RecordKind } from '../../format/records.ts';
import { decodeKey, encodeKey, type GraphCheckpoint, type KeyLine } from './checkpoint.ts';
import { FalkorClient, type Reply } from './client.ts';
import { decode } from './compact.ts';
import { convertingSink, isForeignGraph } from './from-neutral.ts';
import { readEdges, readNodes, SchemaNames } from './reader.ts';
import { KeyIds } from './key-ids.ts';
import { prepareQuery } from './params.ts';
import { applySchema, schemaFromFingerprint } from './schema.ts';
import { edgeQuery, groupRows, labelsClause, nodeQuery } from './write-batches.ts';
import { readBackDifferences, readBackHint } from '../../core/differences.ts';

export interface FalkorSinkOptions {
  url: string;
  ifExists?: IfExists;
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

export const PREVIOUS_PREFIX = 'memarc_prev_';

function runSlug(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 12);
}

export function stagingName(target: string, runId: string): string {
  return `${STAGE_PREFIX}${target}_${runSlug(runId)}`;
}

/** Where a replace keeps the previous graph until every dataset of the run is published. */
export function previousName(target: string, runId: string): string {
  return `${PREVIOUS_PREFIX}${target}_${runSlug(runId)}`;
}

async function liveDigest(client: FalkorClient, graph: string, into: DatasetDigest): Promise<void> {
  const names = new SchemaNames(client, graph);
  await names.refresh();
  // Smaller pages than the export's: the same time, and a lower peak RSS (310 → 260 MiB at
  // 100k nodes / 200k edges), since less of each page outlives the young generation.
  const ro = { pageSize: 2_500, exactDoubles: true };
  try {
    for await (const b of readNodes(client, graph, names, ro)) for (const n of b) into.add('node', n);
    for await (const b of readEdges(client, graph, names, ro)) for (const e of b) into.add('edge', e);
  } finally {
    // Only the sum and counts are wanted; a big graph's node table holds a temporary file.
    into.dropNodeTable();
  }
}

export function falkordbSink(opts: FalkorSinkOptions): Sink {
  const client = new FalkorClient(opts.url, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  const batchSize = opts.batchSize ?? 5_000;
  return {
    async dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null> {
      if (opts.graphs && !opts.graphs.includes(descriptor.name)) return null;
      // Another store's graph: converted through the neutral schema (from-neutral.ts).
      if (isForeignGraph(descriptor)) return convertingSink(new GraphSink(client, opts, batchSize, true), descriptor);
      if (descriptor.kind !== 'falkordb.graph') {
        opts.log?.(`skipping dataset "${descriptor.name}": a ${descriptor.kind} cannot be restored into FalkorDB`);
        return null;
      }
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
  private checkpoint: CheckpointFile | null = null;
  private done: string[] = [];
  private readonly keyMap = new KeyIds();
  private readonly created: number[] = [];
  /** Edges written so far and the highest edge id (for the checkpoint, see checkpoint.ts). */
  private edgeCount = 0;
  private maxEdge = -1;
  private pre: DatasetDigest | null = null;
  private dry: DatasetDigest | null = null;
  private readonly actions: string[] = [];
  private published = false;
  private finished = false;
  /**
   * The write query in flight, at most one: the next batch's query text is built while the
   * server runs this one. Awaited before the next is sent, before edges look up endpoints, and
   * by shardDone, verify and abort, so its failure surfaces at the latest there.
   */
  private inflight: { kind: RecordKind; done: Promise<void> } | null = null;
  /** A node batch failed without a reply: its nodes may exist with ids nobody recorded. */
  private lostBatch = false;
  /**
   * verify() digests the graph read back from the server (a dry run: the records given) and
   * compares it with the trailer's digest, so an import's reader need not hash these records too
   * (DatasetSink.digestsTarget); not so under a conversion (from-neutral.ts), whose digest is of
   * the converted records.
   */
  readonly digestsTarget: boolean;

  constructor(client: FalkorClient, opts: FalkorSinkOptions, batchSize: number, converted = false) {
    this.client = client;
    this.opts = opts;
    this.batchSize = batchSize;
    this.digestsTarget = !converted;
  }

  private log(m: string): void {
    (this.ctx?.log ?? this.opts.log)?.(m);
  }

  private get what(): string {
    return `graph "${this.target}"`;
  }

  private checkpointFor(ctx: SinkContext, target: string): CheckpointFile | null {
    return ctx.checkpoints?.for({ store: 'falkordb', url: this.client.redactedUrl, target }) ?? null;
  }

  /** Refuses what the run would refuse anyway, before any dataset of the run writes anything. */
  async inspect(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    this.ctx = ctx;
    this.desc = descriptor;
    this.target = this.opts.rename?.[descriptor.name] ?? descriptor.name;
    schemaFromFingerprint(descriptor.fingerprint, descriptor.name);
    await this.client.connect(this.what);
    const exists = (await this.client.listGraphs()).includes(this.target);
    const file = ctx.dryRun ? null : this.checkpointFor(ctx, this.target);
    const saved = file ? await file.load<GraphCheckpoint>() : null;
    this.refuse(exists, ctx.resume ? saved : null, saved !== null);
  }

  private refuse(exists: boolean, resumable: GraphCheckpoint | null, stale: boolean): void {
    const ifExists = this.opts.ifExists ?? 'fail';
    if (exists && ifExists === 'fail' && !(resumable && resumable.mode === 'replace')) {
      throw new MemarcError('TARGET_EXISTS', `graph "${this.target}" already exists on ${this.client.redactedUrl}`, {
        hint: stale
          ? 'an interrupted import of this same archive left a checkpoint: run the same command with --resume to finish it, or with --rollback to drop what it left'
          : 'choose --if-exists replace or append, or restore under another name with --rename',
        context: { dataset: this.desc.name },
      });
    }
    if (exists && ifExists === 'merge') {
      throw new MemarcError('USAGE', `graph "${this.target}" exists: --if-exists merge needs a key to match nodes by, and a graph's node keys are its source's ids, which the target does not hold`, {
        hint: 'use --if-exists append (adds the archive\'s nodes and edges) or replace',
        context: { dataset: this.desc.name },
      });
    }
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
    this.checkpoint = ctx.dryRun ? null : this.checkpointFor(ctx, this.target);
    const saved = ctx.resume && this.checkpoint ? await this.checkpoint.load<GraphCheckpoint>() : null;
    this.refuse(exists, saved, this.checkpoint ? (await this.checkpoint.load<GraphCheckpoint>()) !== null : false);
    this.mode = saved ? saved.mode : !exists ? 'new' : ifExists === 'append' ? 'append' : 'replace';
    this.load = this.mode === 'append' ? this.target : stagingName(this.target, ctx.runId);
    if (ctx.dryRun) {
      this.dry = new DatasetDigest(this.digestRule());
      this.actions.push(this.mode === 'append' ? `would append to graph "${this.target}" (archived node keys are not kept in the target, so nothing can collide)` : `would load graph "${this.target}" through staging graph "${this.load}"${this.mode === 'replace' ? ', then replace the existing graph' : ''}`);
      return;
    }
    if (this.mode === 'append') {
      if (ctx.resume) throw new MemarcError('USAGE', `graph "${this.target}": --resume is not possible with --if-exists append, which writes into the live graph`, { hint: 'an interrupted append deletes the nodes it added when it stops; run it again without --resume' });
      this.pre = new DatasetDigest(this.digestRule());
      await liveDigest(this.client, this.target, this.pre);
      this.checkpoint = null;
      return;
    }
    if (saved && saved.load === this.load && graphs.includes(this.load)) {
      await this.recover(saved);
      this.log(`graph "${this.target}": resuming into "${this.load}", ${this.done.length} shard(s) already loaded`);
      return { done: [...this.done] };
    }
    if (ctx.resume) this.log(`graph "${this.target}": no checkpoint of this archive for it; loading from the beginning`);
    if (graphs.includes(this.load)) await this.client.call(this.what, 'GRAPH.DELETE', this.load);
    await this.checkpoint?.remove();
    // The staging graph exists from here on, also for an archive graph without records (an
    // empty graph): indexes, the read-back and the rename need a graph key.
    await this.client.query(this.load, 'RETURN 1');
    for (const g of graphs) {
      if (g.startsWith(`${STAGE_PREFIX}${this.target}_`) && g !== this.load) this.log(`note: staging graph "${g}" of another run is still on the server`);
    }
    await this.saveCheckpoint();
  }

  private async saveCheckpoint(): Promise<void> {
    if (!this.checkpoint || this.mode === 'append') return;
    await this.checkpoint.save({ load: this.load, mode: this.mode, done: this.done, edges: this.edgeCount, maxEdge: this.maxEdge } satisfies GraphCheckpoint);
  }

  private async recover(state: GraphCheckpoint): Promise<void> {
    this.done = [...state.done];
    this.edgeCount = state.edges;
    this.maxEdge = state.maxEdge;
    const ids = new Set<number>();
    for await (const line of this.checkpoint!.journal<KeyLine>()) {
      for (const [k, id] of line) {
        this.keyMap.set(normKey(decodeKey(k)), id);
        ids.add(id);
      }
    }
    // Nodes written by a batch whose keys never reached the journal: delete, they come again.
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
    // Edges of the shard in flight: every edge above the checkpoint's highest id.
    const { rows } = await this.client.query(this.load, 'MATCH ()-[e]->() WHERE id(e) > $m DELETE e RETURN count(e)', { m: this.maxEdge });
    const removed = Number(decode(rows[0]?.[0] ?? '0'));
    if (removed) this.log(`graph "${this.target}": removed ${removed} edge(s) of an unfinished shard`);
    const left = Number(decode((await this.client.query(this.load, 'MATCH ()-[e]->() RETURN count(e)', {}, true)).rows[0]![0]!));
    if (left !== this.edgeCount) {
      throw new MemarcError('VERIFY_FAILED', `graph "${this.target}": the staging graph "${this.load}" holds ${left} edges after the cleanup, its checkpoint says ${this.edgeCount}; it cannot be resumed`, {
        hint: 'run the same command with --rollback, then again without --resume',
        context: { dataset: this.desc.name },
      });
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
          const line: KeyLine = [];
          rows.forEach((r, j) => {
            const id = Number((r[0] as Reply[])[1]);
            const key = part[g.index[j]!]!.key;
            this.keyMap.set(normKey(key), id);
            line.push([encodeKey(key), id]);
            if (this.mode === 'append') this.created.push(id);
          });
          await this.checkpoint?.append([line]);
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

  private async writeEdges(recs: EdgeRecord[]): Promise<void> {
    if (this.dry) {
      for (const e of recs) this.dry.add('edge', e);
      groupRows(recs.map((e) => e.props), (i) => recs[i]!.type, () => ({}), (i) => `graph "${this.desc.name}", edge ${i}`, 'e');
      return;
    }
    await this.settle('node'); // endpoints need every node batch's ids
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
          this.edgeCount += made;
          const top = decode(rows[0]![1]!);
          if (top !== null && Number(top) > this.maxEdge) this.maxEdge = Number(top);
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
    if (this.dry) return;
    this.done.push(shard.entry);
    await this.saveCheckpoint();
  }

  private report(digest: string, records: DatasetTotals['records']): CommitReport {
    return { dataset: this.desc.name, target: this.target, records, digest, actions: [...this.actions] };
  }

  async verify(expected: DatasetTotals): Promise<CommitReport> {
    if (this.dry) {
      this.dry.dropNodeTable(); // every record is in: the sum and counts are what is checked
      this.check(this.dry, expected, 'the archive records');
      this.actions.push(`would create ${this.desc.fingerprint.indexes ? (this.desc.fingerprint.indexes as unknown[]).length : 0} index(es) and ${(this.desc.fingerprint.constraints as unknown[] | undefined)?.length ?? 0} constraint(s)`);
      return this.report(this.dry.hex(), { ...this.dry.counts });
    }
    try {
      await this.settle();
      // Every edge is written: the key → id map is not needed by the read-back, which builds
      // its own node table.
      this.keyMap.clear();
      this.actions.push(...(await applySchema(this.client, this.load, schemaFromFingerprint(this.desc.fingerprint, this.desc.name), (m) => this.log(m))));
      const live = new DatasetDigest(this.digestRule());
      await liveDigest(this.client, this.load, live);
      const want = new DatasetDigest(this.digestRule());
      want.addDigest(expected.digest);
      const records = { node: (expected.records.node ?? 0) + (this.pre?.counts.node ?? 0), edge: (expected.records.edge ?? 0) + (this.pre?.counts.edge ?? 0) };
      if (this.pre) want.addDigest(this.pre.hex());
      this.check(live, { records, digest: want.hex() }, `graph "${this.load}"`);
      this.actions.push(`verified ${records.node} node(s), ${records.edge} edge(s) and the content digest`);
      return this.report(expected.digest, { node: expected.records.node ?? 0, edge: expected.records.edge ?? 0 });
    } catch (err) {
      throw this.client.wrap(err, this.what);
    }
  }

  undoable(): boolean {
    return true;
  }

  async publish(): Promise<PublishResult> {
    if (this.dry) return { actions: [], undoable: true };
    const actions: string[] = [];
    if (this.mode === 'new') {
      if (Number(await this.client.call(this.what, 'RENAMENX', this.load, this.target)) !== 1) {
        throw new MemarcError('TARGET_EXISTS', `graph "${this.target}" was created by someone else during the restore; the restored data is kept in "${this.load}"`, {
          hint: `inspect both graphs; RENAME ${this.load} ${this.target} replaces it`,
        });
      }
      actions.push(`created graph "${this.target}"`);
    } else if (this.mode === 'replace') {
      const prev = previousName(this.target, this.ctx.runId);
      const graphs = await this.client.listGraphs();
      if (graphs.includes(prev)) await this.client.call(this.what, 'GRAPH.DELETE', prev);
      if (graphs.includes(this.target)) {
        await this.client.renameAll(this.what, [[this.target, prev], [this.load, this.target]]);
        actions.push(`replaced graph "${this.target}" (the previous graph is kept as "${prev}" until every dataset is published)`);
      } else {
        await this.client.call(this.what, 'RENAME', this.load, this.target);
        actions.push(`created graph "${this.target}"`);
      }
    } else {
      actions.push(`appended to graph "${this.target}"`);
    }
    this.published = true;
    this.actions.push(...actions);
    return { actions, undoable: true };
  }

  async undo(): Promise<string> {
    if (this.mode === 'append') {
      await this.deleteCreated(this.client);
      return `deleted the ${this.created.length} node(s) (and their edges) appended to graph "${this.target}"`;
    }
    const prev = previousName(this.target, this.ctx.runId);
    if ((await this.client.listGraphs()).includes(prev)) {
      await this.client.renameAll(this.what, [[this.target, this.load], [prev, this.target]]);
      await this.client.call(this.what, 'GRAPH.DELETE', this.load);
      await this.checkpoint?.remove();
      return `put the previous graph "${this.target}" back`;
    }
    await this.client.call(this.what, 'GRAPH.DELETE', this.target);
    await this.checkpoint?.remove();
    return `deleted the new graph "${this.target}"`;
  }

  async finish(): Promise<string[]> {
    this.finished = true;
    if (this.dry) return [];
    const out: string[] = [];
    if (this.mode === 'replace') {
      const prev = previousName(this.target, this.ctx.runId);
      if ((await this.client.listGraphs()).includes(prev)) {
        await this.client.call(this.what, 'GRAPH.DELETE', prev);
        out.push(`dropped the previous graph "${this.target}"`);
      }
    }
    await this.checkpoint?.remove();
    return out;
  }

  private check(live: DatasetDigest, expected: DatasetTotals, where: string): void {
    const diffs = readBackDifferences(live, expected, ['node', 'edge']);
    if (diffs.length) {
      throw new MemarcError('VERIFY_FAILED', `graph "${this.target}": ${where} disagrees with the archive: ${diffs.join('; ')}`, {
        hint: readBackHint(live, expected, ['node', 'edge'], this.digestsTarget),
        context: { dataset: this.desc.name },
      });
    }
  }

  private async deleteCreated(via: FalkorClient): Promise<void> {
    for (let i = 0; i < this.created.length; i += this.batchSize) {
      await via.query(this.load, 'UNWIND $ids AS i WITH i AS x MATCH (n) WHERE id(n) = x DETACH DELETE n', { ids: this.created.slice(i, i + this.batchSize) });
    }
  }

  /**
   * Rolls back on a connection of its own when the run's connection was lost (a missed deadline
   * closes it). Dropping the staging graph is idempotent, so it is retried until the deadline
   * (a server that was frozen for a moment); deleting appended nodes by id is not (a deleted id
   * may be reused by another writer at once), so it is tried once. With `keep` (an interruption
   * of an import that keeps checkpoints), the staging graph and the checkpoint stay.
   */
  async abort(err: unknown, keep = false): Promise<AbortOutcome> {
    void err;
    this.dry?.dropNodeTable();
    if (this.dry || !this.load || this.finished || this.published) return { kept: false, message: `graph "${this.target}": nothing was written` };
    this.finished = true;
    await this.settle().catch(() => {});
    if (keep && this.checkpoint && this.mode !== 'append') {
      return { kept: true, message: `kept the staging graph "${this.load}" and its checkpoint ${this.checkpoint.path}; graph "${this.target}" is unchanged` };
    }
    const until = Date.now() + this.client.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const via = this.client.healthy ? this.client : this.client.fresh();
      try {
        if (via !== this.client) await via.connect(this.what);
        if (this.mode === 'append') {
          await this.deleteCreated(via);
          const lost = this.lostBatch ? '; a node batch whose reply was lost may have left nodes without a record of their ids' : '';
          return { kept: false, message: `graph "${this.target}": removed the ${this.created.length} node(s) this run appended${lost}` };
        }
        if ((await via.listGraphs()).includes(this.load)) await via.call(this.what, 'GRAPH.DELETE', this.load);
        await this.checkpoint?.remove();
        return { kept: false, message: `graph "${this.target}": dropped the staging graph "${this.load}"; "${this.target}" is unchanged` };
      } catch (e) {
        const w = via.wrap(e, this.what);
        if (this.mode === 'append' || w.code !== 'CONNECTION_FAILED' || Date.now() >= until) {
          return { kept: false, message: `graph "${this.target}": cleanup after the failure did not finish (${w.message}); delete ${this.mode === 'append' ? 'the appended nodes' : `"${this.load}"`} by hand if it remains` };
        }
        await new Promise((r) => setTimeout(r, Math.min(500 * (attempt + 1), 2000)));
      } finally {
        if (via !== this.client) await via.close();
      }
    }
  }

  async discard(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<string> {
    const target = this.opts.rename?.[descriptor.name] ?? descriptor.name;
    this.target = target;
    const file = this.checkpointFor(ctx, target);
    const saved = file ? await file.load<GraphCheckpoint>() : null;
    await this.client.connect(this.what);
    const stage = stagingName(target, ctx.runId);
    const prev = previousName(target, ctx.runId);
    const graphs = await this.client.listGraphs();
    if (graphs.includes(prev)) {
      // Killed between publishing and finishing: the previous graph goes back.
      await this.client.renameAll(this.what, [[target, stage], [prev, target]]);
      await this.client.call(this.what, 'GRAPH.DELETE', stage);
      await file?.remove();
      return `put the previous graph "${target}" back, replacing what the interrupted run had published`;
    }
    if (!saved && !graphs.includes(stage)) return `no checkpoint or staging graph of this archive for graph "${target}": nothing to roll back`;
    if (graphs.includes(stage)) await this.client.call(this.what, 'GRAPH.DELETE', stage);
    await file?.remove();
    return `dropped the staging graph "${stage}" and the checkpoint; graph "${target}" is as it was`;
  }
}
