/**
 * The Neo4j source: one `graph` dataset per selected graph (scope.ts), nodes then relationships,
 * read in ONE read transaction per graph with streamed results (the driver pulls `fetchSize`
 * records at a time and stops pulling while the archive writer is busy: backpressure, no SKIP,
 * no paging). Indexes and constraints are read first, into the native configuration.
 *
 * Consistency: Neo4j's isolation is read-committed, so one transaction is not a snapshot: a
 * node created while the export runs may or may not be in it. Every exported relationship's
 * endpoints are in the archive (the ids of the exported nodes are kept, a number each, and a
 * relationship to a node not read is left out and counted in the trailer's notes). Stop writers
 * (or export from a read replica that receives no writes) for a point-in-time archive.
 *
 * Deadlines: connecting and each query have `timeoutMs`; the export transaction has a
 * server-side timeout (`txTimeoutMs`, default 6 h) and a client-side watchdog that fails the
 * export when no record arrives for `timeoutMs`.
 */
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { IdSet } from '../../core/id-set.ts';
import { MemarcError } from '../../errors.ts';
import type { EdgeRecord, JsonObject, NodeRecord, RecordByKind, RecordKind, TypedValue } from '../../format/records.ts';
import { Neo4jClient, type Neo4jConnection } from './client.ts';
import { graphSchema } from './neutral.ts';
import { readSchema } from './schema.ts';
import { archivedLabels, nodeMatch, scopeOf, type Scope } from './scope.ts';
import { toArchive, UnsupportedValue } from './values.ts';
import type { Session, Transaction } from 'neo4j-driver';
import { setMember } from '../../format/json.ts';

export interface Neo4jSourceOptions extends Neo4jConnection {
  /** Graphs to export (scope.ts); default: the whole database. */
  graphs?: string[];
  /** Records per batch handed to the writer, and per pull from the server (default 2,000). */
  batchSize?: number;
  /** Server-side timeout of the export transaction, in ms (default 6 hours). */
  txTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** A property map in its archive form; a value the archive cannot hold fails the export, named. */
export function archiveProps(p: Record<string, unknown>, where: () => string, skip?: (k: string) => boolean): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = {};
  for (const k in p) {
    if (skip?.(k)) continue;
    try {
      setMember(out, k, toArchive(p[k]));
    } catch (err) {
      if (!(err instanceof UnsupportedValue)) throw err;
      throw new MemarcError('STORE_ERROR', `${where()}, property "${k}": the archive cannot hold ${err.message}`, {
        hint: 'change the value in Neo4j (or leave the property out) and export again',
      });
    }
  }
  return out;
}

export function neo4jSource(opts: Neo4jSourceOptions): Source {
  const client = new Neo4jClient(opts);
  const batchSize = opts.batchSize ?? 2_000;
  const log = opts.log ?? (() => {});
  const open: Array<{ session: Session; tx: Transaction }> = [];

  return {
    async open(signal?: AbortSignal): Promise<DatasetSource[]> {
      await client.connect('Neo4j');
      const info = await client.serverVersion();
      const database = await client.databaseName();
      const names = opts.graphs ?? [database];
      if (new Set(names).size !== names.length) throw new MemarcError('USAGE', 'a Neo4j graph is named twice in --neo4j-graphs');
      const out: DatasetSource[] = [];
      for (const name of names) {
        if (signal?.aborted) throw new MemarcError('INTERRUPTED', 'export interrupted', { cause: signal.reason });
        const scope = scopeOf(name, database);
        // The labels and types the graph holds: the database's, or (a labelled graph) those of its
        // nodes and their relationships, one scan of the graph label's index. The archive keeps
        // the indexes and constraints that name only these.
        let l: Array<Record<string, unknown>>;
        let t: Array<Record<string, unknown>>;
        if (!scope.label) {
          l = await client.run('READ', 'CALL db.labels() YIELD label RETURN collect(label) AS l');
          t = await client.run('READ', 'CALL db.relationshipTypes() YIELD relationshipType RETURN collect(relationshipType) AS t');
        } else {
          l = await client.run('READ', `MATCH ${nodeMatch(scope, 'n')} UNWIND labels(n) AS x RETURN collect(DISTINCT x) AS l`);
          t = await client.run('READ', `MATCH ${nodeMatch(scope, 'n')} MATCH (n)-[r]->() RETURN collect(DISTINCT type(r)) AS t`);
        }
        const names2 = { labels: archivedLabels(scope, l[0]!.l as string[]).sort(), edgeTypes: (t[0]!.t as string[]).sort() };
        if (scope.label && (await client.run('READ', `MATCH ${nodeMatch(scope, 'n')} RETURN 1 LIMIT 1`)).length === 0) {
          log(`graph "${name}": no node carries the label "${name}"; the archive holds an empty graph (is the name right? --neo4j-graphs names graph labels, or the database)`);
        }
        const held = new Set([...names2.labels, ...names2.edgeTypes]);
        const schema = await readSchema(client, (x) => held.has(x));
        const fingerprint = { indexes: schema.indexes, constraints: schema.constraints } as unknown as JsonObject;
        const state = new GraphRead(client, scope, batchSize, opts.txTimeoutMs ?? 6 * 3600_000, open);
        out.push({
          descriptor: {
            name,
            kind: 'neo4j.graph',
            family: 'graph',
            store: 'neo4j',
            schema: graphSchema(schema, names2),
            fingerprint,
            source: {
              type: 'neo4j',
              url: client.redactedUrl,
              serverVersion: info.version,
              edition: info.edition,
              database,
              graph: scope.label ? `the nodes labelled ${scope.label}` : 'the whole database',
              consistency: 'read-committed',
              read: 'one read transaction, streamed',
            },
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            return state.batches(kind, sig ?? signal) as AsyncIterable<RecordByKind[K][]>;
          },
          notes: () => state.notes(),
        });
      }
      return out;
    },
    async close(): Promise<void> {
      for (const o of open.splice(0)) {
        await o.tx.rollback().catch(() => {});
        await o.session.close().catch(() => {});
      }
      await client.close();
    },
  };
}

