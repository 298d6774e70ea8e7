/**
 * Memory graphs of the shapes the Neo4j tests restore and convert, built on the real servers with
 * plain Cypher (nothing of memarc's):
 *
 * - **deep-memory** (OpenClaw's deep-memory-server, Neo4j + Qdrant): `Memory` nodes with a
 *   namespace, content, the id of their embedding in Qdrant and zoned timestamps; `Entity` nodes;
 *   `MENTIONS` (Memory → Entity) and `RELATED_TO` (Memory → Memory) relationships (the test adds
 *   a uniqueness constraint on Memory.embedding_id).
 * - **AutoMem** (FalkorDB): `Memory` nodes with id, content, tags, importance, a local timestamp
 *   and a vecf32 embedding under a vector index; `Entity` nodes; typed relationships with a
 *   strength (RELATES_TO, LEADS_TO, MENTIONS), including a self-loop and parallel edges.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Neo4jTest } from './helpers.ts';

export const DEEP_MEMORY = { memories: 60, entities: 15 };

/** Builds a deep-memory graph under the graph label `g` (scope.ts); returns the Qdrant point ids it names. */
export async function deepMemoryGraph(t: Neo4jTest, g: string, ns = 'agent-1'): Promise<string[]> {
  // Fresh UUIDs: the memory ids are unique database-wide (a constraint), and tests share the database.
  const ids = Array.from({ length: DEEP_MEMORY.memories }, () => randomUUID());
  await t.run(
    `UNWIND range(0, $e - 1) AS i CREATE (:\`${g}\`:Entity {name: 'entity ' + i, kind: CASE i % 3 WHEN 0 THEN 'person' WHEN 1 THEN 'project' ELSE 'tool' END})`,
    { e: DEEP_MEMORY.entities },
  );
  await t.run(
    `UNWIND range(0, size($ids) - 1) AS i
     CREATE (m:\`${g}\`:Memory {id: $ids[i], seq: i, namespace: $ns, content: 'memory number ' + i + ' about entity ' + (i % toInteger($e)),
       embedding_id: $ids[i], importance: toFloat(i % 10) / 10.0, access_count: i,
       created_at: datetime({epochSeconds: 1767225600 + i * 3600, nanosecond: i * 1000, timezone: 'Europe/Zurich'}),
       tags: ['t' + (i % 4), 't' + (i % 5)]})
     WITH m, i
     // (a JavaScript number parameter is a float in Cypher: toInteger keeps the names 'entity 3')
     MATCH (e:\`${g}\`:Entity {name: 'entity ' + (i % toInteger($e))})
     CREATE (m)-[:MENTIONS {salience: 0.5 + toFloat(i % 5) / 10.0}]->(e)`,
    { ids, ns, e: DEEP_MEMORY.entities },
  );
  await t.run(
    `MATCH (a:\`${g}\`:Memory), (b:\`${g}\`:Memory)
     WHERE b.seq = (a.seq + 1) % $m
     CREATE (a)-[:RELATED_TO {kind: 'follows', weight: 1.0}]->(b)`,
    { m: DEEP_MEMORY.memories },
  );
  return ids;
}

export const AUTOMEM = { memories: 40, entities: 8 };

async function gq(redis: Redis, graph: string, q: string): Promise<void> {
  await redis.call('GRAPH.QUERY', graph, q);
}

/** Builds an AutoMem-shaped FalkorDB graph. */
export async function autoMemGraph(redis: Redis, graph: string): Promise<void> {
  const { memories: m, entities: e } = AUTOMEM;
  await gq(redis, graph, `UNWIND range(0, ${e - 1}) AS i CREATE (:Entity {name: 'entity ' + toString(i), aliases: ['e' + toString(i)]})`);
  await gq(redis, graph, `UNWIND range(0, ${m - 1}) AS i CREATE (:Memory {id: 'mem-' + toString(i), content: 'remember ' + toString(i), tags: ['work', 'note' + toString(i % 3)],
    importance: toFloat(i % 7) / 7.0, confidence: 0.9, type: 'Context', timestamp: '2026-01-01T00:00:00Z',
    last_accessed: localdatetime({year: 2026, month: 1, day: 1 + i % 28, hour: i % 24, minute: 30, second: 15}),
    embedding: vecf32([toFloat(i) / 3.0, 0.25, -1.5, toFloat(i % 5) / 7.0])})`);
  await gq(redis, graph, `MATCH (a:Memory), (b:Memory) WHERE toInteger(substring(a.id, 4)) + 1 = toInteger(substring(b.id, 4)) CREATE (a)-[:RELATES_TO {strength: 0.7, updated_at: localdatetime({year: 2026, month: 2, day: 3})}]->(b)`);
  await gq(redis, graph, `MATCH (a:Memory), (b:Memory) WHERE toInteger(substring(a.id, 4)) + 2 = toInteger(substring(b.id, 4)) CREATE (a)-[:LEADS_TO {strength: 0.5, reason: 'then'}]->(b), (a)-[:LEADS_TO {strength: 0.5, reason: 'then'}]->(b)`);
  await gq(redis, graph, `MATCH (a:Memory), (x:Entity) WHERE toInteger(substring(a.id, 4)) % ${e} = toInteger(substring(x.name, 7)) CREATE (a)-[:MENTIONS {count: 2}]->(x)`);
  await gq(redis, graph, `MATCH (a:Memory {id: 'mem-0'}) CREATE (a)-[:RELATES_TO {strength: 1.0, updated_at: localdatetime({year: 2026, month: 2, day: 3})}]->(a)`);
  await gq(redis, graph, 'CREATE INDEX FOR (n:Memory) ON (n.id)');
  await gq(redis, graph, "CREATE VECTOR INDEX FOR (n:Memory) ON (n.embedding) OPTIONS {dimension: 4, similarityFunction: 'cosine'}");
}
