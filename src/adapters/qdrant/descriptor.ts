/**
 * The Qdrant adapter as the CLI sees it (src/core/descriptor.ts): `--qdrant [url]` and
 * `--collections` for export and import, `--verify` for restores, http(s):// URLs for migrate.
 * The factories load the adapter lazily, so reading this descriptor costs nothing.
 */
import type { SinkRequest, StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';
import { MemarcError } from '../../errors.ts';
import type { VerifyMode } from './collection-sink.ts';

/** The server: migrate's URL, else `--qdrant URL`, else QDRANT_URL for a bare `--qdrant`; null when not named. */
function serverUrl(req: StoreRequest): string | null {
  if (req.endpoint) return req.endpoint.url;
  const flag = req.options.qdrant;
  if (flag === undefined || flag === false) return null;
  const url = typeof flag === 'string' ? flag : req.env.QDRANT_URL;
  if (!url) throw new MemarcError('USAGE', '--qdrant needs a URL', { hint: 'pass --qdrant http://host:6333 or set QDRANT_URL' });
  return url;
}

/**
 * The API key, handed to the client as a parameter. Source and target of a migrate are usually
 * different servers with different keys: MEMARC_FROM_QDRANT_API_KEY and MEMARC_TO_QDRANT_API_KEY,
 * each falling back to QDRANT_API_KEY.
 */
export function apiKeyOf(req: Pick<StoreRequest, 'env' | 'endpoint'>): string | undefined {
  const side = req.endpoint?.side;
  return (side ? req.env[`MEMARC_${side.toUpperCase()}_QDRANT_API_KEY`] : undefined) || req.env.QDRANT_API_KEY || undefined;
}

function collectionsOf(req: StoreRequest): { collections?: string[] } {
  const c = req.options.collections as string[] | undefined;
  return c ? { collections: c } : {};
}

export const qdrantDescriptor: StoreDescriptor = {
  name: 'qdrant',
  title: 'Qdrant',
  schemes: ['http', 'https'],
  env: [
    { name: 'QDRANT_URL', help: 'the server of a bare --qdrant' },
    { name: 'QDRANT_API_KEY', help: 'the API key' },
    { name: 'MEMARC_FROM_QDRANT_API_KEY', help: 'the API key of the migrate source', side: 'from', fallback: 'QDRANT_API_KEY' },
    { name: 'MEMARC_TO_QDRANT_API_KEY', help: 'the API key of the migrate target', side: 'to', fallback: 'QDRANT_API_KEY' },
  ],
  datasets: [{ kind: 'qdrant.collection', family: 'vectors', noun: 'collections', reads: true, writes: true, fromOtherStores: true }],
  flag: '--qdrant [url]',
  selection: '--collections <names>',
  options: [
    { flags: '--qdrant [url]', help: 'a Qdrant server (default: QDRANT_URL); the API key comes from QDRANT_API_KEY', commands: ['export', 'import'] },
    { flags: '--collections <names>', help: 'only these Qdrant collections (comma-separated)', commands: ['export', 'import', 'migrate'], value: { type: 'list' } },
    {
      flags: '--verify <mode>',
      help: 'Qdrant: readback proves every point as stored (default); count checks only the exact count and the archive digest, faster',
      commands: ['import', 'migrate'],
      value: { type: 'choice', choices: ['readback', 'count'] },
      default: 'readback',
    },
  ],
  async source(req: StoreRequest) {
    const url = serverUrl(req);
    if (!url) return null;
    const apiKey = apiKeyOf(req);
    const { qdrantSource } = await import('./source.ts');
    return qdrantSource({ url, ...(apiKey ? { apiKey } : {}), ...collectionsOf(req), log: req.log });
  },
  async sink(req: SinkRequest) {
    const url = serverUrl(req);
    if (!url) return null;
    const apiKey = apiKeyOf(req);
    const verify = req.options.verify as VerifyMode | undefined;
    const { qdrantSink } = await import('./sink.ts');
    return qdrantSink({
      url,
      ...(apiKey ? { apiKey } : {}),
      ...collectionsOf(req),
      ...(verify ? { verify } : {}),
      ifExists: req.ifExists,
      convert: req.endpoint !== undefined,
      ...(req.rename ? { rename: req.rename } : {}),
      log: req.log,
    });
  },
};
