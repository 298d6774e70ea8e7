/**
 * The FalkorDB source: one dataset (`falkordb.graph`) per graph, nodes then edges, paged by id
 * (reader.ts). Indexes and constraints form the fingerprint (schema.ts).
 *
 * Two ways to read a graph:
 * - `snapshot: 'none'` (the default): read-only paged queries (GRAPH.RO_QUERY) on the live graph.
 *   Nothing is written to the server, its memory does not grow, writers are only held up for
 *   the length of one page, and it works on a read-only replica. The archive is fuzzy (live.ts):
 *   each page is one state of the graph, every edge's endpoints are in the archive, and a
 *   before-and-after check says whether the graph changed during the export (in the log and in
 *   the trailer's notes for the dataset).
 * - `snapshot: 'copy'`: a point-in-time copy (GRAPH.COPY, temp-copies.ts) taken just before the
 *   graph is read, after checking that it fits into the server's memory, and deleted right after.
 *   One consistent state, at the price of write access, a second copy in memory, and a known
 *   deadlock of FalkorDB 4.16.3 when someone writes to the graph during the copy.
 */
import { graphSchema } from './neutral.ts';
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { JsonObject, RecordByKind, RecordKind } from '../../format/records.ts';
import { FalkorClient } from './client.ts';
import { LiveRead } from './live.ts';
import { readEdges, readNodes, SchemaNames, type ReadOptions } from './reader.ts';
import { readSchema } from './schema.ts';
import { TMP_PREFIX, TempCopies } from './temp-copies.ts';
import { serverInfo } from './server-info.ts';

export type SnapshotMode = 'none' | 'copy';

export interface FalkorSourceOptions {
  url: string;
  /** Graphs to export; all graphs (GRAPH.LIST, without memarc's temporary ones) when absent. */
  graphs?: string[];
  /** 'none' (default): read the live graph with read-only queries; 'copy': read a GRAPH.COPY. */
  snapshot?: SnapshotMode;
  /** Deadline of every server command and connection attempt, in ms (default 60,000). */
  timeoutMs?: number;
  /**
   * Nodes or edges per page (default 2,500). Must stay below the server's RESULTSET_SIZE. Up to
   * three pages are held at once (two in flight, one decoded), each as the reply's nested arrays
   * and then as records: at 10,000 a 100k-node export peaked at 187 MiB of RSS with 60 MiB of
   * live heap, at 2,500 at 147–155 MiB, in the same time (bench/RESULTS.md, "The whole job").
   */
  pageSize?: number;
  /** Page requests in flight at once, on up to two connections (default 2). */
  concurrency?: number;
  /** Ask the server for exact doubles (default true; see exact-double.ts). */
  exactDoubles?: boolean;
  /** Delete stale temporary copies of earlier runs (default true) or only report them. */
  cleanupStale?: boolean;
  /** Lease TTL of a temporary copy in ms (default 60,000). */
  leaseMs?: number;
  log?: (msg: string) => void;
}

