/**
 * S3 client construction and error translation, shared by upload, download, list and prune.
 *
 * Credentials come from the SDK's default provider chain (environment, shared profile, SSO,
 * container and instance metadata) unless given explicitly; memarc never reads or stores them
 * itself. An endpoint for S3-compatible stores (MinIO, R2, Ceph) comes from `endpoint`, else
 * AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; with a custom endpoint, path-style addressing is the
 * default because most self-hosted stores have no per-bucket DNS.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import { redactText } from '../core/redact.ts';
import { MemarcError } from '../errors.ts';

export interface S3Options {
  /** Endpoint of an S3-compatible store, e.g. `http://127.0.0.1:9000` (`--s3-endpoint`). */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true with a custom endpoint, else false. */
  forcePathStyle?: boolean;
  region?: string;
  /** Explicit credentials; when absent the SDK's default chain (env, profile, …) is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Server-side encryption: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS, with `kmsKeyId`). */
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** e.g. STANDARD, STANDARD_IA, GLACIER_IR. */
  storageClass?: string;
  /** Base part size in bytes (≥ 5 MiB); default 8 MiB. */
  partSize?: number;
  /** Parts uploaded in parallel; memory ≈ (queueSize + 1) × part size. Default 4. */
  queueSize?: number;
  /** How many times a download resumes after a dropped connection. Default 5. */
  maxResumes?: number;
  /** How long abort keeps retrying AbortMultipartUpload while the store is unreachable. Default 60 s. */
  abortRetryMs?: number;
  /** A ready client (tests, or callers that share one); the options above that build a client are then ignored. */
  client?: S3Client;
}

export interface ResolvedS3 {
  client: S3Client;
  /** Strings that must never appear in a message. */
  secrets: string[];
  opts: S3Options;
}

export function s3Endpoint(opts: S3Options): string | undefined {
  return opts.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || undefined) ?? (process.env.AWS_ENDPOINT_URL || undefined);
}

/** Numeric options must be whole numbers in range: a NaN queue size would let the uploader buffer everything. */
function checkNumbers(opts: S3Options): void {
  const check = (name: keyof S3Options, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min || v > max)) {
      throw new MemarcError('USAGE', `S3 option ${name} must be a whole number from ${min} to ${max}, got ${String(v)}`);
    }
  };
  check('partSize', opts.partSize, 5 * 1024 * 1024, 5 * 1024 ** 3);
  check('queueSize', opts.queueSize, 1, 64);
  check('maxResumes', opts.maxResumes, 0);
  check('abortRetryMs', opts.abortRetryMs, 0);
}

export function resolveS3(opts: S3Options = {}): ResolvedS3 {
  checkNumbers(opts);
  const secrets = [opts.credentials?.secretAccessKey, opts.credentials?.sessionToken, process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]
    .filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (opts.client) return { client: opts.client, secrets, opts };
  const endpoint = s3Endpoint(opts);
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
  const client = new S3Client({
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: opts.forcePathStyle ?? endpoint !== undefined,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  return { client, secrets, opts };
}

/** Parameters every object write carries: encryption and storage class. */
export function writeParams(opts: S3Options): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string; StorageClass?: StorageClass } {
  if (opts.kmsKeyId && opts.sse !== 'aws:kms') {
    throw new MemarcError('USAGE', 'a KMS key id was given without aws:kms encryption', { hint: 'pass --sse aws:kms together with --sse-kms-key-id' });
  }
  return {
    ...(opts.sse ? { ServerSideEncryption: opts.sse } : {}),
    ...(opts.kmsKeyId ? { SSEKMSKeyId: opts.kmsKeyId } : {}),
    ...(opts.storageClass ? { StorageClass: opts.storageClass as StorageClass } : {}),
  };
}

const AUTH_ERRORS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError']);
const NOT_FOUND_ERRORS = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchUpload']);

/** The SDK error's name, HTTP status and a redacted message; never the request or its headers. */
export function describeS3Error(err: unknown, secrets: string[]): { name: string; status: number | undefined; text: string } {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? e?.code ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = redactText(String(e?.message ?? err), secrets);
  return { name, status, text: `${name}${status ? ` (HTTP ${status})` : ''}: ${message}` };
}

/**
 * A MemarcError for a failed S3 call. The SDK error is not kept as `cause`: its metadata can carry
 * request details, so only a redacted copy of the name and message survives.
 */
export function s3Error(what: string, err: unknown, secrets: string[], hint?: string): MemarcError {
  if (err instanceof MemarcError) return err;
  const d = describeS3Error(err, secrets);
  const cause = Object.assign(new Error(d.text), { name: d.name });
  const code = AUTH_ERRORS.has(d.name) || d.status === 403 ? 'AUTH_FAILED' : NOT_FOUND_ERRORS.has(d.name) || d.status === 404 ? 'NOT_FOUND' : 'TRANSPORT_FAILED';
  const defaultHint =
    code === 'AUTH_FAILED'
      ? 'check the S3 credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket policy'
      : code === 'NOT_FOUND'
        ? 'check the bucket and key'
        : 'check that the S3 endpoint is reachable (--s3-endpoint, AWS_ENDPOINT_URL_S3) and retry';
  return new MemarcError(code, `${what}: ${d.text}`, { cause, hint: hint ?? defaultHint });
}