class GraphRead {
  private readonly ids = new IdSet();
  private nodes = 0;
  private edges = 0;
  private leftOut = 0;
  private tx: { session: Session; tx: Transaction } | null = null;

  private readonly client: Neo4jClient;
  private readonly scope: Scope;
  private readonly batchSize: number;
  private readonly txTimeoutMs: number;
  private readonly open: Array<{ session: Session; tx: Transaction }>;

  constructor(client: Neo4jClient, scope: Scope, batchSize: number, txTimeoutMs: number, open: Array<{ session: Session; tx: Transaction }>) {
    this.client = client;
    this.scope = scope;
    this.batchSize = batchSize;
    this.txTimeoutMs = txTimeoutMs;
    this.open = open;
  }

  notes(): JsonObject {
    return { consistency: 'read-committed', nodesRead: this.nodes, edgesRead: this.edges, edgesLeftOut: this.leftOut };
  }

  private begin(): Transaction {
    if (!this.tx) {
      const session = this.client.session('READ', this.batchSize);
      const tx = session.beginTransaction({ timeout: this.txTimeoutMs, metadata: { app: 'memarc export' } });
      this.tx = { session, tx };
      this.open.push(this.tx);
    }
    return this.tx.tx;
  }

  private async end(): Promise<void> {
    const t = this.tx;
    this.tx = null;
    if (!t) return;
    this.open.splice(this.open.indexOf(t), 1);
    await t.tx.commit().catch(() => {});
    await t.session.close().catch(() => {});
  }

  async *batches(kind: RecordKind, signal?: AbortSignal): AsyncGenerator<unknown[]> {
    const what = this.scope.label ? `graph "${this.scope.name}"` : `database "${this.scope.name}"`;
    try {
      if (kind === 'node') {
        const q = `MATCH ${nodeMatch(this.scope, 'n')} RETURN id(n) AS k, labels(n) AS l, properties(n) AS p`;
        yield* this.stream(q, signal, what, (r) => {
          const k = r.get('k') as bigint;
          const key = Number.isSafeInteger(Number(k)) ? Number(k) : k;
          this.ids.add(key);
          this.nodes++;
          const rec: NodeRecord = { key, labels: archivedLabels(this.scope, r.get('l') as string[]), props: archiveProps(r.get('p') as Record<string, unknown>, () => `${what}, node ${key}`) };
          return rec;
        });
      } else if (kind === 'edge') {
        const q = `MATCH ${nodeMatch(this.scope, 'a')} MATCH (a)-[e]->(b) RETURN id(a) AS s, id(b) AS d, id(e) AS i, type(e) AS t, properties(e) AS p`;
        yield* this.stream(q, signal, what, (r) => {
          const num = (x: bigint) => (Number.isSafeInteger(Number(x)) ? Number(x) : x);
          const src = num(r.get('s') as bigint);
          const dst = num(r.get('d') as bigint);
          // Only relationships whose both ends were exported (the other end may be outside the
          // graph, or created after the nodes were read).
          if (!this.ids.has(dst) || !this.ids.has(src)) {
            this.leftOut++;
            return null;
          }
          this.edges++;
          const rec: EdgeRecord = { type: r.get('t') as string, src, dst, props: archiveProps(r.get('p') as Record<string, unknown>, () => `${what}, relationship ${String(r.get('i'))}`) };
          return rec;
        });
        this.ids.clear();
        await this.end();
      } else throw new MemarcError('INTERNAL', `a graph has no records of kind ${kind}`);
    } catch (err) {
      throw this.client.wrap(err, what);
    }
  }

  private async *stream<T>(query: string, signal: AbortSignal | undefined, what: string, map: (r: import('neo4j-driver').Record) => T | null): AsyncGenerator<T[]> {
    const tx = this.begin();
    const session = this.tx!.session;
    let batch: T[] = [];
    for await (const r of this.client.records(tx.run(query), what, () => void session.close().catch(() => {}))) {
      if (signal?.aborted) throw new MemarcError('INTERRUPTED', 'export interrupted', { cause: signal.reason });
      const rec = map(r);
      if (rec !== null) batch.push(rec);
      if (batch.length >= this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
}
