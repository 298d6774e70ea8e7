/** FalkorDB adapter: graphs as `falkordb.graph` datasets of `node` and `edge` records (README.md). */
export { falkordbSource, type FalkorSourceOptions, type SnapshotMode } from './source.ts';
export { falkordbSink, type FalkorSinkOptions } from './sink.ts';
export { falkordbDescriptor } from './descriptor.ts';

/**
 * Connection options from the environment, as AutoMem names them: FALKORDB_URL, or
 * FALKORDB_HOST / FALKORDB_PORT (default 6379) / FALKORDB_PASSWORD.
 */
export function falkordbOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string } | null {
  if (env.FALKORDB_URL) return { url: env.FALKORDB_URL };
  if (!env.FALKORDB_HOST) return null;
  const u = new URL('redis://localhost');
  u.hostname = env.FALKORDB_HOST;
  u.port = env.FALKORDB_PORT ?? '6379';
  if (env.FALKORDB_PASSWORD) u.password = env.FALKORDB_PASSWORD;
  return { url: u.toString().replace(/\/$/, '') };
}
