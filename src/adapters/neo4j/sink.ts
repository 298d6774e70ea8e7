/**
 * The Neo4j sink: the primitives of src/core/adapter.ts over one database (Community has one;
 * README "Neo4j" says what Enterprise would add). A graph (scope.ts) is restored like this:
 *
 * 1. load: every node is MERGEd under the run's staging label `memarc_stage_<target>_<run>`,
 *    keyed by its archive key (`__memarc_key`, with a temporary index), with its labels kept
 *    aside in `__memarc_labels`: a staged node carries none of its own labels, so queries by
 *    label do not see it, and no constraint applies to it yet. Relationships are created between
 *    staged nodes, found by archive key (never an internal id or elementId), each numbered
 *    (`__memarc_seq`) for resume. Batched UNWIND queries, each its own transaction with a deadline.
 * 2. verify: indexes and constraints are created (after the load), then the staged graph is read
 *    back and its counts and content digest compared with the archive's.
 * 3. publish: ONE transaction gives the staged nodes their labels (and the graph label), strips
 *    the temporary properties, and marks them `memarc_new_…`; for `replace` the same transaction
 *    moves the previous graph's nodes aside (labels kept in `__memarc_labels`, label
 *    `memarc_prev_…`). Readers see the old graph or the new one, never a mix.
 * 4. finish: the previous nodes are deleted and the `memarc_new_…` mark removed; `undo` (before
 *    finish) deletes the new nodes and gives the previous ones their labels back, in one
 *    transaction.
 *
 * Relationships between staged (or kept-aside) nodes are visible to a query that matches by
 * relationship type alone, for the length of the load. `merge` has no key to match nodes by (an
 * archive key is the source's id), and is refused for an existing graph, as for FalkorDB.
 */
import { descriptorStore, type AbortOutcome, type CommitReport, type DatasetDescriptor, type DatasetSink, type DatasetTotals, type IfExists, type OpenResult, type PublishResult, type ShardRef, type Sink, type SinkContext } from '../../core/adapter.ts';
import type { CheckpointFile } from '../../core/checkpoint.ts';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import type { EdgeRecord, NodeRecord, RecordByKind, RecordKind, TypedValue } from '../../format/records.ts';
import { Neo4jClient, type Neo4jConnection } from './client.ts';
import { convertedRecord, graphConversion, neutralSchema, type Conversion } from './convert.ts';
import { applySchema, ident, readSchema, schemaFromConfig, type Neo4jSchema } from './schema.ts';
import { archivedLabels, KEY_PROP, keyOf, keyText, LABELS_PROP, nodeMatch, runLabels, scopeOf, SEQ_PROP, type RunLabels, type Scope } from './scope.ts';
import { archiveProps } from './source.ts';
import { propsToNeo4j } from './values.ts';
import { readBackDifferences, readBackHint } from '../../core/differences.ts';

export interface Neo4jSinkOptions extends Neo4jConnection {
  ifExists?: IfExists;
  rename?: Record<string, string>;
  /** Only restore these archive graphs. */
  graphs?: string[];
  /** Rows per UNWIND transaction (default 2,000). */
  batchSize?: number;
  log?: (msg: string) => void;
}

interface Neo4jCheckpoint {
  mode: 'new' | 'replace';
  done: string[];
  edges: number;
}

