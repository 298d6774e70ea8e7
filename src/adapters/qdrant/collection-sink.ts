/**
 * Loads one dataset into one Qdrant collection (the DatasetSink contract in src/core/adapter.ts).
 *
 * - open: decides the mode (plan.ts), checks an existing target's schema, creates the collection
 *   with HNSW building deferred (indexing_threshold 0) plus its payload indexes, and writes the
 *   first resume checkpoint (checkpoint.ts).
 * - write: validates every record of the batch first (nothing is sent for a bad batch), then
 *   upserts it in sub-batches, a few in flight, each followed by a read-back that compares the
 *   stored points with the archive records (verify.ts) and adds the archive records' digests.
 * - shardDone: waits for everything in flight and persists the checkpoint.
 * - commit: compares verified counts and digest with the trailer, checks the exact count,
 *   restores the indexing threshold, switches aliases (replace) and recreates the archived aliases.
 * - abort: drops what this run created and not yet switched (never a pre-existing collection).
 */
import type { CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, OpenResult, ShardRef, SinkContext } from '../../core/adapter.ts';
import { MemarcError, isMemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import { stringifyJson } from '../../format/json.ts';
import type { JsonObject, PointRecord, RecordByKind, RecordKind } from '../../format/records.ts';
import type { QdrantApi } from './api.ts';
import { CheckpointStore, type Checkpoint, type LoadMode } from './checkpoint.ts';
import { compareFingerprints, describeDifferences } from './compare.ts';
import { idKey, qdrantFromRecord, recordFromQdrant } from './convert.ts';
import { aliasesOf, createBody, indexingThresholdOf, payloadIndexes, vectorSpecs, type VectorSpec } from './fingerprint.ts';
import { describeMode, switchActions, targetState, versionedName, type TargetState } from './plan.ts';
import { TaskPool } from './pool.ts';
import { predictPayload, type NumberChange } from './payload-compare.ts';
import { validatePoint } from './validate.ts';
import { pointMismatch } from './verify.ts';

/** How many changed payload numbers a report names one by one. */
const CHANGES_LISTED = 10;

export type IfExists = 'fail' | 'append' | 'replace';

/**
 * How a load is proven: `readback` (default) retrieves every upserted batch and compares it with
 * the archive (spec/FORMAT.md, section 15.2), so the commit proves the live collection's content; `count` skips the
 * read-back and checks the exact count and the digest of what was sent (the archive's integrity,
 * not the server's), for operators who trade that proof for speed.
 */
export type VerifyMode = 'readback' | 'count';

export interface CollectionSinkOptions {
  api: QdrantApi;
  target: string;
  ifExists: IfExists;
  verify: VerifyMode;
  batchPoints: number;
  batchBytes: number;
  concurrency: number;
  log: (m: string) => void;
}

/** JSON bytes of a float32 sent as decimal text, at most ("-0.12345678901234567,"): base64 is 4/3 per byte. */
const JSON_CHARS_PER_B64_CHAR = 20 / (16 / 3);

function estimateBytes(r: PointRecord): number {
  let n = 64 + (r.payload ? stringifyJson(r.payload).length : 0);
  for (const v of Object.values(r.vectors)) {
    if ('dense' in v) n += v.dense.length * JSON_CHARS_PER_B64_CHAR;
    else if ('multi' in v) for (const m of v.multi) n += m.length * JSON_CHARS_PER_B64_CHAR + 2;
    else n += v.sparse.values.length * JSON_CHARS_PER_B64_CHAR + v.sparse.indices.length * 11;
  }
  return n;
}

export class CollectionSink implements DatasetSink {
  private readonly o: CollectionSinkOptions;
  private readonly api: QdrantApi;
  private readonly checkpoints: CheckpointStore;
  private ctx!: SinkContext;
  private descriptor!: DatasetDescriptor;
  private mode: LoadMode = 'create';
  /** The collection points are written into. */
  private load = '';
  private specs = new Map<string, VectorSpec>();
  /** Indexing threshold to restore after the load; null when nothing was deferred. */
  private threshold: number | null = null;
  private digest = new DatasetDigest();
  private verified = 0;
  private done: string[] = [];
  private readonly actions: string[] = [];
  private pool: TaskPool;
  /** This run created `load` (so rollback may drop it). */
  private created = false;
  private switched = false;
  private finished = false;
  private opened = false;
  /** Payload numbers the server stores as another number than the archive's (spec section 15.3). */
  private numberChanges = 0;
  private readonly changeList: string[] = [];

  constructor(o: CollectionSinkOptions) {
    this.o = o;
    this.api = o.api;
    this.checkpoints = new CheckpointStore(o.api);
    this.pool = new TaskPool(o.concurrency);
  }

  private get name(): string {
    return this.descriptor.name;
  }

  /** The run's log when the core gives one, else the sink's. */
  private log(msg: string): void {
    (this.ctx?.log ?? this.o.log)(msg);
  }

  private note(action: string): void {
    this.actions.push(action);
    this.log(`qdrant: ${this.ctx.dryRun ? '(dry run) ' : ''}${action}`);
  }

  async open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult> {
    this.descriptor = descriptor;
    // The archive's version decides its digest rule (spec/FORMAT.md 8).
    this.digest = new DatasetDigest({ ...(descriptor.formatMajor ? { major: descriptor.formatMajor } : {}) });
    this.ctx = ctx;
    const { api, target } = { api: this.api, target: this.o.target };
    const signal = ctx.signal;
    if (descriptor.kind !== 'qdrant.collection') {
      throw new MemarcError('USAGE', `dataset "${descriptor.name}" is a ${descriptor.kind}, which a Qdrant target cannot hold`, {
        hint: 'select only Qdrant collections for this target (--collections)',
        context: { dataset: descriptor.name },
      });
    }
    await api.serverVersion(signal); // reachability and credentials, before anything else
    const aliases = await api.aliases(signal);
    const state = targetState(target, !aliases.has(target) && (await api.collectionInfo(target, signal)) !== null, aliases);
    const cp = ctx.resume && !ctx.dryRun ? await this.usableCheckpoint(ctx.runId, target, signal) : null;
    const archiveFp = descriptor.fingerprint;

    if (cp) {
      this.mode = cp.mode;
      this.load = cp.load;
      this.done = [...cp.done];
      this.digest.addDigest(cp.digest);
      this.verified = cp.points;
      this.threshold = cp.indexingThreshold;
      const live = await api.fingerprint(cp.load, aliases, signal);
      const expect = this.threshold !== null ? { ...archiveFp, optimizer_config: { ...(archiveFp.optimizer_config as JsonObject | undefined), indexing_threshold: 0 } } : archiveFp;
      this.checkSchema(expect, live!);
      this.created = cp.mode !== 'append';
      this.specs = vectorSpecs(live!);
      this.note(`resume loading "${this.load}" (${describeMode(this.mode, target, this.load, state)}): ${cp.done.length} shards, ${cp.points} points already verified`);
      this.opened = true;
      return { done: [...this.done] };
    }

    if (state.kind !== 'none' && this.o.ifExists === 'fail') {
      const stale = !ctx.dryRun && (await this.checkpoints.load(ctx.runId, target, signal)) !== null;
      throw new MemarcError('TARGET_EXISTS', `${state.kind === 'alias' ? 'alias' : 'collection'} "${target}" already exists on ${api.http.safeUrl}`, {
        hint: stale
          ? 'an interrupted import of this same archive left it: add --resume to finish it, or --if-exists replace to start over'
          : 'use --if-exists append or --if-exists replace, or restore under another name with --rename',
        context: { dataset: this.name, target },
      });
    }

    if (state.kind !== 'none' && this.o.ifExists === 'append') {
      this.mode = 'append';
      this.load = state.kind === 'alias' ? state.collection : target;
      const live = await api.fingerprint(this.load, aliases, signal);
      this.checkSchema(archiveFp, live!);
      this.specs = vectorSpecs(live!);
      this.note(describeMode('append', target, this.load, state));
    } else {
      this.specs = vectorSpecs(archiveFp);
      if (state.kind === 'none') {
        this.mode = 'create';
        this.load = target;
      } else {
        this.mode = 'replace';
        const existing = new Set(await api.listCollections(signal));
        const serving = state.kind === 'alias' ? state.collection : target;
        this.load = versionedName(target, ctx.runId, (n) => n === serving || aliases.has(n) || [...aliases.values()].includes(n));
        if (existing.has(this.load) && !ctx.dryRun) {
          // A versioned collection of this run left by a killed replace that is not being resumed.
          this.log(`qdrant: dropping "${this.load}", left by an interrupted replace of this archive`);
          await api.dropCollection(this.load, signal);
        }
      }
      this.note(describeMode(this.mode, target, this.load, state));
      if (!ctx.dryRun) await this.createLoadCollection(signal);
      else this.describeCreate();
    }
    if (!ctx.dryRun) await this.saveCheckpoint(signal);
    this.opened = true;
    return { done: [] };
  }

  private async usableCheckpoint(runId: string, target: string, signal?: AbortSignal): Promise<Checkpoint | null> {
    const cp = await this.checkpoints.load(runId, target, signal);
    if (!cp) {
      this.log(`qdrant: no checkpoint of run ${runId.slice(0, 12)} for "${target}"; loading from the beginning`);
      return null;
    }
    if ((await this.api.collectionInfo(cp.load, signal)) === null) {
      this.log(`qdrant: the checkpoint of "${target}" names collection "${cp.load}", which no longer exists; loading from the beginning`);
      await this.checkpoints.remove(runId, target);
      return null;
    }
    return cp;
  }

  private checkSchema(archive: JsonObject, live: JsonObject): void {
    const diffs = compareFingerprints(archive, live);
    if (diffs.length === 0) return;
    throw new MemarcError('SCHEMA_MISMATCH', `collection "${this.load}" on ${this.api.http.safeUrl} does not have the schema of dataset "${this.name}":\n${describeDifferences(diffs)}`, {
      hint: 'restore into a new collection (--rename) or replace it (--if-exists replace)',
      context: { dataset: this.name, target: this.o.target, differences: diffs.map((d) => d.message) },
    });
  }

  private describeCreate(): void {
    const fp = this.descriptor.fingerprint;
    const idx = payloadIndexes(fp);
    this.note(`create collection "${this.load}" with vectors ${[...this.specs.keys()].map((k) => JSON.stringify(k)).join(', ') || '(none)'}, ${idx.length} payload index(es), HNSW deferred during the load`);
  }

  private async createLoadCollection(signal?: AbortSignal): Promise<void> {
    const fp = this.descriptor.fingerprint;
    const wanted = indexingThresholdOf(fp);
    this.describeCreate();
    this.created = true;
    try {
      await this.api.createCollection(this.load, createBody(fp, wanted !== undefined ? { indexingThreshold: 0 } : {}), signal);
      if (wanted !== undefined) {
        this.threshold = wanted;
      } else {
        // The archive names no threshold: keep the server's default, read back after creation.
        const info = await this.api.collectionInfo(this.load, signal);
        const live = (info?.config as JsonObject | undefined)?.optimizer_config as JsonObject | undefined;
        if (typeof live?.indexing_threshold === 'number') {
          this.threshold = live.indexing_threshold;
          await this.api.updateCollection(this.load, { optimizers_config: { indexing_threshold: 0 } }, signal);
        }
      }
      for (const { field_name, field_schema } of payloadIndexes(fp)) {
        try {
          await this.api.createIndex(this.load, field_name, field_schema, signal);
        } catch (err) {
          throw new MemarcError(isMemarcError(err) ? err.code : 'STORE_ERROR', `payload index "${field_name}" of dataset "${this.name}" could not be created on "${this.load}": ${(err as Error).message}`, {
            hint: 'the target server may be older than the source; nothing was kept',
            cause: err,
            context: { dataset: this.name, field: field_name },
          });
        }
      }
    } catch (err) {
      await this.api.dropCollection(this.load).catch(() => {});
      this.created = false;
      throw err;
    }
  }

  private async saveCheckpoint(signal?: AbortSignal): Promise<void> {
    await this.checkpoints.save({
      runId: this.ctx.runId,
      target: this.o.target,
      load: this.load,
      mode: this.mode,
      done: this.done,
      points: this.verified,
      digest: this.digest.hex(),
      indexingThreshold: this.threshold,
    }, signal);
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal): Promise<void> {
    if (kind !== 'point') {
      throw new MemarcError('MALFORMED_RECORD', `dataset "${this.name}" holds ${kind} records; a Qdrant collection holds points only`, { context: { dataset: this.name } });
    }
    const points = batch as PointRecord[];
    for (const r of points) validatePoint(r, this.specs, this.load, this.name);
    if (this.ctx.dryRun || this.o.verify === 'count') {
      // No read-back to see them: predict what the server will store (spec section 15.3).
      for (const r of points) {
        const p = predictPayload(r.payload);
        if (p.refused) {
          throw new MemarcError('SCHEMA_MISMATCH', `point ${String(r.id)} of dataset "${this.name}": payload ${p.refused}`, {
            hint: 'Qdrant cannot store this payload number; change it in the source, or leave the point out',
            context: { dataset: this.name, point: String(r.id) },
          });
        }
        this.recordChanges(r.id, p.changes);
      }
    }
    if (this.ctx.dryRun) {
      for (const r of points) this.digest.add('point', r);
      this.verified += points.length;
      return;
    }
    const sig = signal ?? this.ctx.signal;
    let chunk: PointRecord[] = [];
    let bytes = 0;
    for (const r of points) {
      const b = estimateBytes(r);
      if (chunk.length > 0 && (chunk.length >= this.o.batchPoints || bytes + b > this.o.batchBytes)) {
        const c = chunk;
        await this.pool.submit(() => this.upsertVerified(c, sig));
        chunk = [];
        bytes = 0;
      }
      chunk.push(r);
      bytes += b;
    }
    if (chunk.length > 0) await this.pool.submit(() => this.upsertVerified(chunk, sig));
  }

  private recordChanges(id: PointRecord['id'], changes: NumberChange[]): void {
    for (const c of changes) {
      this.numberChanges++;
      if (this.changeList.length < CHANGES_LISTED) this.changeList.push(`point ${String(id)} ${c.path}: ${c.archive} → ${c.stored}`);
    }
  }

  /** Upserts one sub-batch, reads it back, compares, and counts the verified archive records. */
  private async upsertVerified(records: PointRecord[], signal?: AbortSignal): Promise<void> {
    try {
      await this.api.upsert(this.load, records.map(qdrantFromRecord), signal);
    } catch (err) {
      throw await this.describeFailedUpsert(records, err);
    }
    if (this.o.verify === 'count') {
      for (const r of records) this.digest.add('point', r);
      this.verified += records.length;
      return;
    }
    const stored = await this.api.retrieve(this.load, records.map((r) => r.id), signal);
    const byId = new Map(stored.map((p) => [idKey(p.id), p]));
    const changes: Array<[PointRecord['id'], NumberChange[]]> = [];
    for (const r of records) {
      const live = byId.get(idKey(r.id));
      const changed: NumberChange[] = [];
      const problem = live === undefined ? 'is missing after the upsert' : pointMismatch(r, recordFromQdrant(live), this.specs, changed);
      if (changed.length > 0) changes.push([r.id, changed]);
      if (problem !== null) {
        throw new MemarcError('VERIFY_FAILED', `point ${String(r.id)} of dataset "${this.name}" in collection "${this.load}" ${live === undefined ? problem : `differs from the archive: ${problem}`}`, {
          hint: 'the server changed the data on the way in; nothing was switched (the rule: spec/FORMAT.md, section 15.2)',
          context: { dataset: this.name, point: String(r.id) },
        });
      }
    }
    for (const [id, changed] of changes) this.recordChanges(id, changed);
    for (const r of records) this.digest.add('point', r);
    this.verified += records.length;
  }

  /**
   * A failed upsert may still have written part of its batch (Qdrant does, and which points is not
   * predictable). A collection this run created is dropped on abort; in append mode the points are
   * looked up so that the error says exactly which of the batch are now on the server.
   */
  private async describeFailedUpsert(records: PointRecord[], err: unknown): Promise<unknown> {
    if (this.mode !== 'append' || !isMemarcError(err) || err.code === 'CONNECTION_FAILED') return err;
    let present: string[];
    try {
      present = (await this.api.retrieve(this.load, records.map((r) => r.id))).map((p) => String(p.id));
    } catch {
      return err;
    }
    const listed = present.slice(0, CHANGES_LISTED).join(', ') + (present.length > CHANGES_LISTED ? `, … (${present.length - CHANGES_LISTED} more)` : '');
    return new MemarcError(err.code, `${err.message}; of this batch of ${records.length} points, ${present.length} ${present.length === 1 ? 'is' : 'are'} on the server now (written by the failed request, or there before)${present.length ? `: ${listed}` : ''}`, {
      hint: err.hint,
      cause: err,
      context: { ...err.context, dataset: this.name, presentAfterFailure: present },
    });
  }

  async shardDone(shard: ShardRef): Promise<void> {
    await this.pool.drain();
    this.done.push(shard.entry);
    if (!this.ctx.dryRun) await this.saveCheckpoint(this.ctx.signal);
  }

  async commit(expected: DatasetTotals): Promise<CommitReport> {
    const signal = this.ctx.signal;
    await this.pool.drain();
    const want = expected.records.point ?? 0;
    try {
      if (this.verified !== want) {
        throw this.verifyError(`${this.verified} points were written and verified, the archive's trailer says ${want}`);
      }
      if (this.digest.hex() !== expected.digest) {
        throw this.verifyError(`the content digest of the verified points is ${this.digest.hex()}, the archive's trailer says ${expected.digest}`);
      }
      if (this.ctx.dryRun) {
        this.noteChanges(true);
        this.note(`${want} points would be written to "${this.load}"; records, counts and digest checked`);
        return this.report(want);
      }
      const count = await this.api.count(this.load, signal);
      if (this.mode === 'append' ? count < want : count !== want) {
        throw this.verifyError(`collection "${this.load}" holds ${count} points after the load, expected ${this.mode === 'append' ? 'at least ' : ''}${want}`);
      }
      await this.restoreThreshold(signal);
      if (this.mode === 'replace') await this.switchTarget(signal);
      await this.recreateAliases(signal);
    } catch (err) {
      if (isMemarcError(err, 'VERIFY_FAILED')) await this.abort(err);
      else await this.restoreThreshold().catch(() => {});
      throw err;
    }
    await this.checkpoints.remove(this.ctx.runId, this.o.target);
    this.finished = true;
    this.noteChanges(this.o.verify === 'count');
    this.note(`loaded and verified ${want} points into "${this.load}"`);
    return this.report(want);
  }

  /** Says how many payload numbers the server stores as another number, and names up to ten. */
  private noteChanges(predicted: boolean): void {
    if (this.numberChanges === 0) return;
    const more = this.numberChanges > this.changeList.length ? `; … and ${this.numberChanges - this.changeList.length} more` : '';
    this.note(`${this.numberChanges} payload number(s) ${predicted ? 'will be' : 'were'} stored by the server as another number (its JSON parser is not correctly rounded and keeps no integer beyond 64 bits, spec/FORMAT.md section 15.3): ${this.changeList.join('; ')}${more}`);
  }

  private report(points: number): CommitReport {
    return { dataset: this.name, target: this.o.target, records: { point: points }, digest: this.digest.hex(), actions: [...this.actions] };
  }

  private verifyError(what: string): MemarcError {
    return new MemarcError('VERIFY_FAILED', `dataset "${this.name}": ${what}`, {
      hint: 'the target did not end up with the archive\'s content; the load was rolled back, run it again',
      context: { dataset: this.name, target: this.o.target },
    });
  }

  private async restoreThreshold(signal?: AbortSignal): Promise<void> {
    if (this.threshold === null || !this.created) return;
    await this.api.updateCollection(this.load, { optimizers_config: { indexing_threshold: this.threshold } }, signal);
    this.note(`restored indexing_threshold ${this.threshold} on "${this.load}"`);
    this.threshold = null;
  }

  private async switchTarget(signal?: AbortSignal): Promise<void> {
    const target = this.o.target;
    const aliases = await this.api.aliases(signal);
    const state: TargetState = targetState(target, !aliases.has(target) && (await this.api.collectionInfo(target, signal)) !== null, aliases);
    if (state.kind === 'collection') {
      await this.api.dropCollection(target, signal);
      this.switched = true;
      try {
        await this.api.updateAliases(switchActions(target, this.load, { kind: 'none' }), `create alias "${target}" for collection "${this.load}"`);
      } catch (err) {
        throw new MemarcError('STORE_ERROR', `the verified data of "${this.name}" is in collection "${this.load}", but alias "${target}" could not be created: ${(err as Error).message}`, {
          hint: `finish by hand: POST /collections/aliases {"actions":[{"create_alias":{"alias_name":"${target}","collection_name":"${this.load}"}}]}`,
          cause: err,
          context: { dataset: this.name, target },
        });
      }
      this.note(`dropped collection "${target}" and made "${target}" an alias of "${this.load}"`);
      return;
    }
    await this.api.updateAliases(switchActions(target, this.load, state), `switch alias "${target}" to collection "${this.load}"`, signal);
    this.switched = true;
    this.note(`switched alias "${target}" to "${this.load}"`);
    if (state.kind === 'alias' && state.collection !== this.load) {
      const after = await this.api.aliases(signal);
      if ([...after.values()].includes(state.collection)) {
        this.note(`kept the previous collection "${state.collection}": other aliases still use it`);
      } else {
        await this.api.dropCollection(state.collection, signal);
        this.note(`dropped the previous collection "${state.collection}"`);
      }
    }
  }

  /** The archived aliases of the collection, where the name is free; a taken name is reported, not stolen. */
  private async recreateAliases(signal?: AbortSignal): Promise<void> {
    const wanted = aliasesOf(this.descriptor.fingerprint).filter((a) => a !== this.o.target);
    if (wanted.length === 0) return;
    const aliases = await this.api.aliases(signal);
    const collections = new Set(await this.api.listCollections(signal));
    const actions: JsonObject[] = [];
    for (const a of wanted) {
      const at = aliases.get(a);
      if (at === this.load) continue;
      if (at !== undefined || collections.has(a)) {
        this.note(`alias "${a}" not recreated: the name is already ${at !== undefined ? `an alias of "${at}"` : 'a collection'}`);
        continue;
      }
      actions.push({ create_alias: { alias_name: a, collection_name: this.load } });
    }
    if (actions.length === 0) return;
    await this.api.updateAliases(actions, `recreate aliases of collection "${this.load}"`, signal);
    this.note(`recreated alias(es) ${actions.map((x) => JSON.stringify((x.create_alias as JsonObject).alias_name)).join(', ')} for "${this.load}"`);
  }

  async abort(err: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.pool.settle();
      if (!this.opened && !this.created) return;
      if (this.ctx.dryRun) return;
      if (this.created && !this.switched) {
        await this.api.dropCollection(this.load);
        this.log(`qdrant: rolled back: dropped collection "${this.load}" (${(err as Error | undefined)?.message ?? 'aborted'})`);
      } else if (this.mode === 'append') {
        this.log(`qdrant: append to "${this.load}" stopped; ${this.verified} points were written and stay (upserts are not transactional)`);
      }
      await this.checkpoints.remove(this.ctx.runId, this.o.target);
    } catch (e) {
      this.log(`qdrant: rollback of "${this.load}" incomplete: ${(e as Error).message}`);
    }
  }
}
