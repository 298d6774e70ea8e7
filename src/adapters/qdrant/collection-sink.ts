/**
 * Loads one dataset into one Qdrant collection: the primitives of src/core/adapter.ts, the policy
 * being src/core/restore.ts's.
 *
 * - open: decides the mode (plan.ts), checks an existing target's schema, creates the collection
 *   with HNSW building deferred (indexing_threshold 0) plus its payload indexes, and writes the
 *   first resume checkpoint (a local file, src/core/checkpoint.ts; create and replace only).
 * - write: validates every record of the batch first (nothing is sent for a bad batch); in append
 *   mode refuses ids the collection already holds; then upserts in sub-batches, gathered across
 *   writes (the reader's batches are smaller than one: `writeBytes`), a few in flight, each
 *   followed by a read-back that compares the stored points with the archive records (verify.ts)
 *   and adds the archive records' digests. Upserts by id are idempotent, so a resumed run replays
 *   the unfinished shard.
 * - shardDone: sends what is gathered, waits for everything in flight and persists the checkpoint.
 * - verify: compares verified counts and digest with the trailer and checks the exact count.
 * - publish: restores the indexing threshold, switches aliases (replace, keeping the previous
 *   collection until finish) and recreates the archived aliases; undo switches back.
 * - abort: keeps (interrupt) or drops what this run created and did not publish, never a
 *   pre-existing collection; in append mode deletes exactly the points it added.
 */
