/**
 * The memarc library: what `import … from 'memarc'` gives. Every CLI command is one of these
 * functions (src/cli only parses and dispatches), so a program can do what the CLI does.
 *
 * - Orchestration: exportArchive, importArchive, verifyArchive, inspectArchive, migrate.
 * - The format: ArchiveWriter (bytes out), readArchive (events in), the record types.
 * - Stores: a source and a sink factory per store, plus synthetic and memory ones for trials; the
 *   registry of this build's stores (REGISTRY) and the dispatch over it (sourcesFor, sinksFor,
 *   restoreSink, migrateEnds), each taking the registry as a parameter.
 * - Transports: openInput/openOutput for a path, `-` or `s3://bucket/key`; listArchives and
 *   pruneArchives for retention.
 * - Errors: MemarcError with a stable `code`, and the exit-code table.
 */
export { exportArchive, type ExportOptions, type ExportResult } from './core/export.ts';
export { importArchive, type ImportOptions, type ImportResult } from './core/import.ts';
export { verifyArchive, inspectArchive, type ArchiveSummary, type VerifyOptions } from './core/verify.ts';
export { migrate, type MigrateOptions, type MigrateResult } from './core/migrate.ts';
export { combineSinks } from './core/combine.ts';
export { sourcesFor, sinksFor, restoreSink, restorersOf, migrateEnds, storeForUrl, missingAdapter, optionsOf, type Registry, type MigrateRequest } from './core/stores.ts';
export { optionKey, flagName, type StoreDescriptor, type StoreOption, type OptionValue, type StoreEnvVar, type StoreDataset, type StoreRequest, type SinkRequest, type StoreCommand } from './core/descriptor.ts';
export { REGISTRY } from './adapters/registry.ts';
export { redactUrl, redactText } from './core/redact.ts';
export type {
  CommitReport,
  DatasetDescriptor,
  DatasetSink,
  DatasetSource,
  DatasetTotals,
  OpenResult,
  ShardRef,
  Sink,
  SinkContext,
  Source,
  SourceDescription,
} from './core/adapter.ts';

export { ArchiveWriter, type DatasetInput, type Section, type WriterOptions } from './format/writer.ts';
export { readArchive, DEFAULT_LIMITS, type ArchiveEvent, type ReaderOptions } from './format/reader.ts';
export type { Header, HeaderDataset, Trailer, TrailerDataset, TrailerShard } from './format/header.ts';
export {
  DATASET_KINDS,
  encodeF32,
  decodeF32,
  type AnyRecord,
  type DatasetKind,
  type EdgeRecord,
  type Json,
  type JsonObject,
  type NodeRecord,
  type PointRecord,
  type RecordKind,
  type TypedValue,
} from './format/records.ts';

export { qdrantSource, qdrantSink, qdrantOptionsFromEnv, type QdrantSourceOptions, type QdrantSinkOptions, type IfExists, type VerifyMode } from './adapters/qdrant/index.ts';
export { falkordbSource, falkordbSink, falkordbOptionsFromEnv, type FalkorSourceOptions, type FalkorSinkOptions } from './adapters/falkordb/index.ts';
export { sqliteSource, sqliteSink, sqlitePath, type SqliteSourceOptions, type SqliteSinkOptions, type SnapshotMode } from './adapters/sqlite/index.ts';
export { syntheticSource, createOpenMemoryDb, type SyntheticOptions, type OpenMemoryOptions } from './adapters/synthetic/index.ts';
export { memorySink, type MemoryDataset } from './adapters/memory/index.ts';

export {
  openInput,
  openOutput,
  listArchives,
  pruneArchives,
  parseDuration,
  parseLocation,
  readArchiveHeader,
  NotAnArchiveError,
  type ArchiveOutput,
  type ArchiveInfo,
  type InputOptions,
  type OutputOptions,
  type ListOptions,
  type ListResult,
  type PruneOptions,
  type PruneResult,
  type S3Options,
} from './transport/index.ts';

export { MemarcError, EXIT_CODES, exitCodeOf, isMemarcError, type ErrorCode, type ErrorContext } from './errors.ts';
