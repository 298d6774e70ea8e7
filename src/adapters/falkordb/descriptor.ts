/**
 * The FalkorDB adapter as the CLI sees it (src/core/descriptor.ts): `--falkordb [url]` and
 * `--graphs` for export and import, redis:// and rediss:// URLs for migrate. The factories load
 * the adapter (and ioredis) lazily, so reading this descriptor costs nothing.
 */
import type { SinkRequest, StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';
import { MemarcError } from '../../errors.ts';

/**
 * The server: migrate's URL (with MEMARC_FROM_/MEMARC_TO_FALKORDB_PASSWORD put in when the URL
 * has no password), else `--falkordb URL`, else FALKORDB_URL or FALKORDB_HOST/PORT/PASSWORD for
 * a bare `--falkordb`; null when not named. The password travels in the URL handed to the client,
 * never through process.env.
 */
async function serverUrl(req: StoreRequest): Promise<string | null> {
  if (req.endpoint) return withPassword(req.endpoint.url, req.env[`MEMARC_${req.endpoint.side.toUpperCase()}_FALKORDB_PASSWORD`]);
  const flag = req.options.falkordb;
  if (flag === undefined || flag === false) return null;
  if (typeof flag === 'string') return flag;
  const { falkordbOptionsFromEnv } = await import('./index.ts');
  const env = falkordbOptionsFromEnv(req.env);
  if (!env) throw new MemarcError('USAGE', '--falkordb needs a URL', { hint: 'pass --falkordb redis://host:6379 or set FALKORDB_URL (or FALKORDB_HOST/PORT/PASSWORD)' });
  return env.url;
}

function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const u = new URL(url);
  if (u.password) return url;
  u.password = password;
  return u.toString();
}

function graphsOf(req: StoreRequest): { graphs?: string[] } {
  const g = req.options.graphs as string[] | undefined;
  return g ? { graphs: g } : {};
}

/** --timeout in seconds: a positive, finite number. */
function seconds(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new MemarcError('USAGE', `--timeout takes a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

function deadlineOf(req: StoreRequest): { timeoutMs?: number } {
  const t = req.options.timeout as number | undefined;
  return t !== undefined ? { timeoutMs: Math.round(t * 1000) } : {};
}

function snapshotOf(req: StoreRequest): { snapshot?: 'none' | 'copy' } {
  const s = req.options.snapshot as 'none' | 'copy' | undefined;
  return s ? { snapshot: s } : {};
}

export const falkordbDescriptor: StoreDescriptor = {
  name: 'falkordb',
  title: 'FalkorDB',
  schemes: ['redis', 'rediss'],
  env: [
    { name: 'FALKORDB_URL', help: 'the server of a bare --falkordb, redis://[:password@]host:port' },
    { name: 'FALKORDB_HOST', help: 'the server of a bare --falkordb when FALKORDB_URL is unset' },
    { name: 'FALKORDB_PORT', help: 'its port (default 6379)' },
    { name: 'FALKORDB_PASSWORD', help: 'its password' },
    { name: 'MEMARC_FROM_FALKORDB_PASSWORD', help: 'the password of the migrate source, when its URL has none', side: 'from' },
    { name: 'MEMARC_TO_FALKORDB_PASSWORD', help: 'the password of the migrate target, when its URL has none', side: 'to' },
  ],
  datasets: [{ kind: 'falkordb.graph', family: 'graph', noun: 'graphs', reads: true, writes: true, fromOtherStores: true }],
  flag: '--falkordb [url]',
  selection: '--graphs <names>',
  options: [
    { flags: '--falkordb [url]', help: 'a FalkorDB server, redis://[:password@]host:port (default: FALKORDB_URL, or FALKORDB_HOST/PORT/PASSWORD)', commands: ['export', 'import'] },
    { flags: '--graphs <names>', help: 'only these FalkorDB graphs (comma-separated)', commands: ['export', 'import', 'migrate'], value: { type: 'list' } },
    {
      flags: '--snapshot <mode>',
      help: 'FalkorDB: none reads the live graph with read-only queries (fuzzy, no writes); copy reads a GRAPH.COPY (one point in time; needs write access and memory, and can deadlock FalkorDB 4.16 under concurrent writes)',
      commands: ['export', 'migrate'],
      value: { type: 'choice', choices: ['none', 'copy'] },
      default: 'none',
    },
    { flags: '--timeout <seconds>', help: 'FalkorDB: deadline of every command and connection attempt (default 60)', commands: ['export', 'import', 'migrate'], value: { type: 'parse', parse: seconds } },
  ],
  async source(req: StoreRequest) {
    const url = await serverUrl(req);
    if (!url) return null;
    const { falkordbSource } = await import('./source.ts');
    return falkordbSource({ url, ...graphsOf(req), ...deadlineOf(req), ...snapshotOf(req), log: req.log });
  },
  async sink(req: SinkRequest) {
    const url = await serverUrl(req);
    if (!url) return null;
    const { falkordbSink } = await import('./sink.ts');
    return falkordbSink({ url, ...graphsOf(req), ...deadlineOf(req), ifExists: req.ifExists, ...(req.rename ? { rename: req.rename } : {}), log: req.log });
  },
};
