/**
 * The contract between the archive core and a store adapter. One folder per store under
 * src/adapters/ implements it; test/conformance runs the same suite against every adapter.
 *
 * A **source** describes its datasets before any data (so the archive header can carry every
 * schema fingerprint), then yields each dataset's records in batches, record kind by record kind,
 * in the order DATASET_KINDS gives. A source owns any temporary state (a point-in-time copy, a
 * connection) and releases it in `close()`, which is called on success, failure and interrupt.
 *
 * A **sink** receives one dataset at a time: `open()` with the header's descriptor (create or
 * check the target, before any record arrives), `write()` with batches whose shard has already
 * been verified, then exactly one of `commit()` (only after the archive's trailer has been
 * verified: make the data durable and visible, check counts and digest) or `abort(err)` (roll
 * back: drop a staging target, leave the original untouched). `commit()` resolving means the
 * data is durable and verified.
 */
import { KIND_FAMILY, type DatasetKind, type Family, type JsonObject, type RecordByKind, type RecordKind } from '../format/records.ts';

export interface DatasetDescriptor {
  /** The dataset's name in its store. */
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
  /** The adapter that read it: its descriptor's `name` (src/core/descriptor.ts). */
  type: string;
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

export interface DatasetSink {
  open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult | void>;
  write<K extends RecordKind>(kind: K, batch: RecordByKind[K][], signal?: AbortSignal): Promise<void>;
  /** Every batch of `shard` has been written: persist the resume checkpoint. */
  shardDone(shard: ShardRef): Promise<void>;
  /**
   * Called once the archive's trailer is verified, with the trailer's totals for this dataset.
   * Makes the data visible (alias switch), checks exact counts and the live digest against
   * `expected`, and throws VERIFY_FAILED on any difference. Resolving means durable and verified.
   */
  commit(expected: DatasetTotals): Promise<CommitReport>;
  /** Rolls back: drops staging data; an existing target is left untouched. Never throws. */
  abort(err: unknown): Promise<void>;
}

export interface Sink {
  /**
   * A sink for one dataset, or null to skip it (not selected by the store's selection option).
   * An import asks for every dataset of the header before it opens any, so a throw here (a
   * dataset nothing can restore) leaves every target untouched.
   */
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
