/**
 * The FalkorDB source: one dataset (`falkordb.graph`) per graph, each read from a point-in-time
 * copy (temp-copies.ts), nodes then edges, paged by id (reader.ts). Indexes and constraints form
 * the fingerprint (schema.ts).
 */
import type { DatasetSource, Source } from '../../core/adapter.ts';
import { MemarcError } from '../../errors.ts';
import type { JsonObject, RecordByKind, RecordKind } from '../../format/records.ts';
import { FalkorClient } from './client.ts';
import { readEdges, readNodes, SchemaNames } from './reader.ts';
import { readSchema } from './schema.ts';
import { TMP_PREFIX, TempCopies } from './temp-copies.ts';
import { serverInfo } from './server-info.ts';

export interface FalkorSourceOptions {
  url: string;
  /** Graphs to export; all graphs (GRAPH.LIST, without memarc's temporary ones) when absent. */
  graphs?: string[];
  /** Nodes or edges per page (default 10,000). Must stay below the server's RESULTSET_SIZE. */
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
  const client = new FalkorClient(opts.url);
  const pageSize = opts.pageSize ?? 10_000;
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
      await copies.sweep(opts.cleanupStale ?? true, log);
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
        const tmp = await copies.copy(graph);
        log(`graph "${graph}": reading the point-in-time copy "${tmp}"`);
        const schema = await readSchema(client, tmp);
        const fingerprint = { indexes: schema.indexes, constraints: schema.constraints } as unknown as JsonObject;
        const schemaNames = new SchemaNames(client, tmp);
        out.push({
          descriptor: {
            name: graph,
            kind: 'falkordb.graph',
            fingerprint,
            source: { type: 'falkordb', url: client.redactedUrl, serverVersion: info.serverVersion, moduleVersion: info.moduleVersion },
          },
          batches<K extends RecordKind>(kind: K, sig?: AbortSignal): AsyncIterable<RecordByKind[K][]> {
            const ro = { pageSize, exactDoubles: opts.exactDoubles ?? true, depth: opts.concurrency ?? 2, signal: sig ?? signal };
            const wrapErrors = async function* (): AsyncGenerator<RecordByKind[K][]> {
              try {
                await schemaNames.refresh();
                if (kind === 'node') yield* readNodes(client, tmp, schemaNames, ro) as AsyncGenerator<RecordByKind[K][]>;
                else if (kind === 'edge') {
                  yield* readEdges(client, tmp, schemaNames, ro) as AsyncGenerator<RecordByKind[K][]>;
                  await copies.drop(tmp); // done with this graph: free the copy early
                } else throw new MemarcError('INTERNAL', `a graph has no records of kind ${kind}`);
              } catch (err) {
                const e = client.wrap(err, `graph "${graph}"`);
                if (e.code === 'CONNECTION_FAILED') e.message += ` (while reading the ${kind}s of graph "${graph}")`;
                throw e;
              }
            };
            return wrapErrors();
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
