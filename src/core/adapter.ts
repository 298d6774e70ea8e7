/**
 * The contract between the archive core and a store adapter. One folder per store under
 * src/adapters/ implements it; test/conformance runs the same suite against every adapter.
 *
 * A **source** describes its datasets before any data (so the archive header can carry every
 * schema fingerprint), then yields each dataset's records in batches, record kind by record kind,
 * in the order DATASET_KINDS gives. A source owns any temporary state (a point-in-time copy, a
 * connection) and releases it in `close()`, which is called on success, failure and interrupt.
 *
 * A **sink** receives one dataset at a time, and carries out the restore policy of
 * src/core/restore.ts (README, "Restore policy"; spec/ARCHITECTURE.md). Its primitives:
 *
 * - `inspect(descriptor, ctx)` (optional), then `open(descriptor, ctx)`: inspect the target before any record arrives: does it exist, is its
 *   schema the archive's (SCHEMA_MISMATCH with a semantic difference report otherwise), what the
 *   if-exists mode makes of it (TARGET_EXISTS for `fail`). Then, unless `ctx.dryRun`, create the
 *   staging target (`create`, `replace`) or prepare writing into the live one (`append`,
 *   `merge`). The core calls `inspect` for every dataset before it opens any. With `ctx.resume` and a checkpoint of this run (`ctx.checkpoints`), reopen the
 *   staging target and return the shards already durable. A dry run writes nothing to the target.
 * - `write(kind, batch)`: write a batch whose shard is verified. Writes must be idempotent, or
 *   reconciled exactly on resume (the adapter's checkpoint says how). `append` must refuse
 *   (TARGET_EXISTS, naming the first few) any record whose id or key already exists in the target
 *   before writing it; `merge` overwrites.
 * - `shardDone(shard)`: everything of the shard is durable: persist the checkpoint.
 * - `verify(expected)`: the whole dataset is written: read back what the target holds and prove it
 *   is the archive's (exact counts and content digest, from values read back without loss, or
 *   compared in a form that still catches any change: spec/FORMAT.md section 15). Throws
 *   VERIFY_FAILED. Nothing new is visible yet for `create`/`replace`.
 * - `publish()`: make the verified data visible at once (an alias switch, a rename), keeping what
 *   it replaces until `finish()`, so that `undo()` can put it back. Says whether it can be undone.
 * - `undo()`: after `publish()`, when another dataset of the run failed to publish: restore the
 *   target as it was before the run, exactly, or say precisely what stays.
 * - `finish()`: every dataset is published: drop what was kept for `undo()` and the checkpoint.
 * - `abort(err, keep)`: the run failed before this dataset was published. `keep` (an
 *   interruption or a retriable failure of an import with checkpoints): leave the staging target
 *   and the checkpoint for `--resume` or `--rollback`, if this mode can resume; else drop the
 *   staging target (or delete exactly what was appended) and the checkpoint. Never throws.
 *   Returns what it did, for the report.
 * - `discard(descriptor, ctx)` (`--rollback`): drop the staging target and the checkpoint an
 *   interrupted run of this archive left, touching nothing else.
 */
import type { Checkpoints } from './checkpoint.ts';
import { KIND_FAMILY, type DatasetKind, type Family, type JsonObject, type RecordByKind, type RecordKind } from '../format/records.ts';

export interface DatasetDescriptor {
  /** The dataset's name in its store: a collection or graph name. */
  name: string;
  /**
   * The format-1 kind the dataset stands for (`<store>.<object>`, spec/FORMAT.md 4.1), which sinks
   * match on; for another store `<store>.<family>` (src/format/datasets.ts legacyKind).
   */
  kind: string;
  /** The store-neutral family (spec/FORMAT.md 4.1); absent: the family of `kind` (descriptorFamily). */
  family?: Family;
  /** The native store (an adapter name), null when the archive has no native block; absent: the store of `kind`. */
  store?: string | null;
  /** The neutral schema (spec/FORMAT.md 4.5); `{}` for a format-1 archive, which has none. */
  schema?: JsonObject;
  /** The native configuration, captured before the data. Compared semantically by the adapter. */
  fingerprint: JsonObject;
  /**
   * The major format version of the archive the dataset comes from, which decides its content
   * digest (spec/FORMAT.md 8): sinks compute digests with it. Absent: the version the writer writes.
   */
  formatMajor?: number;
  /** Where it came from, with every credential removed (see redact.ts). */
  source: SourceDescription;
}

export interface SourceDescription {
  type: string; // the store's registry name
  url?: string; // redacted
  serverVersion?: string;
  [key: string]: unknown;
}

export interface DatasetSource {
  readonly descriptor: DatasetDescriptor;
  /** Batches of records of one kind. Called once per kind, in DATASET_KINDS order. */
  batches<K extends RecordKind>(kind: K, signal?: AbortSignal): AsyncIterable<RecordByKind[K][]>;
  /**
   * Optional: what the source learnt while reading (e.g. that the data changed during the read),
   * asked for after the last batch and written to the trailer's entry for the dataset as `notes`.
   */
  notes?(): JsonObject;
}

export interface Source {
  /** Lists and describes the datasets (fingerprints included) without reading data. */
  open(signal?: AbortSignal): Promise<DatasetSource[]>;
  close(): Promise<void>;
}

