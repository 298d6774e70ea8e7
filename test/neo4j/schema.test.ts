/**
 * Indexes and constraints: SHOW INDEXES / SHOW CONSTRAINTS into the native configuration and the
 * neutral schema, and created again after a restore with their configuration (vector dimensions,
 * similarity, HNSW options, the fulltext analyzer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jSink, neo4jSource } from '../../src/adapters/neo4j/index.ts';
import { uniqueGraph } from '../helpers/neo4j-server.ts';
import { failure } from '../helpers/failure.ts';
import { neo4jTest, readAll, restore, toBuffer, type Neo4jTest } from './helpers.ts';

let t: Neo4jTest;
const tag = uniqueGraph('schema');
const Mem = `Mem_${tag}`;
const Ent = `Ent_${tag}`;
const REL = `REL_${tag}`;
const names = ['range', 'text', 'point', 'ft', 'vec', 'uniq', 'reluniq'].map((n) => `${n}_${tag}`);
const [range, text, point, ft, vec, uniq, reluniq] = names as [string, string, string, string, string, string, string];

async function dropAll(): Promise<void> {
  for (const n of names) {
    await t.run(`DROP CONSTRAINT \`${n}\` IF EXISTS`);
    await t.run(`DROP INDEX \`${n}\` IF EXISTS`);
  }
}

async function schemaOf(): Promise<Array<Record<string, unknown>>> {
  const rows = await t.run('SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, options, owningConstraint WHERE name ENDS WITH $tag RETURN name, type, entityType, labelsOrTypes, properties, options.indexConfig AS config, owningConstraint ORDER BY name', { tag });
  return rows;
}

beforeAll(async () => {
  t = await neo4jTest();
});
afterAll(async () => {
  await dropAll();
  await t.run(`MATCH (n) WHERE n:\`${tag}\` OR n:\`${tag}_copy\` DETACH DELETE n`);
  await t.close();
});

describe('Neo4j indexes and constraints', () => {
  it('exports range, text, point, fulltext and vector indexes and uniqueness constraints, and restores them after the data', async () => {
    await t.run(`CREATE RANGE INDEX \`${range}\` FOR (n:\`${Mem}\`) ON (n.ns, n.created)`);
    await t.run(`CREATE TEXT INDEX \`${text}\` FOR (n:\`${Mem}\`) ON (n.content)`);
    await t.run(`CREATE POINT INDEX \`${point}\` FOR (n:\`${Ent}\`) ON (n.where)`);
    await t.run(`CREATE FULLTEXT INDEX \`${ft}\` FOR (n:\`${Mem}\`|\`${Ent}\`) ON EACH [n.content, n.name] OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'english'}}`);
    await t.run(`CREATE VECTOR INDEX \`${vec}\` FOR (n:\`${Mem}\`) ON (n.embedding) OPTIONS {indexConfig: {\`vector.dimensions\`: 4, \`vector.similarity_function\`: 'euclidean', \`vector.hnsw.m\`: 24}}`);
    await t.run(`CREATE CONSTRAINT \`${uniq}\` FOR (n:\`${Ent}\`) REQUIRE n.name IS UNIQUE`);
    await t.run(`CREATE CONSTRAINT \`${reluniq}\` FOR ()-[r:\`${REL}\`]-() REQUIRE r.id IS UNIQUE`);
    await t.run(`CREATE (:\`${tag}\`:\`${Mem}\` {ns: 'a', created: 1, content: 'tea', embedding: [0.1, 0.2, 0.3, 0.4]})-[:\`${REL}\` {id: 1}]->(:\`${tag}\`:\`${Ent}\` {name: 'Ada', where: point({x: 1, y: 2})})`);
    const before = await schemaOf();
    expect(before).toHaveLength(7);

    const buf = await toBuffer([neo4jSource({ ...t.conn, graphs: [tag] })]);
    const back = await readAll(buf);
    const ds = back.header.datasets[0] as { schema: { indexes: unknown[]; constraints: unknown[] }; native: { store: string; config: { indexes: Array<{ name: string }>; constraints: Array<{ name: string }> } } };
    expect(ds.native.store).toBe('neo4j');
    const ours = (xs: Array<{ name: string }>) => xs.filter((x) => x.name.endsWith(tag));
    expect(ours(ds.native.config.indexes).map((i) => i.name).sort()).toEqual([ft, point, range, text, vec].sort());
    expect(ours(ds.native.config.constraints).map((c) => c.name).sort()).toEqual([reluniq, uniq].sort());
    expect(ds.schema.indexes).toContainEqual({ entity: 'node', label: Mem, properties: ['embedding'], type: 'vector', dimension: 4, similarity: 'euclid' });
    expect(ds.schema.indexes).toContainEqual({ entity: 'node', label: Mem, properties: ['ns', 'created'], type: 'range' });
    expect(ds.schema.indexes).toContainEqual({ entity: 'node', label: Ent, properties: ['content', 'name'], type: 'fulltext' });
    expect(ds.schema.constraints).toContainEqual({ entity: 'relationship', label: REL, properties: ['id'], type: 'unique' });

    // Gone from the server, then restored from the archive alone.
    await dropAll();
    await t.run(`MATCH (n:\`${tag}\`) DETACH DELETE n`);
    expect(await schemaOf()).toEqual([]);
    const res = await restore(buf, neo4jSink({ ...t.conn }));
    expect(res.datasets[0]!.digest).toBe(back.digests.get(tag));
    expect(res.datasets[0]!.actions.join('\n')).toMatch(new RegExp(`created vector index "${vec}"`));
    expect(await schemaOf()).toEqual(before);
  });

  it('a restore whose data breaks a constraint of the target publishes nothing', async () => {
    const copy = `${tag}_copy`;
    // The archive holds two Ent nodes named alike (made without the constraint); the target has it.
    await t.run(`DROP CONSTRAINT \`${uniq}\` IF EXISTS`);
    await t.run(`CREATE (:\`${tag}_src\`:\`${Ent}\` {name: 'Bob'}), (:\`${tag}_src\`:\`${Ent}\` {name: 'Bob'})`);
    const dup = await toBuffer([neo4jSource({ ...t.conn, graphs: [`${tag}_src`] })]);
    await t.run(`MATCH (n:\`${tag}_src\`) DETACH DELETE n`);
    await t.run(`CREATE CONSTRAINT \`${uniq}\` FOR (n:\`${Ent}\`) REQUIRE n.name IS UNIQUE`);
    const err = await failure(restore(dup, neo4jSink({ ...t.conn, rename: { [`${tag}_src`]: copy } })));
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(/publishing dataset/);
    const [left] = await t.run(`MATCH (n) WHERE n:\`${copy}\` OR any(l IN labels(n) WHERE l STARTS WITH 'memarc_' AND l CONTAINS $copy) RETURN count(n) AS c`, { copy });
    expect(left!.c).toBe(0n);
  });
});
