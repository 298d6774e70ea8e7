/**
 * The Neo4j adapter as the CLI sees it (src/core/descriptor.ts): `--neo4j [uri]` and
 * `--neo4j-graphs` for export and import, neo4j:// and bolt:// URIs (and their +s / +ssc
 * variants) for migrate. Credentials come from NEO4J_USERNAME / NEO4J_PASSWORD (or the URI's
 * user part; for migrate MEMARC_FROM_/MEMARC_TO_NEO4J_PASSWORD), and are handed to the driver,
 * never written anywhere. The factories load the adapter (and neo4j-driver) lazily.
 */
import type { SinkRequest, StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';
import { MemarcError } from '../../errors.ts';
import type { Neo4jConnection } from './client.ts';

function connection(req: StoreRequest): Neo4jConnection | null {
  let url: string | undefined;
  let password = req.env.NEO4J_PASSWORD || undefined;
  if (req.endpoint) {
    url = req.endpoint.url;
    password = req.env[`MEMARC_${req.endpoint.side.toUpperCase()}_NEO4J_PASSWORD`] || password;
  } else {
    const flag = req.options.neo4j;
    if (flag === undefined || flag === false) return null;
    url = typeof flag === 'string' ? flag : req.env.NEO4J_URI;
    if (!url) throw new MemarcError('USAGE', '--neo4j needs a URI', { hint: 'pass --neo4j neo4j://host:7687 or set NEO4J_URI (with NEO4J_USERNAME and NEO4J_PASSWORD)' });
  }
  const t = req.options.neo4jTimeout as number | undefined;
  const db = req.options.neo4jDatabase as string | undefined;
  return {
    url,
    ...(req.env.NEO4J_USERNAME ? { username: req.env.NEO4J_USERNAME } : {}),
    ...(password ? { password } : {}),
    ...(t !== undefined ? { timeoutMs: Math.round(t * 1000) } : {}),
    ...(db ? { database: db } : {}),
  };
}

function graphsOf(req: StoreRequest): { graphs?: string[] } {
  const g = req.options.neo4jGraphs as string[] | undefined;
  return g ? { graphs: g } : {};
}

function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new MemarcError('USAGE', `--neo4j-timeout takes a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

export const neo4jDescriptor: StoreDescriptor = {
  name: 'neo4j',
  title: 'Neo4j',
  schemes: ['neo4j', 'neo4j+s', 'neo4j+ssc', 'bolt', 'bolt+s', 'bolt+ssc'],
  env: [
    { name: 'NEO4J_URI', help: 'the server of a bare --neo4j, neo4j://host:7687 or bolt://host:7687' },
    { name: 'NEO4J_USERNAME', help: 'its user (default neo4j)' },
    { name: 'NEO4J_PASSWORD', help: 'its password' },
    { name: 'MEMARC_FROM_NEO4J_PASSWORD', help: 'the password of the migrate source', side: 'from', fallback: 'NEO4J_PASSWORD' },
    { name: 'MEMARC_TO_NEO4J_PASSWORD', help: 'the password of the migrate target', side: 'to', fallback: 'NEO4J_PASSWORD' },
  ],
  datasets: [{ kind: 'neo4j.graph', family: 'graph', noun: 'graphs', reads: true, writes: true, fromOtherStores: true }],
  flag: '--neo4j [uri]',
  selection: '--neo4j-graphs <names>',
  options: [
    { flags: '--neo4j [uri]', help: 'a Neo4j server, neo4j://host:7687 or bolt://host:7687 (default: NEO4J_URI; credentials from NEO4J_USERNAME, NEO4J_PASSWORD)', commands: ['export', 'import'] },
    { flags: '--neo4j-graphs <names>', help: 'Neo4j: the whole database by its name (default), or graphs stored as the nodes carrying a label of that name (comma-separated)', commands: ['export', 'import', 'migrate'], value: { type: 'list' } },
    { flags: '--neo4j-database <name>', help: 'Neo4j: the database (default: the server\'s default database)', commands: ['export', 'import', 'migrate'] },
    { flags: '--neo4j-timeout <seconds>', help: 'Neo4j: deadline of connecting and of every query (default 60); the export transaction has 6 h', commands: ['export', 'import', 'migrate'], value: { type: 'parse', parse: seconds } },
  ],
  async source(req: StoreRequest) {
    const c = connection(req);
    if (!c) return null;
    const { neo4jSource } = await import('./source.ts');
    return neo4jSource({ ...c, ...graphsOf(req), log: req.log });
  },
  async sink(req: SinkRequest) {
    const c = connection(req);
    if (!c) return null;
    const { neo4jSink } = await import('./sink.ts');
    return neo4jSink({ ...c, ...graphsOf(req), ifExists: req.ifExists, ...(req.rename ? { rename: req.rename } : {}), log: req.log });
  },
};
