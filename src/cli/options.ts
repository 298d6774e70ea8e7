/**
 * Options shared by several commands, and how they turn into library options. The stores' options
 * come from their descriptors (src/adapters/registry.ts). Credentials come from the environment
 * only (each store's variables, the AWS chain), never from the command line, where `ps` would
 * show them.
 */
import { Option, type Command } from 'commander';
import { flagName, type StoreCommand, type StoreOption } from '../core/descriptor.ts';
import type { Registry } from '../core/stores.ts';
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

/** Every option that the stores of the registry declare for `command`, in registry order. */
export function addStoreOptions(cmd: Command, registry: Registry, command: StoreCommand): Command {
  // Stores may share an option (two table stores both select with `--tables`): it is added
  // once, its help naming each store's meaning, and each store's factory reads the same value.
  const shared = new Map<string, { o: StoreOption; helps: string[] }>();
  for (const store of registry) {
    for (const o of store.options) {
      if (!o.commands.includes(command)) continue;
      const key = flagName(o.flags);
      const seen = shared.get(key);
      if (!seen) {
        shared.set(key, { o, helps: [o.help] });
        continue;
      }
      if (seen.o.flags !== o.flags || JSON.stringify(seen.o.value ?? null) !== JSON.stringify(o.value ?? null) || seen.o.default !== o.default) {
        throw new Error(`stores declare ${key} differently (${JSON.stringify(seen.o.flags)} and ${JSON.stringify(o.flags)}): a shared option must be spelt and parsed alike`);
      }
      seen.helps.push(o.help);
    }
  }
  for (const { o, helps } of shared.values()) cmd.addOption(storeOption({ ...o, help: helps.join('; ') }));
  return cmd;
}

/** A store's option as commander takes it; values are checked by the CLI's parsers, which name the option. */
export function storeOption(o: StoreOption): Option {
  const opt = new Option(o.flags, o.help);
  const v = o.value;
  if (v?.type === 'list') opt.argParser(list);
  else if (v?.type === 'count') opt.argParser(countOption(flagName(o.flags), { ...(v.min !== undefined ? { min: v.min } : {}), ...(v.max !== undefined ? { max: v.max } : {}) }));
  else if (v?.type === 'choice') opt.choices(v.choices);
  else if (v?.type === 'parse') opt.argParser(v.parse);
  if (o.default !== undefined) opt.default(o.default);
  return opt;
}

export function list(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `old=new` pairs for --rename. */
export function renamePair(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new MemarcError('USAGE', `--rename takes old=new, got ${JSON.stringify(v)}`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}
