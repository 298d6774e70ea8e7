/**
 * Content digest of a dataset (spec/FORMAT.md, "Content digest"). Order-independent and
 * multiset-sensitive: each record's SHA-256 is read as a 256-bit big-endian integer and the
 * digest is their sum modulo 2^256, so a duplicated or dropped record changes it, while the order
 * of records and shards does not. The same function runs over an archive and over a live store.
 *
 * Graph records are hashed without their archive keys, which mean nothing outside one archive:
 * a node by its labels (sorted) and properties, an edge by its type, properties and the hashes of
 * its two endpoint nodes. So a restored graph, whose internal ids differ, has the same digest.
 * That needs a key → node-hash table (node-table.ts): for the dense integer keys a store export
 * writes, 33 bytes a node up to 65,536 nodes, then one bit of memory and 32 bytes of a temporary
 * file; about 60 bytes of memory for other keys. With the point and row key sets (key-set.ts),
 * the one place where memory grows with a dataset (with its record count, not the archive size).
 */
import { createHash } from 'node:crypto';
import { canonicalHasher, canonicalJson, sortedKeys, sortedStrings, type NumberRule } from './canonical.ts';
import { addHash128, addPointId, KeySet } from './key-set.ts';
import { PointIdGuard } from './point-ids.ts';
import { NodeTable, type NodeTableOptions } from './node-table.ts';
import { base64Alphabet } from './validate.ts';
import type { AnyRecord, EdgeRecord, Json, NodeKey, NodeRecord, PointRecord, RecordKind, RowRecord } from './records.ts';

/** The digest rules of a format major version: record-hash prefixes and how payload numbers canonicalise. */
interface DigestRule {
  prefix: Record<RecordKind, string>;
  numbers: NumberRule;
}

const RULES: Record<1 | 2, DigestRule> = {
  1: { prefix: { point: 'memarc.v1.point\n', node: 'memarc.v1.node\n', edge: 'memarc.v1.edge\n', row: 'memarc.v1.row\n' }, numbers: 'value' },
  2: { prefix: { point: 'memarc.v2.point\n', node: 'memarc.v2.node\n', edge: 'memarc.v2.edge\n', row: 'memarc.v2.row\n' }, numbers: 'form' },
};

/** The major version whose digest a DatasetDigest computes when not told: the one the writer writes. */
export const DIGEST_MAJOR = 2;

function ruleOf(major: number): DigestRule {
  if (major !== 1 && major !== 2) throw new RangeError(`no content digest is defined for format major version ${major}`);
  return RULES[major];
}

export function pointCanonical(p: PointRecord): string {
  return canonicalJson({ id: normId(p.id), payload: p.payload ?? {}, vectors: p.vectors } as unknown as Json);
}

export function nodeCanonical(n: NodeRecord): string {
  return canonicalJson({ labels: sortedStrings(n.labels), props: n.props } as unknown as Json);
}

export function edgeCanonical(e: EdgeRecord, srcHash: string, dstHash: string): string {
  return canonicalJson({ dst: dstHash, props: e.props, src: srcHash, type: e.type } as unknown as Json);
}

function normId(id: number | bigint | string): number | bigint | string {
  if (typeof id === 'string') return id.toLowerCase(); // UUIDs; Qdrant answers lowercase hyphenated
  return id;
}

/** Makes equal keys equal Map keys: 5 and 5n are the same node. */
export function normKey(k: NodeKey): number | string | bigint {
  if (typeof k === 'bigint' && k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(k);
  return k;
}

const B64_CHARS = /^[A-Za-z0-9+/=]*$/;

/**
 * Whether a vector's base64 text can be hashed as it is, JSON escaping none of its characters:
 * base64Alphabet (validate.ts) tells at a tenth of the regex's time on 768-dim vectors (about
 * 200 against 4,000 ns, a one-off measurement); the regex decides for a text of partial groups.
 */
function safeB64(s: string): boolean {
  return s.length % 4 === 0 ? base64Alphabet(s) : B64_CHARS.test(s);
}

/**
 * SHA-256 of `memarc.v1.point\n` + pointCanonical(p), fed to the hash in pieces so that the
 * vectors' base64 text is never copied into one more string per record. Equal to the reference
 * (test/format/digest-pieces.test.ts); any string that would need JSON escaping takes the
 * reference path.
 */
export function pointHash(p: PointRecord, major = 1): Buffer {
  const rule = ruleOf(major);
  const h = canonicalHasher();
  h.text(rule.prefix.point);
  h.text(`{"id":${canonicalJson(normId(p.id))},"payload":`);
  h.value((p.payload ?? {}) as Json, rule.numbers);
  h.text(',"vectors":{');
  const names = sortedKeys(p.vectors);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const v = p.vectors[name] as Record<string, unknown>;
    h.text(i ? ',' : '');
    h.str(name);
    h.text(':');
    const keys = Object.keys(v);
    const dense = v.dense;
    const multi = v.multi;
    if (keys.length === 1 && typeof dense === 'string' && safeB64(dense)) {
      h.text('{"dense":"');
      h.text(dense);
      h.text('"}');
    } else if (keys.length === 1 && Array.isArray(multi) && multi.every((m) => typeof m === 'string' && safeB64(m))) {
      h.text('{"multi":[');
      for (let j = 0; j < multi.length; j++) {
        h.text(j ? ',"' : '"');
        h.text(multi[j] as string);
        h.text('"');
      }
      h.text(']}');
    } else {
      h.value(v as Json);
    }
  }
  h.text('}}');
  return h.digest();
}

