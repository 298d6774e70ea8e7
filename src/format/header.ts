/**
 * The header (first entry) and the trailer (last entry, the commit marker) of formats 1 and 2,
 * and their validation. Validation follows the spec's versioning rule: unknown fields are ignored,
 * an unknown major version is refused.
 */
import { createHash } from 'node:crypto';
import { MemarcError } from '../errors.ts';
import { canonicalJson } from './canonical.ts';
import { MAX_META_NESTING, nestsDeeperThan } from './nesting.ts';
import { DATASET_KINDS, FAMILIES, type DatasetKind, type Family, type Json, type JsonObject, type RecordKind } from './records.ts';

export const FORMAT_NAME = 'memarc';
/** The version the writer writes. */
export const FORMAT_MAJOR = 2;
export const FORMAT_MINOR = 1;
/** The major versions this build reads: 1 for ever, and 2. */
export const READ_MAJORS: readonly number[] = [1, 2];
export const VECTOR_ENCODING = 'f32le-base64';

/** Format 2: the native block of a dataset, what its own store needs beyond the neutral schema. */
export interface NativeBlock {
  /** The store's adapter name (lower case), e.g. `qdrant`. */
  store: string;
  /** The store's version, informational. */
  version?: string;
  /** The store's own configuration (in memory: DatasetDescriptor.fingerprint). */
  config: JsonObject;
  /** SHA-256 of the canonical JSON of `config`. */
  configSha256: string;
}

export interface FormatVersion {
  major: number;
  minor: number;
}

/**
 * A header dataset of either major version: format 1 has `kind` and `fingerprint`, format 2 has
 * `family`, `schema` and optionally `native`. src/format/datasets.ts reads either alike.
 */
export interface HeaderDataset {
  /** 1-based, in archive order. */
  index: number;
  /** The folder of the dataset's shards: `data/NNNN-slug`. */
  dir: string;
  name: string;
  /** Record kinds in the order their shards appear. */
  recordKinds: RecordKind[];
  /** Where the dataset came from, credentials removed. */
  source: JsonObject;
  /** Format 1: the product-named dataset kind. */
  kind?: DatasetKind;
  /** Format 1: the store's schema. */
  fingerprint?: JsonObject;
  /** Format 1: SHA-256 of the canonical JSON of `fingerprint`. */
  fingerprintSha256?: string;
  /** Format 2: the store-neutral family. */
  family?: Family;
  /** Format 2: the neutral schema (spec/FORMAT.md 4.5). */
  schema?: JsonObject;
  /** Format 2: SHA-256 of the canonical JSON of `schema`. */
  schemaSha256?: string;
  /** Format 2: the native block, absent when the writer had none. */
  native?: NativeBlock;
}

export interface Header {
  format: typeof FORMAT_NAME;
  formatVersion: FormatVersion;
  createdAt: string;
  producer: { name: string; version: string };
  encoding: { records: 'ndjson'; compression: 'gzip'; vectors: typeof VECTOR_ENCODING };
  shardLimits: { maxRawBytes: number; maxRecords: number };
  datasets: HeaderDataset[];
}

export interface TrailerShard {
  entry: string;
  dataset: number;
  kind: RecordKind;
  seq: number;
  records: number;
  /** Bytes of the entry (gzip). */
  size: number;
  /** Bytes of the NDJSON inside. */
  rawSize: number;
  sha256: string;
}

export interface TrailerDataset {
  index: number;
  name: string;
  records: Partial<Record<RecordKind, number>>;
  shards: number;
  bytes: number;
  rawBytes: number;
  digest: string;
  /** What the source learnt while reading (informational; readers ignore it). */
  notes?: JsonObject;
}

export interface EntrySum {
  entry: string;
  size: number;
  sha256: string;
}

export interface Trailer {
  format: typeof FORMAT_NAME;
  formatVersion: FormatVersion;
  complete: true;
  finishedAt: string;
  header: EntrySum;
  checksums: EntrySum;
  shards: TrailerShard[];
  datasets: TrailerDataset[];
  totals: { records: number; shards: number; bytes: number };
}

