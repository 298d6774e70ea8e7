/** The Qdrant adapter: export collections, restore them exactly, migrate between servers. */
export { qdrantSource, type QdrantSourceOptions } from './source.ts';
export { qdrantSink, type QdrantSinkOptions } from './sink.ts';
export { compareFingerprints, describeDifferences, type FingerprintDifference } from './compare.ts';
export type { IfExists, VerifyMode } from './collection-sink.ts';
export { qdrantDescriptor } from './descriptor.ts';

/** Connection options from the environment: QDRANT_URL (default http://localhost:6333) and QDRANT_API_KEY. */
export function qdrantOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { url: string; apiKey?: string } {
  const url = env.QDRANT_URL?.trim() || 'http://localhost:6333';
  const apiKey = env.QDRANT_API_KEY?.trim();
  return apiKey ? { url, apiKey } : { url };
}
