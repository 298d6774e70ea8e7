/** Every store adapter, through the one conformance suite (suite.ts). */
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { dropCollections, qdrantHeaders, qdrantTarget } from '../helpers/qdrant.ts';
import { describeStore } from './suite.ts';

describeStore('qdrant', async () => {
  const q = await qdrantTarget();
  const auth = q.apiKey ? { apiKey: q.apiKey } : {};
  return {
    kind: 'qdrant.collection',
    sink: (o) => qdrantSink({ url: q.url, ...auth, ...o }),
    source: (names) => qdrantSource({ url: q.url, ...auth, collections: names }),
    exists: async (name) => (await fetch(`${q.url}/collections/${encodeURIComponent(name)}`, { headers: qdrantHeaders(q.apiKey) })).status === 200,
    drop: (names) => dropCollections(q.url, q.apiKey, names),
    close: () => q.close(),
  };
});

describeStore('falkordb', async () => {
  const { startFalkorDB } = await import('../helpers/falkordb-server.ts');
  const { falkordbSink, falkordbSource } = await import('../../src/adapters/falkordb/index.ts');
  const { Redis } = await import('ioredis');
  const server = await startFalkorDB();
  const redis = new Redis(server.url, { lazyConnect: false });
  return {
    kind: 'falkordb.graph',
    sink: (o) => falkordbSink({ url: server.url, ...o }),
    source: (names) => falkordbSource({ url: server.url, graphs: names }),
    exists: async (name) => ((await redis.call('GRAPH.LIST')) as string[]).includes(name),
    drop: async (names) => {
      for (const n of names) await redis.call('GRAPH.DELETE', n).catch(() => {});
    },
    close: async () => {
      redis.disconnect();
      await server.stop();
    },
  };
});