const HEX64 = /^[0-9a-f]{64}$/;

type Check = (cond: unknown, what: string) => asserts cond;

function checker(entry: string): Check {
  return (cond, what) => {
    if (!cond) {
      throw new MemarcError('MALFORMED_ARCHIVE', `${entry}: ${what}`, {
        context: { entry },
        hint: 'the archive was not written by a conforming memarc writer, or was altered; it cannot be trusted',
      });
    }
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Refuses other formats and unknown major versions before anything else is looked at. */
export function checkFormatVersion(doc: unknown, entry: string): void {
  const check: Check = checker(entry);
  check(isObj(doc), 'is not a JSON object');
  // Before anything walks it: hashing the fingerprint, or printing the document as JSON, recurses.
  check(!nestsDeeperThan(doc, MAX_META_NESTING), `arrays and objects are nested more than ${MAX_META_NESTING} levels deep`);
  check(doc.format === FORMAT_NAME, `"format" is ${JSON.stringify(doc.format)}, not "memarc": this is not a memarc archive`);
  const v = doc.formatVersion;
  check(isObj(v) && isCount(v.major) && isCount(v.minor), '"formatVersion" must be {major, minor} with whole numbers');
  if (!READ_MAJORS.includes(v.major)) {
    throw new MemarcError('UNSUPPORTED_VERSION', `${entry}: format version ${v.major}.${v.minor} is not supported; this memarc reads major versions ${READ_MAJORS.join(' and ')}`, {
      context: { entry, major: v.major, minor: v.minor },
      hint: v.major > FORMAT_MAJOR ? 'upgrade memarc to a release that reads this major version' : 'this archive predates format 1 and cannot be read',
    });
  }
}

const sha256Canonical = (v: JsonObject) => createHash('sha256').update(canonicalJson(v as Json)).digest('hex');

function hashMismatch(name: string, what: string): MemarcError {
  return new MemarcError('CHECKSUM_MISMATCH', `header.json: dataset ${JSON.stringify(name)}: ${what} does not match`, {
    context: { entry: 'header.json', dataset: name },
    hint: 'the header was altered; do not restore from this archive',
  });
}

const STORE_NAME = /^[a-z0-9_-]{1,64}$/;

/** Format 2: family, record kinds, schema and native block of datasets[i]. */
function checkDatasetV2(check: Check, d: Record<string, unknown>, i: number): void {
  check(typeof d.family === 'string' && Object.hasOwn(FAMILIES, d.family), `datasets[${i}].family ${JSON.stringify(d.family)} is not a family this reader knows (${Object.keys(FAMILIES).join(', ')}); a newer memarc may read it`);
  const expected = FAMILIES[d.family as Family] as readonly string[];
  check(Array.isArray(d.recordKinds) && d.recordKinds.length === expected.length && d.recordKinds.every((k, j) => k === expected[j]), `datasets[${i}].recordKinds must be ${JSON.stringify(expected)}`);
  check(isObj(d.schema), `datasets[${i}].schema must be an object`);
  check(typeof d.schemaSha256 === 'string' && HEX64.test(d.schemaSha256), `datasets[${i}].schemaSha256 must be 64 hex digits`);
  if (d.family === 'table') checkTableSchema(check, d.schema, i);
  // Checked here, before any sink creates a target from the schema.
  if (sha256Canonical(d.schema as JsonObject) !== d.schemaSha256) throw hashMismatch(d.name as string, 'schemaSha256');
  if (d.native === undefined) return;
  const n = d.native;
  check(isObj(n), `datasets[${i}].native must be an object`);
  check(typeof n.store === 'string' && STORE_NAME.test(n.store), `datasets[${i}].native.store must be a store name ([a-z0-9_-], 1 to 64 characters)`);
  check(n.version === undefined || typeof n.version === 'string', `datasets[${i}].native.version must be a string`);
  check(isObj(n.config), `datasets[${i}].native.config must be an object`);
  check(typeof n.configSha256 === 'string' && HEX64.test(n.configSha256), `datasets[${i}].native.configSha256 must be 64 hex digits`);
  if (sha256Canonical(n.config as JsonObject) !== n.configSha256) throw hashMismatch(d.name as string, 'native.configSha256');
}

/** The members of a table schema a reader acts on: column names, and the primary key among them. */
function checkTableSchema(check: Check, schema: Record<string, unknown>, i: number): void {
  const cols = schema.columns;
  check(Array.isArray(cols) && cols.length > 0, `datasets[${i}].schema.columns must be a non-empty array`);
  const names = new Set<string>();
  cols.forEach((c: unknown, j: number) => {
    check(isObj(c) && typeof c.name === 'string' && c.name.length > 0 && typeof c.type === 'string', `datasets[${i}].schema.columns[${j}] must be {name, type, …}`);
    check(!names.has(c.name), `datasets[${i}].schema.columns repeats column ${JSON.stringify(c.name)}`);
    names.add(c.name);
  });
  const pk = schema.primaryKey ?? [];
  check(Array.isArray(pk) && pk.every((c) => typeof c === 'string' && names.has(c)) && new Set(pk).size === pk.length, `datasets[${i}].schema.primaryKey must list distinct columns of the table`);
}

export function validateHeader(doc: unknown): Header {
  const entry = 'header.json';
  checkFormatVersion(doc, entry);
  const check: Check = checker(entry);
  const h = doc as Record<string, unknown>;
  check(typeof h.createdAt === 'string' && !Number.isNaN(Date.parse(h.createdAt)), '"createdAt" must be an ISO 8601 time');
  check(isObj(h.producer) && typeof h.producer.name === 'string' && typeof h.producer.version === 'string', '"producer" must be {name, version}');
  check(isObj(h.encoding), '"encoding" is missing');
  const enc = h.encoding;
  if (enc.records !== 'ndjson' || enc.compression !== 'gzip' || enc.vectors !== VECTOR_ENCODING) {
    throw new MemarcError('UNSUPPORTED_VERSION', `header.json: encoding ${JSON.stringify(enc)} is not supported (formats 1 and 2 know ndjson, gzip and ${VECTOR_ENCODING})`, {
      context: { entry },
      hint: 'upgrade memarc',
    });
  }
  check(isObj(h.shardLimits) && isCount(h.shardLimits.maxRawBytes) && isCount(h.shardLimits.maxRecords), '"shardLimits" must be {maxRawBytes, maxRecords}');
  check(Array.isArray(h.datasets), '"datasets" must be an array');
  const names = new Set<string>();
  const v2 = (h.formatVersion as FormatVersion).major === 2;
  h.datasets.forEach((d: unknown, i: number) => {
    check(isObj(d), `datasets[${i}] is not an object`);
    check(d.index === i + 1, `datasets[${i}].index must be ${i + 1}`);
    check(typeof d.name === 'string' && d.name.length > 0, `datasets[${i}].name must be a non-empty string`);
    const group = v2 ? d.family : d.kind;
    if (v2) {
      checkDatasetV2(check, d, i);
      check(typeof d.dir === 'string' && new RegExp(`^data/(?=[0-9]{4,9}-)0*${i + 1}-[A-Za-z0-9._-]{0,64}$`).test(d.dir), `datasets[${i}].dir must be data/${String(i + 1).padStart(4, '0')}-<slug>`);
      check(!names.has(`${group}\u0000${d.name}`), `datasets[${i}] repeats dataset ${JSON.stringify(d.name)}`);
      names.add(`${group}\u0000${d.name}`);
      check(isObj(d.source), `datasets[${i}].source must be an object`);
      return;
    }
    check(typeof d.kind === 'string' && Object.hasOwn(DATASET_KINDS, d.kind), `datasets[${i}].kind ${JSON.stringify(d.kind)} is not a known dataset kind (${Object.keys(DATASET_KINDS).join(', ')})`);
    const expected = DATASET_KINDS[d.kind as DatasetKind] as readonly string[];
    check(Array.isArray(d.recordKinds) && d.recordKinds.length === expected.length && d.recordKinds.every((k, j) => k === expected[j]), `datasets[${i}].recordKinds must be ${JSON.stringify(expected)}`);
    check(typeof d.dir === 'string' && new RegExp(`^data/(?=[0-9]{4,9}-)0*${i + 1}-[A-Za-z0-9._-]{0,64}$`).test(d.dir), `datasets[${i}].dir must be data/${String(i + 1).padStart(4, '0')}-<slug>`);
    check(!names.has(`${group}\u0000${d.name}`), `datasets[${i}] repeats dataset ${JSON.stringify(d.name)}`);
    names.add(`${group}\u0000${d.name}`);
    check(isObj(d.fingerprint), `datasets[${i}].fingerprint must be an object`);
    check(typeof d.fingerprintSha256 === 'string' && HEX64.test(d.fingerprintSha256), `datasets[${i}].fingerprintSha256 must be 64 hex digits`);
    // Checked here, before any sink creates a target from the fingerprint.
    if (createHash('sha256').update(canonicalJson(d.fingerprint as Json)).digest('hex') !== d.fingerprintSha256) {
      throw new MemarcError('CHECKSUM_MISMATCH', `header.json: dataset ${JSON.stringify(d.name)}: fingerprintSha256 does not match its fingerprint`, {
        context: { entry, dataset: d.name as string },
        hint: 'the header was altered; do not restore from this archive',
      });
    }
    check(isObj(d.source), `datasets[${i}].source must be an object`);
  });
  return h as unknown as Header;
}

export function validateTrailer(doc: unknown): Trailer {
  const entry = 'trailer.json';
  checkFormatVersion(doc, entry);
  const check: Check = checker(entry);
  const t = doc as Record<string, unknown>;
  check(t.complete === true, '"complete" must be true');
  check(typeof t.finishedAt === 'string' && !Number.isNaN(Date.parse(t.finishedAt)), '"finishedAt" must be an ISO 8601 time');
  const sum = (v: unknown, what: string) => check(isObj(v) && typeof v.entry === 'string' && isCount(v.size) && typeof v.sha256 === 'string' && HEX64.test(v.sha256), `"${what}" must be {entry, size, sha256}`);
  sum(t.header, 'header');
  sum(t.checksums, 'checksums');
  check(Array.isArray(t.shards), '"shards" must be an array');
  t.shards.forEach((s: unknown, i: number) => {
    check(isObj(s) && typeof s.entry === 'string' && isCount(s.dataset) && typeof s.kind === 'string' && isCount(s.seq) && isCount(s.records) && isCount(s.size) && isCount(s.rawSize) && typeof s.sha256 === 'string' && HEX64.test(s.sha256), `shards[${i}] must be {entry, dataset, kind, seq, records, size, rawSize, sha256}`);
  });
  check(Array.isArray(t.datasets), '"datasets" must be an array');
  t.datasets.forEach((d: unknown, i: number) => {
    check(isObj(d) && isCount(d.index) && typeof d.name === 'string' && isObj(d.records) && isCount(d.shards) && isCount(d.bytes) && isCount(d.rawBytes) && typeof d.digest === 'string' && HEX64.test(d.digest), `datasets[${i}] must be {index, name, records, shards, bytes, rawBytes, digest}`);
    for (const [k, n] of Object.entries(d.records as object)) check(isCount(n), `datasets[${i}].records.${k} must be a count`);
  });
  check(isObj(t.totals) && isCount(t.totals.records) && isCount(t.totals.shards) && isCount(t.totals.bytes), '"totals" must be {records, shards, bytes}');
  return t as unknown as Trailer;
}