/** SHA-256 of a prefix and the canonical JSON of a value (canonical.ts). */
function sha256(prefix: string, body: Json, numbers: NumberRule = 'value'): Buffer {
  return canonicalHasher().text(prefix).value(body, numbers).digest();
}

/** The endpoints' node hashes of the edge being digested: source at 0, destination at 32. */
const ENDS = Buffer.alloc(64);

/**
 * SHA-256 of the edge prefix and the canonical JSON of `{dst, props, src, type}`, the endpoints
 * being their node hashes (ENDS) in hex: written into the hasher as they are, where building the
 * object took two 64-digit strings per edge (bench/RESULTS.md, session 9). Members are in
 * canonical order; an edge without props or a string type (a record validation would refuse)
 * takes the generic path, which omits or prints them as canonicalJson does.
 */
function edgeHash(prefix: string, e: EdgeRecord): Buffer {
  if (e.props === undefined || typeof e.type !== 'string') {
    const hex = ENDS.toString('hex');
    return sha256(prefix, { dst: hex.slice(64), props: e.props, src: hex.slice(0, 64), type: e.type } as unknown as Json);
  }
  return canonicalHasher()
    .text(prefix)
    .text('{"dst":"')
    .hexBytes(ENDS, 32, 64)
    .text('","props":')
    .value(e.props as Json)
    .text(',"src":"')
    .hexBytes(ENDS, 0, 32)
    .text('","type":')
    .str(e.type)
    .text('}')
    .digest();
}

/** A record whose key is unknown (an edge endpoint) or repeated (a node key, point id or row primary key). */
export class RecordKeyError extends Error {}

/** A graph record whose node key is unknown (edge endpoint) or repeated (node). */
export class NodeKeyError extends RecordKeyError {
  readonly key: NodeKey;
  constructor(key: NodeKey, message: string) {
    super(message);
    this.key = key;
  }
}

export class DuplicatePointIdError extends RecordKeyError {
  constructor(id: number | bigint | string) {
    super(`point id ${typeof id === 'string' ? id.toLowerCase() : String(id)} is used by an earlier point of this dataset; point ids must be unique`);
  }
}

export class DuplicateRowKeyError extends RecordKeyError {
  constructor(key: string) {
    super(`primary key ${key} is used by an earlier row of this dataset; primary keys must be unique`);
  }
}

/** The row's primary key as canonical JSON of the key columns' values, in key order. */
export function rowKeyText(r: RowRecord, primaryKey: readonly string[]): string {
  return canonicalJson(primaryKey.map((c) => (r.cells[c] ?? null) as Json));
}

export class UnknownNodeKeyError extends NodeKeyError {
  constructor(key: NodeKey) {
    super(key, `edge endpoint ${String(key)} is not the key of any node of this dataset`);
  }
}

export class DuplicateNodeKeyError extends NodeKeyError {
  constructor(key: NodeKey) {
    super(key, `node key ${String(key)} is used by two nodes of this dataset; keys must be unique`);
  }
}

export interface DigestOptions {
  /** The format major version whose digest rule applies (section 8); default DIGEST_MAJOR. */
  major?: number;
  /**
   * Refuse a repeated point id or row primary key (section 6.1, 6.6) with a RecordKeyError. Node
   * keys are always checked (edges need them). Readers and writers set it; a sink that digests
   * records a reader already checked need not pay for the set twice.
   */
  uniqueKeys?: boolean;
  /** Table datasets: the primary key columns of the schema. */
  primaryKey?: readonly string[];
  /** Where the node table keeps its hashes (node-table.ts), and the point-id guard its ids (point-ids.ts); tests lower its memory threshold. */
  nodeTable?: NodeTableOptions;
  /**
   * false: check the keys (node keys, edge endpoints and, with `uniqueKeys`, point ids and primary
   * keys) and count the records, but hash none: `add` returns NO_HASH and there is no digest
   * (`hex()` throws). For a reader whose consumer computes the dataset's digest itself (reader.ts
   * `digest`). Default true.
   */
  hashes?: boolean;
}

/** What `add` returns for a record it did not hash (DigestOptions.hashes false): 32 zero bytes. */
export const NO_HASH: Buffer = Buffer.alloc(32);