export function falkordbSource(opts: FalkorSourceOptions): Source {
  const snapshot = opts.snapshot ?? 'none';
  if (snapshot !== 'none' && snapshot !== 'copy') throw new MemarcError('USAGE', `unknown snapshot mode ${JSON.stringify(snapshot)}`, { hint: "use 'none' (read the live graph) or 'copy'" });
  const client = new FalkorClient(opts.url, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  const pageSize = opts.pageSize ?? 2_500;
  const log = opts.log ?? (() => {});
  const copies = new TempCopies(client, opts.leaseMs ?? 60_000);

  return {
    async open(signal?: AbortSignal): Promise<DatasetSource[]> {
      await client.connect('FalkorDB');
      const limit = Number((await client.call('GRAPH.CONFIG', 'GRAPH.CONFIG', 'GET', 'RESULTSET_SIZE') as string[])[1]);
      if (limit >= 0 && pageSize >= limit) {
        throw new MemarcError('USAGE', `page size ${pageSize} is not below the server's RESULTSET_SIZE ${limit}: pages would be cut silently`, {
          hint: `use a page size below ${limit}, or raise it with GRAPH.CONFIG SET RESULTSET_SIZE -1`,
        });
      }
      try {
        await copies.sweep(opts.cleanupStale ?? true, log);
      } catch (err) {
        // A read-only replica refuses the delete; the export itself needs no write access.
        const e = client.wrap(err, 'stale temporary copies');
        if (e.code !== 'STORE_ERROR') throw e;
        log(`could not remove stale temporary copies (${e.message}); delete them on the primary with GRAPH.DELETE`);
      }
      const all = (await client.listGraphs()).filter((g) => !g.startsWith(TMP_PREFIX) && !g.startsWith('memarc_stage_'));
      const names = opts.graphs ?? all.sort();
      for (const g of names) {
        if (!all.includes(g)) {
          throw new MemarcError('NOT_FOUND', `graph "${g}" does not exist on ${client.redactedUrl}`, { hint: `existing graphs: ${all.join(', ') || '(none)'}`, context: { dataset: g } });
        }
      }
      const info = await serverInfo(client);
      const out: DatasetSource[] = [];
      for (const graph of names) {
        if (signal?.aborted) throw new MemarcError('INTERRUPTED', 'export interrupted', { cause: signal.reason });
        const schema = await readSchema(client, graph);
        const fingerprint = { indexes: schema.indexes, constraints: schema.constraints } as unknown as JsonObject;
        const live = snapshot === 'none' ? new LiveRead() : null;
        /** The graph the pages come from: the live graph, or its copy once taken. */
        let from = graph;
        let names: SchemaNames | null = null;
        const batches = async function* (kind: RecordKind, sig: AbortSignal | undefined): AsyncGenerator<unknown[]> {
          const ro: ReadOptions = { pageSize, exactDoubles: opts.exactDoubles ?? true, depth: opts.concurrency ?? 2, warn: log, name: graph, ...(live ? { live } : {}) };
          const s = sig ?? signal;
          if (s) ro.signal = s;
          try {
            if (kind === 'node') {
              if (snapshot === 'copy') {
                from = await copies.copy(graph);
                log(`graph "${graph}": reading the point-in-time copy "${from}"`);
              }
              names = new SchemaNames(client, from);
              await names.refresh();
              yield* readNodes(client, from, names, ro);
            } else if (kind === 'edge') {
              names ??= new SchemaNames(client, from);
              await names.refresh();
              yield* readEdges(client, from, names, ro);
              if (from !== graph) await copies.drop(from); // done with this graph: free the copy now
              const changed = live?.describe(graph);
              if (changed) log(changed);
            } else throw new MemarcError('INTERNAL', `a graph has no records of kind ${kind}`);
          } catch (err) {
            const e = client.wrap(err, `graph "${graph}"`);
            if (e.code === 'CONNECTION_FAILED') e.message += ` (while reading the ${kind}s of graph "${graph}")`;
            throw e;
          }
        };
        out.push({
          descriptor: {
            name: graph,
            kind: 'falkordb.graph',
            family: 'graph',
            store: 'falkordb',
            schema: graphSchema(fingerprint),
            fingerprint,
            source: {
              type: 'falkordb',
              url: client.redactedUrl,
              serverVersion: info.serverVersion,
              moduleVersion: info.moduleVersion,
              // Informational (spec/FORMAT.md 15.1): how the graph was read.
              consistency: live ? 'fuzzy' : 'snapshot',
              read: live ? 'read-only paged queries on the live graph' : 'a point-in-time copy (GRAPH.COPY)',
            },
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            return batches(kind, sig) as AsyncIterable<RecordByKind[K][]>;
          },
          notes(): JsonObject {
            return live ? live.notes() : { consistency: 'snapshot' };
          },
        });
      }
      return out;
    },

    async close(): Promise<void> {
      const left = await copies.dropAll();
      for (const tmp of left) log(`could not delete the temporary copy "${tmp}" (server unreachable): the next export removes it, or run GRAPH.DELETE ${tmp}`);
      await client.close();
    },
  };
}