export interface DatasetTotals {
  /** Record count per kind. */
  records: Partial<Record<RecordKind, number>>;
  /** The dataset's content digest (spec/FORMAT.md, "Content digest"): 64 hex digits. */
  digest: string;
}

export type IfExists = 'fail' | 'append' | 'merge' | 'replace';

export interface SinkContext {
  /**
   * Identifies what is being loaded: the SHA-256 of the archive's header entry for an import, a
   * run id for a migration. A resume checkpoint is only valid for the same id.
   */
  runId: string;
  /** Continue an interrupted load: `open()` reports the shards already durable. */
  resume: boolean;
  /** Validate everything, report what would be done, write nothing to the target. */
  dryRun: boolean;
  /** Where resume checkpoints go; null when the run keeps none (dry run, migrate). */
  checkpoints?: Checkpoints | null;
  signal?: AbortSignal;
  /** Progress and warnings; never includes credentials. */
  log?: (msg: string) => void;
}

/** One shard of the archive, as the sink sees it (migrations cut the stream into pseudo-shards). */
export interface ShardRef {
  entry: string;
  kind: RecordKind;
  seq: number;
  records: number;
}

export interface OpenResult {
  /** Entries of shards an interrupted run already wrote durably (with ctx.resume); the core skips them. */
  done?: string[];
}

export interface CommitReport {
  dataset: string;
  target: string;
  records: Partial<Record<RecordKind, number>>;
  digest: string;
  /** What was done or, in a dry run, would be done: human-readable lines. */
  actions: string[];
}

export interface PublishResult {
  /** What publishing did: human-readable lines. */
  actions: string[];
  /** Whether undo() can put the previous state back exactly. */
  undoable: boolean;
}

export interface DatasetSink {
  /**
   * Optional: the checks of open() that need no write (existence under `fail`, schema under
   * `append`/`merge`), so that the core refuses before any dataset of the run writes anything.
   */
  inspect?(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void>;
  open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult | void>;
  /**
   * `hashes`, when the core has them: each record's content-digest hash as the archive's reader
   * computed it for that very record (32 bytes a record, in batch order). A sink that digests the
   * records it verified may add them (DatasetDigest.addRecordHash) instead of hashing again; one
   * that converts records must not, since they are the hashes of the records as given.
   */
  write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal, hashes?: Uint8Array): Promise<void>;
  /**
   * Optional: about how many bytes of the archive's NDJSON a write() should carry, read at each
   * shard, after open(). An import asks its reader for batches of this size (reader.ts `batchBytes`;
   * default 1 MiB). A sink that sends less than a batch a request may ask for smaller ones and
   * gather them: a batch is held parsed until write() returns, so a smaller one dies young.
   */
  readonly writeBytes?: number;
  /**
   * Optional, read after open(): true when verify() compares `expected.digest` with a content
   * digest it computes itself, of what the target holds (a dry run: of the records it was given),
   * record by record. Then an archive whose records disagree with its trailer's digest fails
   * that comparison, and an import has its reader check this dataset's records and keys but not
   * hash them all a second time (reader.ts `digest`); verify() must then say, when the digests
   * differ, that the archive's own digest was not recomputed. A sink that builds its digest from
   * the reader's hashes, or that converts records, leaves it unset.
   */
  readonly digestsTarget?: boolean;
  /** Every batch of `shard` has been written: persist the resume checkpoint. */
  shardDone(shard: ShardRef): Promise<void>;
  /**
   * Called once the archive's trailer is verified, with the trailer's totals for this dataset.
   * Checks exact counts and the digest of what the target holds against `expected`; throws
   * VERIFY_FAILED on any difference. A dry run checks the archive's records.
   */
  verify(expected: DatasetTotals): Promise<CommitReport>;
  /** Whether publish() can be undone (core publishes those first); asked after verify(). */
  undoable(): boolean;
  publish(): Promise<PublishResult>;
  /** Puts back what publish() replaced; returns what it did. Throws when it could not. */
  undo(): Promise<string>;
  finish(): Promise<string[]>;
  /** Rolls back an unpublished dataset, or keeps it for --resume (keep). Never throws. */
  abort(err: unknown, keep?: boolean): Promise<AbortOutcome>;
  /** --rollback: drops what an interrupted run of this archive left. */
  discard(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<string>;
}

export interface AbortOutcome {
  /** The staging target and checkpoint are kept for --resume or --rollback. */
  kept: boolean;
  /** What was done, one sentence. */
  message: string;
}

export interface Sink {
  /** A sink for one dataset, or null to skip it (not selected by --collections/--graphs). */
  dataset(descriptor: DatasetDescriptor): Promise<DatasetSink | null>;
  close(): Promise<void>;
}

/** The family of a descriptor, given or implied by its format-1 kind. */
export function descriptorFamily(d: Pick<DatasetDescriptor, 'family' | 'kind' | 'name'>): Family {
  const f = d.family ?? KIND_FAMILY[d.kind as DatasetKind]?.family;
  if (!f) throw new Error(`dataset ${JSON.stringify(d.name)} has neither a family nor a known kind (${d.kind})`);
  return f;
}

/** The native store of a descriptor, given or implied by its format-1 kind (null: none). */
export function descriptorStore(d: Pick<DatasetDescriptor, 'store' | 'kind'>): string | null {
  return d.store !== undefined ? d.store : (KIND_FAMILY[d.kind as DatasetKind]?.store ?? null);
}