export function neo4jSink(opts: Neo4jSinkOptions): Sink {
  const client = new Neo4jClient(opts);
  return {
    async dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null> {
      if ((descriptor.family ?? (descriptor.kind === 'falkordb.graph' ? 'graph' : null)) !== 'graph') {
        opts.log?.(`skipping dataset "${descriptor.name}": a ${descriptor.kind} cannot be restored into Neo4j`);
        return null;
      }
      if (opts.graphs && !opts.graphs.includes(descriptor.name)) return null;
      return new GraphSink(client, opts);
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
}

class GraphSink implements DatasetSink {
  private readonly client: Neo4jClient;
  private readonly opts: Neo4jSinkOptions;
  private readonly batchSize: number;
  private ctx!: SinkContext;
  private desc!: DatasetDescriptor;
  private target = '';
  private scope!: Scope;
  private run!: RunLabels;
  private mode: 'new' | 'replace' | 'append' = 'new';
  private checkpoint: CheckpointFile | null = null;
  private done: string[] = [];
  private edgeCount = 0;
  private dry: DatasetDigest | null = null;
  /** A conversion from another store: the digest of the records as Neo4j will hold them. */
  private conversion: Conversion | null = null;
  /**
   * verify() digests the staged graph read back (a dry run: the records given) and compares it
   * with the trailer's digest, so an import's reader need not hash these records too
   * (DatasetSink.digestsTarget); not so for a conversion, whose read-back is compared with the
   * converted records' digest.
   */
  get digestsTarget(): boolean {
    return this.dry !== null || this.conversion === null;
  }
  private want: DatasetDigest | null = null;
  private schema: Neo4jSchema = { indexes: [], constraints: [] };
  /** Index and constraint names this run created (dropped again if it does not publish). */
  private createdSchema: string[] = [];
  private readonly actions: string[] = [];
  private loading = false;
  private published = false;
  private finished = false;

  constructor(client: Neo4jClient, opts: Neo4jSinkOptions) {
    this.client = client;
    this.opts = opts;
    this.batchSize = opts.batchSize ?? 2_000;
  }

  private log(m: string): void {
    (this.ctx?.log ?? this.opts.log)?.(m);
  }

  private get what(): string {
    return this.scope?.label === null ? `database "${this.target}"` : `graph "${this.target}"`;
  }

  private checkpointFor(ctx: SinkContext): CheckpointFile | null {
    return ctx.checkpoints?.for({ store: 'neo4j', url: this.client.redactedUrl, target: this.target }) ?? null;
  }

  private async resolve(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    this.ctx = ctx;
    this.desc = descriptor;
    this.target = this.opts.rename?.[descriptor.name] ?? descriptor.name;
    await this.client.connect(`Neo4j target "${this.target}"`);
    this.scope = scopeOf(this.target, await this.client.databaseName());
    this.run = runLabels(this.target, ctx.runId);
  }

  private async exists(): Promise<boolean> {
    const r = await this.client.run('READ', `MATCH ${nodeMatch(this.scope, 'n')} AND NOT any(x IN labels(n) WHERE x STARTS WITH 'memarc_new_') RETURN n LIMIT 1`, {}, this.what);
    return r.length > 0;
  }

  async inspect(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    await this.resolve(descriptor, ctx);
    const native = descriptorStore(descriptor) === 'neo4j';
    // A conversion builds the schema from the neutral one (convert.ts), the native config being another store's.
    this.schema = native ? schemaFromConfig(descriptor.fingerprint, descriptor.name) : neutralSchema(descriptor.schema as Parameters<typeof neutralSchema>[0]).schema;
    const exists = await this.exists();
    const want: IfExists = this.opts.ifExists ?? 'fail';
    if (exists && want === 'fail') {
      throw new MemarcError('TARGET_EXISTS', `${this.what} already holds nodes on ${this.client.redactedUrl}`, {
        hint: '--if-exists replace swaps it for the archive in one transaction (the previous graph is kept until the run is finished), --if-exists append adds to it',
        context: { dataset: descriptor.name },
      });
    }
    if (exists && want === 'merge') {
      throw new MemarcError('USAGE', `${this.what}: --if-exists merge needs keys to match nodes by, and a graph archive has none (its node keys are the source's ids)`, { hint: 'use --if-exists replace or append', context: { dataset: descriptor.name } });
    }
    this.mode = want === 'append' && exists ? 'append' : want === 'replace' && exists ? 'replace' : 'new';
  }

  async open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult | void> {
    if (!this.scope) await this.inspect(descriptor, ctx);
    this.ctx = ctx;
    if (descriptorStore(descriptor) !== 'neo4j') {
      this.conversion = graphConversion(descriptor);
      this.want = new DatasetDigest(this.digestRule());
    }
    if (ctx.dryRun) {
      this.dry = new DatasetDigest(this.digestRule());
      this.actions.push(`would ${this.mode === 'replace' ? 'replace' : this.mode === 'append' ? 'append to' : 'create'} ${this.what} through the staging label "${this.run.stage}"`);
      return;
    }
    // A conversion keeps no checkpoint: its read-back is checked against the digest of the
    // converted records, which only a run that sees every record can compute. It rolls back.
    this.checkpoint = this.mode === 'append' || this.conversion ? null : this.checkpointFor(ctx);
    if (this.mode === 'append' && ctx.resume) throw new MemarcError('USAGE', `${this.what}: --resume is not possible with --if-exists append`, { hint: 'an interrupted append removes what it staged when it stops; run it again without --resume' });
    const saved = this.checkpoint ? await this.checkpoint.load<Neo4jCheckpoint>() : null;
    this.loading = true;
    await this.client.run('WRITE', `CREATE INDEX ${ident(this.run.index)} IF NOT EXISTS FOR (n:${ident(this.run.stage)}) ON (n.${ident(KEY_PROP)})`, {}, this.what);
    await this.client.run('READ', `CALL db.awaitIndex($name, ${Math.max(1, Math.floor(this.client.timeoutMs / 1000))})`, { name: this.run.index }, this.what);
    if (ctx.resume && saved) {
      this.done = [...saved.done];
      this.edgeCount = saved.edges;
      // Relationships of the unfinished shard: numbered from the checkpoint's count on.
      await this.inBatches(`MATCH (:${ident(this.run.stage)})-[e]->(:${ident(this.run.stage)}) WHERE e.${ident(SEQ_PROP)} >= $n`, 'e', 'DELETE e', { n: this.edgeCount });
      this.log(`${this.what}: resuming under "${this.run.stage}", ${this.done.length} shard(s) already loaded`);
      return { done: [...this.done] };
    }
    if (ctx.resume) this.log(`${this.what}: no checkpoint of this archive for it; loading from the beginning`);
    await this.dropStaged();
    await this.checkpoint?.remove();
    await this.saveCheckpoint();
  }

  private digestRule() {
    return { major: this.desc.formatMajor ?? 2 };
  }

  private async saveCheckpoint(): Promise<void> {
    if (!this.checkpoint || this.mode === 'append') return;
    await this.checkpoint.save({ mode: this.mode, done: this.done, edges: this.edgeCount } satisfies Neo4jCheckpoint);
  }

  /** The deadline of a long write (publish, undo, the batched deletes): the server's, plus a margin. */
  private get longMs(): number {
    return Math.max(this.client.timeoutMs, 600_000);
  }

  private guarded<T>(p: Promise<T>, s: { close(): Promise<void> }): Promise<T> {
    return this.client.guard(p, this.longMs + 5_000, this.what, () => void s.close().catch(() => {}));
  }

  /** Runs `match … CALL (v) { action } IN TRANSACTIONS`: big changes in bounded transactions. */
  private async inBatches(match: string, v: string, action: string, params: Record<string, unknown> = {}): Promise<void> {
    const s = this.client.session('WRITE');
    try {
      await this.guarded(s.run({ text: `${match} CALL (${v}) { ${action} } IN TRANSACTIONS OF ${this.batchSize} ROWS`, parameters: params }, { timeout: this.longMs }), s);
    } catch (err) {
      throw this.client.wrap(err, this.what);
    } finally {
      await s.close().catch(() => {});
    }
  }

  private async dropStaged(): Promise<void> {
    await this.inBatches(`MATCH (n:${ident(this.run.stage)})`, 'n', 'DETACH DELETE n');
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || this.ctx.signal?.aborted) throw new MemarcError('INTERRUPTED', `loading ${this.what} was interrupted`);
    if (kind === 'node') await this.writeNodes(batch as NodeRecord[]);
    else if (kind === 'edge') await this.writeEdges(batch as EdgeRecord[]);
    else throw new MemarcError('MALFORMED_ARCHIVE', `graph "${this.desc.name}" cannot hold records of kind ${kind}`);
  }

  private reserved(props: Record<string, TypedValue>, where: () => string): void {
    for (const k of [KEY_PROP, LABELS_PROP, SEQ_PROP]) {
      if (k in props) throw new MemarcError('STORE_ERROR', `${where()}: the property name "${k}" is reserved by memarc's Neo4j restore`, { hint: 'rename the property in the source and export again' });
    }
  }

  private convert<T extends NodeRecord | EdgeRecord>(kind: 'node' | 'edge', r: T, where: () => string): T {
    if (!this.conversion) return r;
    const c = convertedRecord(this.conversion, r, where);
    this.want!.add(kind, c);
    return c as T;
  }

  private async writeNodes(all: NodeRecord[]): Promise<void> {
    const rows: Array<Record<string, unknown>> = [];
    for (const n0 of all) {
      const where = () => `graph "${this.desc.name}", node ${String(n0.key)}`;
      this.reserved(n0.props, where);
      const n = this.convert('node', n0, where);
      for (const l of n.labels) if (l.startsWith('memarc_')) throw new MemarcError('STORE_ERROR', `${where()}: the label "${l}" is reserved by memarc (labels beginning with memarc_)`);
      const props = propsToNeo4j(n.props, where);
      if (this.dry) {
        this.dry.add('node', n0);
        continue;
      }
      rows.push({ k: keyText(n.key), l: n.labels, p: props });
    }
    if (this.dry) return;
    for (let off = 0; off < rows.length; off += this.batchSize) {
      await this.client.run('WRITE', `UNWIND $rows AS r MERGE (n:${ident(this.run.stage)} {${ident(KEY_PROP)}: r.k}) SET n = r.p, n.${ident(KEY_PROP)} = r.k, n.${ident(LABELS_PROP)} = r.l`, { rows: rows.slice(off, off + this.batchSize) }, this.what);
    }
  }

  private async writeEdges(all: EdgeRecord[]): Promise<void> {
    const rows: Array<Record<string, unknown>> = [];
    for (const e0 of all) {
      const where = () => `graph "${this.desc.name}", ${e0.type} relationship from node ${String(e0.src)}`;
      this.reserved(e0.props, where);
      const e = this.convert('edge', e0, where);
      const props = propsToNeo4j(e.props, where);
      if (this.dry) {
        this.dry.add('edge', e0);
        continue;
      }
      rows.push({ s: keyText(e.src), d: keyText(e.dst), t: e.type, p: props, q: this.edgeCount + rows.length });
    }
    if (this.dry) return;
    for (let off = 0; off < rows.length; off += this.batchSize) {
      const part = rows.slice(off, off + this.batchSize);
      const stage = ident(this.run.stage);
      const [r] = await this.client.run('WRITE', `UNWIND $rows AS r MATCH (a:${stage} {${ident(KEY_PROP)}: r.s}) MATCH (b:${stage} {${ident(KEY_PROP)}: r.d}) CREATE (a)-[e:$(r.t)]->(b) SET e = r.p, e.${ident(SEQ_PROP)} = r.q RETURN count(e) AS c`, { rows: part }, this.what);
      const made = Number(r?.c ?? 0);
      if (made !== part.length) throw new MemarcError('STORE_ERROR', `${this.what}: created ${made} of ${part.length} relationships (an endpoint is missing from the staged nodes)`);
      this.edgeCount += made;
    }
  }

  async shardDone(shard: ShardRef): Promise<void> {
    if (this.dry) return;
    this.done.push(shard.entry);
    await this.saveCheckpoint();
  }

  private report(digest: string, records: DatasetTotals['records']): CommitReport {
    return { dataset: this.desc.name, target: this.target, records, digest, actions: [...this.actions] };
  }

  /** The archive digest a conversion should read back (the records as Neo4j holds them). */
  private expectedDigest(expected: DatasetTotals): string {
    return this.want ? this.want.hex() : expected.digest;
  }

  /** Every record is in: the digests' sums and counts stay, their node tables (a temporary file for a big graph) go. */
  private dropNodeTables(): void {
    this.dry?.dropNodeTable();
    this.want?.dropNodeTable();
  }

  async verify(expected: DatasetTotals): Promise<CommitReport> {
    this.dropNodeTables();
    if (this.conversion) this.actions.push(...this.conversion.report(this.dry !== null));
    if (this.dry) {
      this.check(this.dry, expected, 'the archive records');
      this.actions.push(`would create ${this.schema.indexes.length} index(es) and ${this.schema.constraints.length} constraint(s)`);
      return this.report(this.dry.hex(), { ...this.dry.counts });
    }
    const before = await readSchema(this.client);
    const names = new Set([...before.indexes.map((i) => i.name), ...before.constraints.map((c) => c.name)]);
    this.createdSchema = [...this.schema.indexes.map((i) => i.name), ...this.schema.constraints.map((c) => c.name)].filter((n) => !names.has(n));
    this.actions.push(...(await applySchema(this.client, this.schema, (m) => this.log(m))));
    const live = new DatasetDigest(this.digestRule());
    await this.readStaged(live);
    const records = { node: expected.records.node ?? 0, edge: expected.records.edge ?? 0 };
    this.check(live, { records, digest: this.expectedDigest(expected) }, `the staged graph "${this.run.stage}"`);
    this.actions.push(`verified ${records.node} node(s), ${records.edge} relationship(s) and the content digest${this.want ? ' (of the converted values)' : ''}`);
    return this.report(expected.digest, records);
  }

  /** Reads the staged graph back in its archive form (one read transaction, streamed). */
  private async readStaged(into: DatasetDigest): Promise<void> {
    const s = this.client.session('READ', 5_000);
    const stage = ident(this.run.stage);
    const skip = (k: string) => k.startsWith('__memarc_');
    try {
      const tx = s.beginTransaction({ timeout: Math.max(this.client.timeoutMs, 3_600_000) });
      const drop = () => void s.close().catch(() => {});
      for await (const r of this.client.records(tx.run(`MATCH (n:${stage}) RETURN n.${ident(KEY_PROP)} AS k, n.${ident(LABELS_PROP)} AS l, properties(n) AS p`), this.what, drop)) {
        const k = r.get('k') as string;
        into.add('node', { key: keyOf(k), labels: archivedLabels(this.scope, r.get('l') as string[]), props: archiveProps(r.get('p') as Record<string, unknown>, () => `staged node ${k}`, skip) });
      }
      for await (const r of this.client.records(tx.run(`MATCH (a:${stage})-[e]->(b:${stage}) RETURN a.${ident(KEY_PROP)} AS s, b.${ident(KEY_PROP)} AS d, type(e) AS t, properties(e) AS p`), this.what, drop)) {
        into.add('edge', { src: keyOf(r.get('s') as string), dst: keyOf(r.get('d') as string), type: r.get('t') as string, props: archiveProps(r.get('p') as Record<string, unknown>, () => 'staged relationship', skip) });
      }
      await tx.commit();
    } catch (err) {
      throw this.client.wrap(err, this.what);
    } finally {
      into.dropNodeTable(); // only the sum and counts are wanted
      await s.close().catch(() => {});
    }
  }

  private check(live: DatasetDigest, expected: DatasetTotals, where: string): void {
    const diffs = readBackDifferences(live, expected, ['node', 'edge']);
    if (diffs.length) {
      throw new MemarcError('VERIFY_FAILED', `${this.what}: ${where} disagrees with the archive: ${diffs.join('; ')}`, {
        hint: readBackHint(live, expected, ['node', 'edge'], this.digestsTarget),
        context: { dataset: this.desc.name },
      });
    }
  }

  undoable(): boolean {
    return true;
  }

  /** The switch, in one transaction. */
  async publish(): Promise<PublishResult> {
    if (this.dry) return { actions: [], undoable: true };
    const stage = ident(this.run.stage);
    const graphLabel = this.scope.label ? `, n:${ident(this.scope.label)}` : '';
    const s = this.client.session('WRITE');
    const actions: string[] = [];
    try {
      const tx = s.beginTransaction({ timeout: this.longMs });
      try {
        if (this.mode === 'replace') {
          await this.guarded(tx.run(`MATCH ${nodeMatch(this.scope, 'n')} AND NOT n:${stage} SET n.${ident(LABELS_PROP)} = labels(n) REMOVE n:$(labels(n)) SET n:${ident(this.run.prev)}`), s);
        }
        await this.guarded(tx.run(`MATCH (:${stage})-[e]->(:${stage}) REMOVE e.${ident(SEQ_PROP)}`), s);
        await this.guarded(tx.run(`MATCH (n:${stage}) SET n:$(n.${ident(LABELS_PROP)})${graphLabel}, n:${ident(this.run.fresh)} REMOVE n:${stage}, n.${ident(KEY_PROP)}, n.${ident(LABELS_PROP)}`), s);
        await this.guarded(tx.commit(), s);
      } catch (err) {
        await tx.rollback().catch(() => {});
        throw err;
      }
    } catch (err) {
      const e = this.client.wrap(err, this.what);
      // A commit whose answer was lost may have happened: the staging label says which.
      if (e.code !== 'CONNECTION_FAILED' || !(await this.committedAnyway())) throw e;
      this.log(`${this.what}: the answer to the switch was lost, but it was committed`);
    } finally {
      await s.close().catch(() => {});
    }
    actions.push(this.mode === 'replace' ? `replaced ${this.what} in one transaction (the previous nodes are kept aside until every dataset is published)` : this.mode === 'append' ? `appended to ${this.what}` : `created ${this.what}`);
    this.published = true;
    this.actions.push(...actions);
    return { actions, undoable: true };
  }

  /** After a lost answer to the switch: no staged node is left and the new ones are marked. */
  private async committedAnyway(): Promise<boolean> {
    try {
      const staged = await this.client.run('READ', `MATCH (n:${ident(this.run.stage)}) RETURN n LIMIT 1`, {}, this.what);
      const fresh = await this.client.run('READ', `MATCH (n:${ident(this.run.fresh)}) RETURN n LIMIT 1`, {}, this.what);
      return staged.length === 0 && fresh.length > 0;
    } catch {
      return false;
    }
  }

  /** Deletes the published nodes and puts the previous ones back, in one transaction. */
  private async putBack(run: RunLabels): Promise<number> {
    const s = this.client.session('WRITE');
    try {
      const tx = s.beginTransaction({ timeout: this.longMs });
      try {
        await this.guarded(tx.run(`MATCH (n:${ident(run.fresh)}) DETACH DELETE n`), s);
        const r = await this.guarded(tx.run(`MATCH (n:${ident(run.prev)}) SET n:$(n.${ident(LABELS_PROP)}) REMOVE n:${ident(run.prev)}, n.${ident(LABELS_PROP)} RETURN count(n) AS c`), s);
        await this.guarded(tx.commit(), s);
        return Number(r.records[0]?.get('c') ?? 0);
      } catch (err) {
        await tx.rollback().catch(() => {});
        throw err;
      }
    } catch (err) {
      throw this.client.wrap(err, this.what);
    } finally {
      await s.close().catch(() => {});
    }
  }

  private async dropSchema(names: string[]): Promise<void> {
    for (const n of names) {
      await this.client.run('WRITE', `DROP CONSTRAINT ${ident(n)} IF EXISTS`, {}, this.what);
      await this.client.run('WRITE', `DROP INDEX ${ident(n)} IF EXISTS`, {}, this.what);
    }
  }

  async undo(): Promise<string> {
    const back = await this.putBack(this.run);
    await this.dropSchema(this.createdSchema);
    await this.client.run('WRITE', `DROP INDEX ${ident(this.run.index)} IF EXISTS`, {}, this.what);
    await this.checkpoint?.remove();
    return this.mode === 'replace' ? `put the previous ${this.what} back (${back} node(s))` : `deleted what this run added to ${this.what}`;
  }

  async finish(): Promise<string[]> {
    this.finished = true;
    if (this.dry) return [];
    const out: string[] = [];
    if (this.mode === 'replace') {
      await this.inBatches(`MATCH (n:${ident(this.run.prev)})`, 'n', 'DETACH DELETE n');
      out.push(`deleted the previous nodes of ${this.what}`);
    }
    await this.inBatches(`MATCH (n:${ident(this.run.fresh)})`, 'n', `REMOVE n:${ident(this.run.fresh)}`);
    await this.client.run('WRITE', `DROP INDEX ${ident(this.run.index)} IF EXISTS`, {}, this.what);
    await this.checkpoint?.remove();
    return out;
  }

  async abort(err: unknown, keep = false): Promise<AbortOutcome> {
    void err;
    this.dropNodeTables();
    if (this.dry || !this.loading || this.finished || this.published) return { kept: false, message: `${this.what}: nothing was written` };
    this.finished = true;
    if (keep && this.checkpoint && this.mode !== 'append') {
      return { kept: true, message: `kept the nodes staged under "${this.run.stage}" and the checkpoint ${this.checkpoint.path}; ${this.what} is unchanged` };
    }
    try {
      await this.dropStaged();
      await this.dropSchema(this.createdSchema);
      await this.client.run('WRITE', `DROP INDEX ${ident(this.run.index)} IF EXISTS`, {}, this.what);
      await this.checkpoint?.remove();
      return { kept: false, message: `${this.what}: deleted the nodes staged under "${this.run.stage}"; ${this.what} is unchanged` };
    } catch (e) {
      return { kept: false, message: `${this.what}: cleanup after the failure did not finish (${(e as Error).message}); delete the nodes labelled "${this.run.stage}" and the index "${this.run.index}" by hand` };
    }
  }

  async discard(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<string> {
    await this.resolve(descriptor, ctx);
    const file = this.checkpointFor(ctx);
    const prev = await this.client.run('READ', `MATCH (n:${ident(this.run.prev)}) RETURN n LIMIT 1`, {}, this.what);
    const fresh = await this.client.run('READ', `MATCH (n:${ident(this.run.fresh)}) RETURN n LIMIT 1`, {}, this.what);
    if (prev.length > 0) {
      // Stopped between publishing and finishing: the previous graph goes back.
      await this.putBack(this.run);
      await this.dropStaged();
      await this.client.run('WRITE', `DROP INDEX ${ident(this.run.index)} IF EXISTS`, {}, this.what);
      await file?.remove();
      return `put the previous ${this.what} back, replacing what the interrupted run had published`;
    }
    const staged = await this.client.run('READ', `MATCH (n:${ident(this.run.stage)}) RETURN n LIMIT 1`, {}, this.what);
    const saved = file ? await file.load<Neo4jCheckpoint>() : null;
    if (!saved && staged.length === 0 && fresh.length === 0) return `no checkpoint or staged nodes of this archive for ${this.what}: nothing to roll back`;
    await this.dropStaged();
    if (fresh.length > 0) await this.inBatches(`MATCH (n:${ident(this.run.fresh)})`, 'n', `REMOVE n:${ident(this.run.fresh)}`);
    await this.client.run('WRITE', `DROP INDEX ${ident(this.run.index)} IF EXISTS`, {}, this.what);
    await file?.remove();
    return `deleted the nodes staged under "${this.run.stage}" and the checkpoint; ${this.what} is as it was`;
  }
}
