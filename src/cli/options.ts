/**
 * Options shared by several commands, and how they turn into library options. Credentials come
 * from the environment only (QDRANT_API_KEY, FALKORDB_PASSWORD or the URL in FALKORDB_URL, the
 * AWS chain), never from the command line, where `ps` would show them.
 */
import { Option, type Command } from 'commander';
import { MemarcError } from '../errors.ts';
import type { S3Options } from '../transport/index.ts';
import { countOption, sizeOption } from './numbers.ts';

export interface S3Flags {
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  sse?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  storageClass?: string;
  partSize?: number;
  queueSize?: number;
}

export function addS3Options(cmd: Command): Command {
  return cmd
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, R2, Ceph); also AWS_ENDPOINT_URL_S3')
    .option('--s3-region <region>', 'S3 region (default: the AWS chain, else us-east-1)')
    .option('--s3-path-style', 'path-style addressing (default with --s3-endpoint)')
    .addOption(new Option('--sse <mode>', 'server-side encryption').choices(['AES256', 'aws:kms']))
    .option('--sse-kms-key-id <id>', 'KMS key id for --sse aws:kms')
    .option('--storage-class <class>', 'S3 storage class, e.g. STANDARD_IA')
    .option('--part-size <size>', 'multipart part size, 5MiB to 5GiB (grows automatically for large archives)', sizeOption('--part-size', { min: 5 * 1024 * 1024, max: 5 * 1024 ** 3 }))
    .option('--queue-size <n>', 'parts uploaded in parallel, 1 to 64 (memory ≈ (n+1) × part size)', countOption('--queue-size', { min: 1, max: 64 }));
}

export function s3Options(f: S3Flags): S3Options {
  const o: S3Options = {};
  const endpoint = f.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (endpoint) o.endpoint = endpoint;
  if (f.s3Region) o.region = f.s3Region;
  if (f.s3PathStyle) o.forcePathStyle = true;
  if (f.sse) o.sse = f.sse;
  if (f.sseKmsKeyId) o.kmsKeyId = f.sseKmsKeyId;
  if (f.storageClass) o.storageClass = f.storageClass;
  if (f.partSize !== undefined) o.partSize = f.partSize;
  if (f.queueSize !== undefined) o.queueSize = f.queueSize;
  if (f.sse === 'aws:kms' && !f.sseKmsKeyId) throw new MemarcError('USAGE', '--sse aws:kms needs --sse-kms-key-id');
  return o;
}

export interface StoreFlags {
  qdrant?: string | boolean;
  falkordb?: string | boolean;
  collections?: string[];
  graphs?: string[];
  /** FalkorDB: deadline of every command and connection attempt, in seconds. */
  timeout?: number;
  /** FalkorDB export: 'none' (live read-only pages) or 'copy' (GRAPH.COPY). */
  snapshot?: 'none' | 'copy';
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--qdrant [url]', 'a Qdrant server (default: QDRANT_URL); the API key comes from QDRANT_API_KEY')
    .option('--falkordb [url]', 'a FalkorDB server, redis://[:password@]host:port (default: FALKORDB_URL, or FALKORDB_HOST/PORT/PASSWORD)')
    .option('--collections <names>', 'only these Qdrant collections (comma-separated)', list)
    .option('--graphs <names>', 'only these FalkorDB graphs (comma-separated)', list)
    .option('--timeout <seconds>', 'FalkorDB: deadline of every command and connection attempt (default 60)', seconds);
}

export function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new MemarcError('USAGE', `--timeout takes a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

/** FalkorDB adapter options from the shared flags. */
export function falkordbFlags(f: StoreFlags): { timeoutMs?: number; snapshot?: 'none' | 'copy' } {
  return { ...(f.timeout !== undefined ? { timeoutMs: Math.round(f.timeout * 1000) } : {}), ...(f.snapshot ? { snapshot: f.snapshot } : {}) };
}

export function list(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

export function qdrantUrl(flag: string | boolean | undefined): string | null {
  if (flag === undefined || flag === false) return null;
  const url = typeof flag === 'string' ? flag : process.env.QDRANT_URL;
  if (!url) throw new MemarcError('USAGE', '--qdrant needs a URL', { hint: 'pass --qdrant http://host:6333 or set QDRANT_URL' });
  return url;
}

export async function falkordbUrl(flag: string | boolean | undefined): Promise<string | null> {
  if (flag === undefined || flag === false) return null;
  if (typeof flag === 'string') return flag;
  const { falkordbOptionsFromEnv } = await import('../adapters/falkordb/index.ts');
  const env = falkordbOptionsFromEnv(process.env);
  if (!env) throw new MemarcError('USAGE', '--falkordb needs a URL', { hint: 'pass --falkordb redis://host:6379 or set FALKORDB_URL (or FALKORDB_HOST/PORT/PASSWORD)' });
  return env.url;
}

/** `old=new` pairs for --rename. */
export function renamePair(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new MemarcError('USAGE', `--rename takes old=new, got ${JSON.stringify(v)}`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}
