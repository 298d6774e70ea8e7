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
