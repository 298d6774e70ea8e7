/** Every store adapter, through the one conformance suite (suite.ts): one line per store. */
import { memorySink } from '../../src/adapters/memory/index.ts';
import { qdrantSink, qdrantSource } from '../../src/adapters/qdrant/index.ts';
import { aliasMap, collectionNames } from '../qdrant/drive.ts';
import { dropCollections, qdrantTarget } from '../helpers/qdrant.ts';
import { describeStore } from './suite.ts';

describeStore('qdrant', { persistent: true, readBack: true, cli: true, keyed: true }, async () => {
  const q = await qdrantTarget();
  const auth = q.apiKey ? { apiKey: q.apiKey } : {};
  return {
    kind: 'qdrant.collection',
    cliTarget: ['--qdrant', q.url],
    sink: (o) => qdrantSink({ url: q.url, ...auth, ...o }),
    source: (names) => qdrantSource({ url: q.url, ...auth, collections: names }),
    // Also memarc's own names (memarc 0.1 created memarc_checkpoints on every import target).
    list: async (tag) => [...(await collectionNames(q.url, q.apiKey)), ...[...(await aliasMap(q.url, q.apiKey))].map(([a, c]) => `${a} -> ${c}`)].filter((n) => n.includes(tag) || n.startsWith('memarc')).sort(),
    drop: (names) => dropCollections(q.url, q.apiKey, names.filter((n) => !n.includes(' -> '))),
    close: () => q.close(),
  };
});

describeStore('falkordb', { persistent: true, readBack: true, cli: true, keyed: false }, async () => {
  const { startFalkorDB } = await import('../helpers/falkordb-server.ts');
  const { falkordbSink, falkordbSource } = await import('../../src/adapters/falkordb/index.ts');
  const { Redis } = await import('ioredis');
  const server = await startFalkorDB();
  const redis = new Redis(server.url, { lazyConnect: false });
  return {
    kind: 'falkordb.graph',
    cliTarget: ['--falkordb', server.url],
    sink: (o) => falkordbSink({ url: server.url, ...o }),
    source: (names) => falkordbSource({ url: server.url, graphs: names }),
    // Graphs and every other key: the target gets nothing the user did not ask for. FalkorDB's own
    // `telemetry{graph}` streams are written by the server, later, after queries of a graph.
    list: async (tag) => ((await redis.keys('*')) as string[]).filter((n) => (n.includes(tag) || n.startsWith('memarc')) && !n.startsWith('telemetry{')).sort(),
    drop: async (names) => {
      for (const n of names) await redis.call('GRAPH.DELETE', n).catch(() => redis.del(n));
    },
    close: async () => {
      redis.disconnect();
      await server.stop();
    },
  };
});

describeStore('postgres', { persistent: true, readBack: true, cli: true, keyed: true, staged: true }, async () => {
  // Synthetic collections, converted to pgvector tables (id text, embedding vector(n), payload jsonb) and read back as vectors.
  const { startPostgres } = await import('../helpers/postgres-server.ts');
  const { endpointOf, postgresSink, postgresSource } = await import('../../src/adapters/postgres/index.ts');
  const { default: pg } = await import('pg');
  const server = await startPostgres();
  const db = await server.database('conformance');
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  return {
    kind: 'qdrant.collection',
    cliTarget: ['--postgres', db, '--tables', 'data'], // a Qdrant collection: converted because --tables names it
    sink: (o) => postgresSink({ endpoint: endpointOf(db, {}), convert: true, ...o }),
    source: (names) => postgresSource({ endpoint: endpointOf(`${db}?table=${encodeURIComponent(names[0]!)}&payload_json=payload`, {}) }),
    // Tables (staging and kept copies included, as schema.table) and memarc's own schemas.
    list: async (tag) => {
      const r = await client.query<{ name: string }>(`
        SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND (c.relname LIKE '%' || $1 || '%' OR n.nspname LIKE 'memarc%')
        UNION SELECT nspname FROM pg_namespace WHERE nspname LIKE 'memarc%'`, [tag]);
      return r.rows.map((x) => x.name).sort();
    },
    drop: async (names) => {
      for (const n of names) await client.query(n.includes('.') ? `DROP TABLE IF EXISTS ${n.split('.').map((x) => `"${x}"`).join('.')} CASCADE` : `DROP SCHEMA IF EXISTS "${n}" CASCADE`).catch(() => {});
    },
    close: async () => {
      await client.end();
      await server.stop();
    },
  };
});

describeStore('memory', { persistent: false, readBack: false, cli: false, keyed: false }, async () => {
  const sinks: Array<ReturnType<typeof memorySink>> = [];
  return {
    kind: 'qdrant.collection',
    sink: (o) => {
      const s = memorySink({ rename: o.rename });
      sinks.push(s);
      return s;
    },
    source: () => null,
    list: async (tag) => sinks.flatMap((s) => [...s.datasets].filter(([n, d]) => n.includes(tag) && d.committed).map(([n]) => n)).sort(),
    drop: async () => {},
    close: async () => {},
  };
});