/** Accumulates the digest of one dataset. Feed nodes before edges. */
export class DatasetDigest {
  /** The 256-bit sum, as eight 32-bit big-endian limbs. */
  private readonly sum = new Uint32Array(8);
  readonly counts: Partial<Record<RecordKind, number>> = {};
  private nodeHashes: NodeTable | null = null;
  private keys: KeySet | null = null;
  private pointIds: PointIdGuard | null = null;
  private readonly rule: DigestRule;
  readonly major: number;
  private readonly unique: boolean;
  private readonly primaryKey: readonly string[];
  private readonly nodeTableOptions: NodeTableOptions;
  /** Whether records are hashed (DigestOptions.hashes). */
  readonly hashing: boolean;

  constructor(opts: DigestOptions = {}) {
    this.major = opts.major ?? DIGEST_MAJOR;
    this.rule = ruleOf(this.major);
    this.unique = opts.uniqueKeys ?? false;
    this.primaryKey = opts.primaryKey ?? [];
    this.hashing = opts.hashes ?? true;
    this.nodeTableOptions = this.hashing ? (opts.nodeTable ?? {}) : { ...opts.nodeTable, keysOnly: true };
  }

  /** Adds one record; returns its hash (32 bytes), which `addRecordHash` takes. */
  add(kind: RecordKind, record: AnyRecord): Buffer {
    let h: Buffer;
    const prefix = this.rule.prefix;
    switch (kind) {
      case 'point': {
        const p = record as PointRecord;
        if (this.unique && !addPointId((this.pointIds ??= new PointIdGuard(this.nodeTableOptions)), p.id)) throw new DuplicatePointIdError(p.id);
        h = this.hashing ? pointHash(p, this.major) : NO_HASH;
        break;
      }
      case 'row': {
        const r = record as RowRecord;
        if (this.unique && this.primaryKey.length > 0) {
          const key = rowKeyText(r, this.primaryKey);
          if (!addHash128((this.keys ??= new KeySet()), createHash('sha256').update(key).digest())) throw new DuplicateRowKeyError(key);
        }
        h = this.hashing ? sha256(prefix.row, { cells: r.cells } as unknown as Json, this.rule.numbers) : NO_HASH;
        break;
      }
      case 'node': {
        const n = record as NodeRecord;
        h = this.hashing ? sha256(prefix.node, { labels: sortedStrings(n.labels), props: n.props } as unknown as Json) : NO_HASH;
        const table = (this.nodeHashes ??= new NodeTable(this.nodeTableOptions));
        if (!table.add(normKey(n.key), h)) throw new DuplicateNodeKeyError(n.key);
        break;
      }
      case 'edge': {
        const e = record as EdgeRecord;
        const table = this.nodeHashes;
        if (!table?.copyHash(normKey(e.src), ENDS, 0)) throw new UnknownNodeKeyError(e.src);
        if (!table.copyHash(normKey(e.dst), ENDS, 32)) throw new UnknownNodeKeyError(e.dst);
        h = this.hashing ? edgeHash(prefix.edge, e) : NO_HASH;
        break;
      }
    }
    this.addHash(h);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    return h;
  }

  /**
   * Adds a record by the hash another digest's `add` returned for that very record (the reader's,
   * in the same pass): the same sum and counts as `add`, without hashing it again. Checks no key:
   * the digest that hashed it did.
   */
  addRecordHash(kind: RecordKind, h: Uint8Array): void {
    if (h.length !== 32) throw new RangeError(`a record hash is 32 bytes, not ${h.length}`);
    this.addHash(h);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /** Adds a record hash computed elsewhere (e.g. a verified record of a resumed import). */
  addHash(h: Uint8Array): void {
    let carry = 0;
    for (let i = 7; i >= 0; i--) {
      const limb = ((h[i * 4]! << 24) | (h[i * 4 + 1]! << 16) | (h[i * 4 + 2]! << 8) | h[i * 4 + 3]!) >>> 0;
      const s = this.sum[i]! + limb + carry;
      this.sum[i] = s >>> 0;
      carry = s > 0xffffffff ? 1 : 0;
    }
  }

  /** Adds another partial digest (hex sum) to this one: digests of disjoint parts add up. */
  addDigest(hex: string): void {
    this.addHash(Buffer.from(hex, 'hex'));
  }

  /** The digest: 64 hex digits of the sum. The empty dataset's digest is 64 zeros. */
  hex(): string {
    if (!this.hashing) throw new Error('a DatasetDigest made with hashes: false checks keys only and has no digest');
    let out = '';
    for (const limb of this.sum) out += limb.toString(16).padStart(8, '0');
    return out;
  }

  /**
   * Releases the node-hash table once edges are done (and the key set, the dataset being
   * complete): its memory, and the temporary file of a big graph's hashes. Every owner of a
   * digest that may see nodes calls it when the dataset is done, on error paths too. Idempotent;
   * hex() and counts stay.
   */
  dropNodeTable(): void {
    this.nodeHashes?.close();
    this.nodeHashes = null;
    this.pointIds?.close();
    this.pointIds = null;
    this.keys = null;
  }
}