import type { AbortOutcome, CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, IfExists, OpenResult, PublishResult, ShardRef, SinkContext } from '../../core/adapter.ts';
import { scratchCheckpoints, type CheckpointFile } from '../../core/checkpoint.ts';
import { MemarcError, isMemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import { parseJsonLexemes, stringifyJson } from '../../format/json.ts';
import type { JsonObject, PointRecord, RecordByKind, RecordKind } from '../../format/records.ts';
import type { QdrantApi } from './api.ts';
import { type Checkpoint, type LoadMode } from './checkpoint.ts';
import { compareFingerprints, describeDifferences } from './compare.ts';
import { densePoints, densePointText, idKey, isDensePoint, pointText, type DensePoint, type QdrantId, type QdrantPoint } from './convert.ts';
import { F32_TEXT_MAX } from './f32-text.ts';
import { aliasesOf, createBody, indexingThresholdOf, payloadIndexes, vectorSpecs, type VectorSpec } from './fingerprint.ts';
import { describeMode, switchActions, targetState, versionedName, type TargetState } from './plan.ts';
import { TaskPool } from './pool.ts';
import { predictPayload, type NumberChange } from './payload-compare.ts';
import { validatePoint } from './validate.ts';
import { storedPointMismatch } from './verify.ts';

/** How many changed payload numbers a report names one by one. */
const CHANGES_LISTED = 10;

export type { IfExists };

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

/** JSON bytes of a float32 sent as decimal text, at most (F32_TEXT_MAX, "-1.23456789e-45,"): base64 is 4/3 per byte. */
const JSON_CHARS_PER_B64_CHAR = F32_TEXT_MAX / (16 / 3);

/** DatasetSink.writeBytes of a collection sink. */
const WRITE_BYTES = 32 * 1024;

/** A point between its upsert and its read-back: its archive record, or that record's DensePoint. */
type Held = PointRecord | DensePoint;

/**
 * A sub-batch as it is held while in flight: as DensePoints (convert.ts), their vectors decoded
 * once and kept off V8's heap, when their hashes came with them (the digest needs no record then)
 * and each has only the unnamed dense vector; else the records themselves.
 */
function held(records: PointRecord[], hashes: Uint8Array | null): Held[] {
  return (hashes !== null && densePoints(records)) || records;
}

/** A stored point's comparison with its archive record (storedPointMismatch), or what it threw. */
type Compared = typeof MATCHED | { problem: string | null; changed: NumberChange[]; error?: unknown };
/** A stored point equal to its record, with no payload number changed. */
const MATCHED = 0;

function compared(r: Held, live: QdrantPoint, specs: Map<string, VectorSpec>): Compared {
  try {
    const changed: NumberChange[] = [];
    const problem = storedPointMismatch(r, live, specs, changed);
    return problem === null && changed.length === 0 ? MATCHED : { problem, changed };
  } catch (error) {
    // A vector the server should not have sent (convert.ts): thrown in the records' order, below.
    return { problem: null, changed: [], error };
  }
}

const heldText = (p: Held) => (isDensePoint(p) ? densePointText(p) : pointText(p));

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
  private checkpoint: CheckpointFile | null = null;
  /**
   * Append and merge: the undo journal (the checkpoint's, or a scratch file when the run keeps no
   * checkpoint). Before each batch is sent it gets one line: the ids an append adds (each checked
   * absent), or for a merge the points it is about to overwrite, as the server returned them, and
   * the ids it adds. Undo replays it: exact, since nothing else wrote those ids in between.
   */
  private journal: CheckpointFile | null = null;
  private scratch: { dispose(): Promise<void> } | null = null;
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
  /** Replace: the collection the target alias named before the switch (dropped by finish, restored by undo). */
  private previous: string | null = null;
  /** Append and merge: points journaled (and so possibly written) by this run. */
  private touched = 0;
  /** Append: the collection's exact count before the run. */
  private countBefore = 0;
  private finished = false;
  private opened = false;
  /** Payload numbers the server stores as another number than the archive's (spec section 15.3). */
  private numberChanges = 0;
  private readonly changeList: string[] = [];
  /**
   * A thirty-second of the reader's default batch (DatasetSink.writeBytes): about 7 points of 768
   * dimensions, gathered below into sub-batches. The reader's parsed batch then dies in V8's young
   * generation: a verified import of 100k such points promoted 393–400 MiB at 256 KiB, 167 at 64,
   * 143 at 32, 137 at 16 and 140 at 4 (bench/RESULTS.md, "Session 14").
   */
  readonly writeBytes = WRITE_BYTES;
  /** Points written but not yet sent: gathered across writes into one sub-batch (`flush`). */
  private pending: Held[] = [];
  private pendingBytes = 0;
  /** The reader's hashes of the pending points (32 bytes a point), or null when none came. */
  private pendingHashes: Uint8Array | null = null;

  constructor(o: CollectionSinkOptions) {
    this.o = o;
    this.api = o.api;
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

  /** Refuses what the run would refuse anyway, before any dataset of the run writes anything. */
  async inspect(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    this.descriptor = descriptor;
    // The archive's version decides its digest rule (spec/FORMAT.md 8).
    this.digest = new DatasetDigest({ ...(descriptor.formatMajor ? { major: descriptor.formatMajor } : {}) });
    this.ctx = ctx;
    this.refuseKind(descriptor);
    const aliases = await this.api.aliases(ctx.signal);
    const state = targetState(this.o.target, !aliases.has(this.o.target) && (await this.api.collectionInfo(this.o.target, ctx.signal)) !== null, aliases);
    const file = ctx.dryRun ? null : ctx.checkpoints?.for({ store: 'qdrant', url: this.api.http.safeUrl, target: this.o.target }) ?? null;
    const saved = file ? await file.load<Checkpoint>() : null;
    if (state.kind !== 'none' && this.o.ifExists === 'fail' && !(ctx.resume && saved)) this.refuseExisting(state, saved !== null);
    if (state.kind !== 'none' && (this.o.ifExists === 'append' || this.o.ifExists === 'merge')) {
      const load = state.kind === 'alias' ? state.collection : this.o.target;
      this.load = load;
      this.checkSchema(descriptor.fingerprint, (await this.api.fingerprint(load, aliases, ctx.signal))!);
    }
  }

  private refuseKind(descriptor: DatasetDescriptor): void {
    if (descriptor.kind !== 'qdrant.collection') {
      throw new MemarcError('USAGE', `dataset "${descriptor.name}" is a ${descriptor.kind}, which a Qdrant target cannot hold`, {
        hint: 'select only Qdrant collections for this target (--collections)',
        context: { dataset: descriptor.name },
      });
    }
  }

  private refuseExisting(state: TargetState, stale: boolean): never {
    throw new MemarcError('TARGET_EXISTS', `${state.kind === 'alias' ? 'alias' : 'collection'} "${this.o.target}" already exists on ${this.api.http.safeUrl}`, {
      hint: stale
        ? 'an interrupted import of this same archive left it: run the same command with --resume to finish it, or with --rollback to drop what it left'
        : 'use --if-exists append, merge or replace, or restore under another name with --rename',
      context: { dataset: this.name, target: this.o.target },
    });
  }

  async open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult> {
    this.descriptor = descriptor;
    // The archive's version decides its digest rule (spec/FORMAT.md 8).
    this.digest = new DatasetDigest({ ...(descriptor.formatMajor ? { major: descriptor.formatMajor } : {}) });
    this.ctx = ctx;
    const { api, target } = { api: this.api, target: this.o.target };
    const signal = ctx.signal;
    this.refuseKind(descriptor);
    await api.serverVersion(signal); // reachability and credentials, before anything else
    const aliases = await api.aliases(signal);
    const state = targetState(target, !aliases.has(target) && (await api.collectionInfo(target, signal)) !== null, aliases);
    this.checkpoint = ctx.checkpoints?.for({ store: 'qdrant', url: api.http.safeUrl, target }) ?? null;
    const cp = ctx.resume && !ctx.dryRun ? await this.usableCheckpoint(target, signal) : null;
    const archiveFp = descriptor.fingerprint;

    if (cp && (cp.mode === 'append' || cp.mode === 'merge')) {
      throw new MemarcError('USAGE', `collection "${target}": an interrupted ${cp.mode} of this archive left an undo journal; an ${cp.mode} into a live collection cannot be resumed`, {
        hint: 'run the same command with --rollback to undo what it wrote, then again without --resume',
      });
    }
    if (cp) {
      this.mode = cp.mode;
      this.replacesCollection = state.kind === 'collection';
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

    if (state.kind !== 'none' && this.o.ifExists === 'fail') this.refuseExisting(state, !ctx.dryRun && (await this.checkpoint?.load<Checkpoint>()) != null);

    if (state.kind !== 'none' && (this.o.ifExists === 'append' || this.o.ifExists === 'merge')) {
      if (ctx.resume) {
        throw new MemarcError('USAGE', `collection "${target}": --resume is not possible with --if-exists ${this.o.ifExists}, which writes into the live collection`, {
          hint: 'an interrupted append or merge was rolled back or reported when it stopped; run it again without --resume',
        });
      }
      this.mode = this.o.ifExists;
      this.load = state.kind === 'alias' ? state.collection : target;
      const live = await api.fingerprint(this.load, aliases, signal);
      this.checkSchema(archiveFp, live!);
      this.specs = vectorSpecs(live!);
      if (!ctx.dryRun) {
        this.countBefore = await api.count(this.load, signal);
        if (this.checkpoint) {
          const stale = await this.checkpoint.load<Checkpoint>();
          if (stale && (stale.mode === 'append' || stale.mode === 'merge')) {
            throw new MemarcError('USAGE', `collection "${target}": an interrupted ${stale.mode} of this archive left an undo journal (${this.checkpoint.path})`, {
              hint: 'run the same command with --rollback first: it undoes exactly what that run wrote',
            });
          }
          await this.checkpoint.remove();
          this.journal = this.checkpoint;
        } else {
          const scratch = await scratchCheckpoints(ctx.runId);
          this.scratch = scratch;
          this.journal = scratch.for({ store: 'qdrant', url: api.http.safeUrl, target });
        }
      }
      this.note(describeMode(this.mode, target, this.load, state));
    } else {
      this.specs = vectorSpecs(archiveFp);
      if (state.kind === 'none') {
        this.mode = 'create';
        this.load = target;
      } else {
        this.mode = 'replace';
        this.replacesCollection = state.kind === 'collection';
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
    if (!ctx.dryRun) await this.saveCheckpoint();
    this.opened = true;
    return { done: [] };
  }

  private async usableCheckpoint(target: string, signal?: AbortSignal): Promise<Checkpoint | null> {
    const cp = await this.checkpoint?.load<Checkpoint>();
    if (!cp) {
      this.log(`qdrant: no checkpoint of run ${this.ctx.runId.slice(0, 12)} for "${target}"; loading from the beginning`);
      return null;
    }
    if ((await this.api.collectionInfo(cp.load, signal)) === null) {
      this.log(`qdrant: the checkpoint of "${target}" names collection "${cp.load}", which no longer exists; loading from the beginning`);
      await this.checkpoint?.remove();
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

  private async saveCheckpoint(): Promise<void> {
    if (!this.checkpoint) return;
    await this.checkpoint.save({
      runId: this.ctx.runId,
      target: this.o.target,
      load: this.load,
      mode: this.mode,
      done: this.done,
      points: this.verified,
      digest: this.digest.hex(),
      indexingThreshold: this.threshold,
      ...(this.previous !== null ? { previous: this.previous } : {}),
    } satisfies Checkpoint);
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal, hashes?: Uint8Array): Promise<void> {
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
    // The reader's hash of each record, when it gave them (same pass): added, not computed again.
    const given = hashes !== undefined && hashes.length === points.length * 32 ? hashes : null;
    if (this.ctx.dryRun) {
      this.addVerified(points, given);
      return;
    }
    // Gathered across writes into sub-batches of batchPoints / batchBytes (`writeBytes` asks the
    // reader for batches smaller than one); a write's points held as its DensePoints, if it can.
    const sig = signal ?? this.ctx.signal;
    if (this.pending.length > 0 && (given !== null) !== (this.pendingHashes !== null)) await this.flush(sig);
    const kept = held(points, given);
    for (let i = 0; i < points.length; i++) {
      const b = estimateBytes(points[i]!);
      if (this.pending.length > 0 && this.pendingBytes + b > this.o.batchBytes) await this.flush(sig);
      if (given !== null) {
        this.pendingHashes ??= new Uint8Array(32 * this.o.batchPoints);
        this.pendingHashes.set(given.subarray(32 * i, 32 * (i + 1)), 32 * this.pending.length);
      }
      this.pending.push(kept[i]!);
      this.pendingBytes += b;
      if (this.pending.length >= this.o.batchPoints) await this.flush(sig);
    }
  }

  /** Sends the points gathered so far as one sub-batch (waits for a free slot, not for it). */
  private async flush(signal: AbortSignal | undefined): Promise<void> {
    if (this.pending.length === 0) return;
    const c = this.pending;
    const h = this.pendingHashes?.subarray(0, 32 * c.length) ?? null;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingHashes = null;
    await this.pool.submit(() => this.upsertVerified(c, signal, h));
  }

  /**
   * Counts verified records into the digest: by the hashes the reader gave (`hashes`, 32 bytes a
   * record, in order), else by hashing each one.
   */
  private addVerified(records: readonly Held[], hashes: Uint8Array | null): void {
    if (hashes) for (let i = 0; i < records.length; i++) this.digest.addRecordHash('point', hashes.subarray(i * 32, (i + 1) * 32));
    // Records are held as DensePoints only when their hashes came with them (see `held`).
    else for (const r of records) this.digest.add('point', r as PointRecord);
    this.verified += records.length;
  }

  private recordChanges(id: PointRecord['id'], changes: NumberChange[]): void {
    for (const c of changes) {
      this.numberChanges++;
      if (this.changeList.length < CHANGES_LISTED) this.changeList.push(`point ${String(id)} ${c.path}: ${c.archive} → ${c.stored}`);
    }
  }

  /** Upserts one sub-batch, reads it back, compares, and counts the verified archive records. */
  private async upsertVerified(records: Held[], signal: AbortSignal | undefined, hashes: Uint8Array | null): Promise<void> {
    if (this.mode === 'append') {
      const present = await this.api.existing(this.load, records.map((r) => r.id), signal);
      if (present.length > 0) {
        const listed = present.slice(0, CHANGES_LISTED).map(String).join(', ') + (present.length > CHANGES_LISTED ? `, … (${present.length - CHANGES_LISTED} more in this batch)` : '');
        throw new MemarcError('TARGET_EXISTS', `--if-exists append: collection "${this.load}" already holds ${present.length} point id(s) of dataset "${this.name}": ${listed}`, {
          hint: 'append never overwrites: use --if-exists merge to overwrite those points, --if-exists replace to replace the collection, or --rename',
          context: { dataset: this.name, target: this.o.target, ids: present.slice(0, CHANGES_LISTED).map(String) },
        });
      }
      await this.journal!.appendText([stringifyJson({ added: records.map((r) => r.id) })]);
      this.touched += records.length;
    } else if (this.mode === 'merge') {
      const prev = await this.api.retrieve(this.load, records.map((r) => r.id), signal);
      const had = new Set(prev.map((p) => idKey(p.id)));
      await this.journal!.appendText([stringifyJson({ prev, added: records.filter((r) => !had.has(idKey(r.id))).map((r) => r.id) })]);
      this.touched += records.length;
    }
    try {
      await this.api.upsert(this.load, records, signal, heldText);
    } catch (err) {
      throw await this.describeFailedUpsert(records, err);
    }
    if (this.o.verify === 'count') {
      this.addVerified(records, hashes);
      return;
    }
    // Each stored point is compared as it arrives, and only the outcome kept (api.ts
    // retrieveEach); a point answered twice counts as its last answer, one not asked for not at all,
    // and records of one id (a format 1 archive may repeat one) are each compared with it.
    const index = new Map<string, number>();
    const sameId = new Int32Array(records.length).fill(-1);
    for (let i = 0; i < records.length; i++) {
      const k = idKey(records[i]!.id);
      const j = index.get(k);
      if (j !== undefined) sameId[i] = j;
      index.set(k, i);
    }
    const outcomes: Array<Compared | undefined> = new Array(records.length);
    await this.api.retrieveEach(this.load, records.map((r) => r.id), (live) => {
      for (let i = index.get(idKey(live.id)) ?? -1; i >= 0; i = sameId[i]!) outcomes[i] = compared(records[i]!, live, this.specs);
    }, signal);
    const changes: Array<[PointRecord['id'], NumberChange[]]> = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const c = outcomes[i];
      if (c !== undefined && c !== MATCHED && c.error !== undefined) throw c.error;
      const changed = c === undefined || c === MATCHED ? [] : c.changed;
      const problem = c === undefined ? 'is missing after the upsert' : c === MATCHED ? null : c.problem;
      if (changed.length > 0) changes.push([r.id, changed]);
      if (problem !== null) {
        throw new MemarcError('VERIFY_FAILED', `point ${String(r.id)} of dataset "${this.name}" in collection "${this.load}" ${c === undefined ? problem : `differs from the archive: ${problem}`}`, {
          hint: 'the server changed the data on the way in; nothing was switched (the rule: spec/FORMAT.md, section 15.2)',
          context: { dataset: this.name, point: String(r.id) },
        });
      }
    }
    for (const [id, changed] of changes) this.recordChanges(id, changed);
    this.addVerified(records, hashes);
  }

  /**
   * A failed upsert may still have written part of its batch (Qdrant does, and which points is not
   * predictable). A collection this run created is dropped on abort; in append mode the points are
   * looked up so that the error says exactly which of the batch are now on the server.
   */
  private async describeFailedUpsert(records: Held[], err: unknown): Promise<unknown> {
    if ((this.mode !== 'append' && this.mode !== 'merge') || !isMemarcError(err) || err.code === 'CONNECTION_FAILED') return err;
    let present: string[];
    try {
      present = (await this.api.retrieve(this.load, records.map((r) => r.id))).map((p) => String(p.id));
    } catch {
      return err;
    }
    const listed = present.slice(0, CHANGES_LISTED).join(', ') + (present.length > CHANGES_LISTED ? `, … (${present.length - CHANGES_LISTED} more)` : '');
    return new MemarcError(err.code, `${err.message}; of this batch of ${records.length} points, ${present.length} ${present.length === 1 ? 'was' : 'were'} on the server after the failed request (written by it, or there before)${present.length ? `: ${listed}` : ''}`, {
      hint: err.hint,
      cause: err,
      context: { ...err.context, dataset: this.name, presentAfterFailure: present },
    });
  }

  async shardDone(shard: ShardRef): Promise<void> {
    await this.flush(this.ctx.signal);
    await this.pool.drain();
    this.done.push(shard.entry);
    if (!this.ctx.dryRun) await this.saveCheckpoint();
  }

  async verify(expected: DatasetTotals): Promise<CommitReport> {
    const signal = this.ctx.signal;
    await this.flush(signal);
    await this.pool.drain();
    const want = expected.records.point ?? 0;
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
    const expect = this.mode === 'append' ? this.countBefore + want : want;
    if (this.mode === 'merge' ? count < want : count !== expect) {
      throw this.verifyError(`collection "${this.load}" holds ${count} points after the load, expected ${this.mode === 'merge' ? 'at least ' : ''}${expect}${this.mode === 'append' ? ` (${this.countBefore} before and ${want} appended)` : ''}`);
    }
    this.noteChanges(this.o.verify === 'count');
    this.note(`loaded and verified ${want} points into "${this.load}"`);
    return this.report(want);
  }

  undoable(): boolean {
    // Replacing a real collection drops it: Qdrant cannot rename a collection to keep it aside.
    return !(this.mode === 'replace' && this.replacesCollection);
  }

  /** Replace: the target is a real collection (not an alias), known after open. */
  private replacesCollection = false;

  async publish(): Promise<PublishResult> {
    const signal = this.ctx.signal;
    const before = this.actions.length;
    if (this.ctx.dryRun) return { actions: [], undoable: true };
    await this.restoreThreshold(signal);
    if (this.mode === 'replace') await this.switchTarget(signal);
    await this.recreateAliases(signal);
    return { actions: this.actions.slice(before), undoable: this.undoable() };
  }

  async undo(): Promise<string> {
    switch (this.mode) {
      case 'create':
        await this.api.dropCollection(this.load);
        return `dropped the new collection "${this.load}"`;
      case 'append':
      case 'merge':
        return this.undoJournal();
      case 'replace':
        if (this.previous !== null) {
          await this.api.updateAliases(switchActions(this.o.target, this.previous, { kind: 'alias', collection: this.load }), `switch alias "${this.o.target}" back to "${this.previous}"`);
          await this.api.dropCollection(this.load);
          return `switched alias "${this.o.target}" back to "${this.previous}" and dropped "${this.load}"`;
        }
        throw new Error(`collection "${this.o.target}" was replaced by "${this.load}" (the previous collection is dropped by a replace of a collection that is not an alias)`);
    }
  }

  async finish(): Promise<string[]> {
    if (this.ctx.dryRun) return [];
    const before = this.actions.length;
    this.finished = true;
    if (this.previous !== null) {
      const after = await this.api.aliases();
      if ([...after.values()].includes(this.previous)) {
        this.note(`kept the previous collection "${this.previous}": other aliases still use it`);
      } else {
        await this.api.dropCollection(this.previous);
        this.note(`dropped the previous collection "${this.previous}"`);
      }
    }
    await this.checkpoint?.remove();
    await this.dropJournal();
    return this.actions.slice(before);
  }

  /**
   * Replays the undo journal: deletes the ids the run added, writes back the points it
   * overwrote. An id met again later in the journal (a batch sent twice) keeps its first record,
   * the state before the run.
   */
  private async undoJournal(): Promise<string> {
    const seen = new Set<string>();
    let deleted = 0;
    let restored = 0;
    for await (const line of this.journal!.journal<{ added?: QdrantId[]; prev?: QdrantPoint[] }>(parseJsonLexemes)) {
      const put = (line.prev ?? []).filter((p) => !seen.has(idKey(p.id)));
      for (const p of put) seen.add(idKey(p.id));
      const del = (line.added ?? []).filter((id) => !seen.has(idKey(id)));
      for (const id of del) seen.add(idKey(id));
      if (put.length) await this.api.upsert(this.load, put);
      if (del.length) await this.api.deletePoints(this.load, del);
      restored += put.length;
      deleted += del.length;
    }
    await this.dropJournal();
    return `deleted the ${deleted} point(s) this run added to "${this.load}"${this.mode === 'merge' || restored ? ` and wrote back the ${restored} it overwrote` : ''}; it holds what it held before`;
  }

  private async dropJournal(): Promise<void> {
    await this.journal?.remove();
    await this.scratch?.dispose();
    this.journal = null;
    this.scratch = null;
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
      this.previous = state.collection;
      // A run killed before finish() can still be rolled back: --rollback switches back to it.
      await this.saveCheckpoint();
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

  async abort(err: unknown, keep = false): Promise<AbortOutcome> {
    const why = (err as Error | undefined)?.message ?? 'aborted';
    if (this.finished) return { kept: false, message: `"${this.o.target}": nothing to roll back` };
    this.finished = true;
    this.pending = [];
    try {
      await this.pool.settle();
      if (!this.opened && !this.created) return { kept: false, message: `"${this.o.target}": nothing was written` };
      if (this.ctx.dryRun) return { kept: false, message: `"${this.o.target}": dry run, nothing was written` };
      if (this.mode === 'append' || this.mode === 'merge') {
        return { kept: false, message: `rolled back the ${this.mode}: ${await this.undoJournal()}` };
      }
      if (this.created && !this.switched) {
        if (keep && this.checkpoint) {
          // The checkpoint of the last finished shard stays as it is: the counts and digest of
          // this run include points of the unfinished shard, which a resume writes again.
          return { kept: true, message: `kept collection "${this.load}" (${this.verified} points verified so far${this.mode === 'create' ? `; "${this.o.target}" holds a partial load until the run is resumed or rolled back` : `; "${this.o.target}" is unchanged`}) and its checkpoint ${this.checkpoint.path}` };
        }
        await this.api.dropCollection(this.load);
        await this.checkpoint?.remove();
        return { kept: false, message: `dropped collection "${this.load}" (${why}); ${this.mode === 'replace' ? `"${this.o.target}" is unchanged` : `"${this.o.target}" does not exist`}` };
      }
      return { kept: false, message: `"${this.o.target}": nothing to roll back` };
    } catch (e) {
      return { kept: false, message: `rollback of "${this.load}" incomplete: ${(e as Error).message}; drop it by hand if it remains` };
    }
  }

  async discard(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<string> {
    const target = this.o.target;
    const file = ctx.checkpoints?.for({ store: 'qdrant', url: this.api.http.safeUrl, target }) ?? null;
    const cp = file ? await file.load<Checkpoint>() : null;
    if (!cp) return `no checkpoint of this archive for collection "${target}" (dataset "${descriptor.name}"): nothing to roll back`;
    if (cp.mode === 'append' || cp.mode === 'merge') {
      this.mode = cp.mode;
      this.load = cp.load;
      this.journal = file;
      return `undid the interrupted ${cp.mode}: ${await this.undoJournal()}`;
    }
    const aliases = await this.api.aliases(ctx.signal);
    if (cp.mode === 'replace' && cp.previous && aliases.get(target) === cp.load) {
      await this.api.updateAliases(switchActions(target, cp.previous, { kind: 'alias', collection: cp.load }), `switch alias "${target}" back to "${cp.previous}"`, ctx.signal);
      await this.api.dropCollection(cp.load, ctx.signal);
      await file!.remove();
      return `switched alias "${target}" back to "${cp.previous}" and dropped "${cp.load}", published by the interrupted run; "${target}" is as it was`;
    }
    if ([...aliases.values()].includes(cp.load) && cp.mode === 'replace') {
      await file!.remove();
      return `collection "${cp.load}" is serving through an alias: not dropped; removed the checkpoint`;
    }
    await this.api.dropCollection(cp.load, ctx.signal);
    await file!.remove();
    return `dropped collection "${cp.load}", left by the interrupted run, and its checkpoint; ${cp.mode === 'replace' ? `"${target}" is as it was` : `"${target}" does not exist`}`;
  }
}
