/**
 * Typed errors. Every error memarc raises on purpose is a MemarcError with a stable `code`;
 * users match on `error.code`, never on the message. Each code maps to one documented exit code
 * (spec/FORMAT.md, "Exit codes"; README "Exit codes"). The table below is the single source.
 */

export const EXIT_CODES = {
  OK: 0,
  INTERNAL: 1, // a bug: an unexpected exception
  USAGE: 2, // bad arguments or options
  IO: 3, // a local file or stream could not be read or written
  // The archive (10-29): each integrity failure has its own code.
  CHECKSUM_MISMATCH: 10, // an entry's SHA-256 disagrees with the one recorded for it
  TRUNCATED: 11, // the archive ends inside an entry or inside the tar structure
  MISSING_TRAILER: 12, // the archive ends cleanly but has no trailer: the write never committed
  UNSUPPORTED_VERSION: 13, // unknown major format version
  UNSAFE_ENTRY: 14, // an entry name escapes (absolute, "..") or uses characters outside the allowed set
  LINK_ENTRY: 15, // a symlink, hardlink, device or other non-regular entry
  LIMIT_EXCEEDED: 16, // a size limit (decompression bomb, oversized header or line) was hit
  MALFORMED_RECORD: 17, // a shard line is not valid JSON or not a valid record of its kind
  DUPLICATE_SHARD: 18, // the same shard appears twice
  COUNT_MISMATCH: 19, // a record count disagrees with the shard header or the trailer
  MALFORMED_ARCHIVE: 20, // header/trailer invalid, entries out of order, unknown dataset
  DIGEST_MISMATCH: 21, // a dataset's content digest disagrees with the trailer
  // Stores (30-39).
  TARGET_EXISTS: 30, // the target collection/graph exists and --if-exists says fail
  SCHEMA_MISMATCH: 31, // the target's schema differs from the archive's fingerprint
  CONNECTION_FAILED: 32, // a server could not be reached
  AUTH_FAILED: 33, // a server refused the credentials
  STORE_ERROR: 34, // a server rejected a request
  VERIFY_FAILED: 35, // after a restore, the live data disagrees with the archive
  NOT_FOUND: 36, // a named collection, graph or object does not exist
  // Transports (40-49).
  DESTINATION_EXISTS: 40, // the output exists and --force was not given
  TRANSPORT_FAILED: 41, // S3 or another transport failed (upload aborted, download failed)
  // Signals, shell convention 128+N.
  INTERRUPTED: 130, // SIGINT/SIGTERM: rolled back, or (an import) stopped with its staging kept for --resume/--rollback
  BROKEN_PIPE: 141, // the reader of stdout went away (e.g. `| head`)
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export interface ErrorContext {
  /** Archive entry name (shard) the error is about. */
  entry?: string;
  /** 1-based line (record) number inside the shard. */
  line?: number;
  /** Dataset name. */
  dataset?: string;
  [key: string]: unknown;
}

export class MemarcError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** What the user can do about it; printed after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown; context?: ErrorContext } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MemarcError';
    this.code = code;
    this.hint = opts.hint;
    this.context = opts.context ?? {};
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, exitCode: this.exitCode, message: this.message, hint: this.hint, ...this.context };
  }
}

export function isMemarcError(err: unknown, code?: ErrorCode): err is MemarcError {
  return err instanceof MemarcError && (code === undefined || err.code === code);
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof MemarcError) return err.exitCode;
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return EXIT_CODES.BROKEN_PIPE;
  return EXIT_CODES.INTERNAL;
}
