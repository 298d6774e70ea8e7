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

describeStore('sqlite', { persistent: true, readBack: true, cli: true, keyed: true, staged: true }, async () => {
  const { mkdtemp, readdir, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { DatabaseSync } = await import('node:sqlite');
  const { sqliteSink, sqliteSource } = await import('../../src/adapters/sqlite/index.ts');
  const { generatedTables } = await import('../sqlite/tables.ts');
  const dir = await mkdtemp(join(tmpdir(), 'memarc-conf-sqlite-'));
  // An existing (empty) database: every test restores tables into it; a new file is test/sqlite's.
  const path = join(dir, 'target.db');
  new DatabaseSync(path).close();
  // After a kill -9 of the CLI inside a transaction, the file has a hot journal, which a read-only
  // export refuses (test/sqlite/hot-journal.test.ts); the application's next read rolls it back,
  // and so does this one before the suite looks at the target.
  const recover = (): void => {
    const db = new DatabaseSync(path);
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } finally {
      db.close();
    }
  };
  const tables = (): string[] => {
    recover();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'sqlite.table',
    archiveSources: (count, names, seed) => generatedTables(count, names, seed),
    cliTarget: ['--sqlite', path],
    sink: (o) => sqliteSink({ path, ...o }),
    source: (names) => {
      recover();
      return sqliteSource({ path, tables: names });
    },
    // Tables, and any file beside the database but its own journals (a temporary file left behind).
    list: async (tag) => [
      ...tables().filter((n) => n.includes(tag) || n.startsWith('memarc')),
      ...(await readdir(dir)).filter((f) => !/^target\.db(-journal|-wal|-shm)?$/.test(f)),
    ].sort(),
    drop: async (names) => {
      const db = new DatabaseSync(path);
      try {
        for (const n of names) db.exec(`DROP TABLE IF EXISTS "${n.replace(/"/g, '""')}"`);
      } finally {
        db.close();
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

describeStore('neo4j', { persistent: true, readBack: true, cli: true, keyed: false }, async () => {
  const { neo4jTarget } = await import('../helpers/neo4j-server.ts');
  const { neo4jSyntheticSource } = await import('../helpers/neo4j-synthetic.ts');
  const { neo4jSink, neo4jSource } = await import('../../src/adapters/neo4j/index.ts');
  const { default: neo4j } = await import('neo4j-driver');
  const server = await neo4jTarget();
  const conn = { url: server.uri, username: server.username, password: server.password };
  const driver = neo4j.driver(server.uri, neo4j.auth.basic(server.username, server.password));
  const names = async (q: string) => (await driver.executeQuery(q)).records.map((r) => r.get(0) as string);
  return {
    kind: 'falkordb.graph',
    // Neo4j graphs of the synthetic data (the labelled graphs of one database: scope.ts).
    archiveSources: (count, graphs, seed) => graphs.map((g) => neo4jSyntheticSource({ count, seed, graph: g })),
    cliTarget: ['--neo4j', server.uriWithAuth],
    sink: (o) => neo4jSink({ ...conn, ...o }),
    source: (graphs) => neo4jSource({ ...conn, graphs }),
    // Graph labels, memarc's staging labels and every index or constraint: the target gets nothing
    // the user did not ask for. Only names with the tag: other test files share the server, and
    // memarc's own names for a target hold the target's name.
    list: async (tag) => [
      ...(await names('CALL db.labels() YIELD label RETURN label')),
      ...(await names('SHOW INDEXES YIELD name RETURN name')),
      ...(await names('SHOW CONSTRAINTS YIELD name RETURN name')),
    ].filter((n) => n.includes(tag)).sort(),
    drop: async (labels) => {
      for (const l of labels) {
        if (l.includes('`')) continue;
        const s = driver.session();
        await s.run(`MATCH (n:\`${l}\`) CALL (n) { DETACH DELETE n } IN TRANSACTIONS`).catch(() => {});
        await s.close();
        await driver.executeQuery(`DROP INDEX \`${l}\` IF EXISTS`).catch(() => {});
      }
    },
    close: () => driver.close(),
  };
});
