/**
 * Graphs between FalkorDB and Neo4j (spec/FORMAT.md 4.6, 15.4), on both real servers, through the
 * CLI: an AutoMem-shaped FalkorDB graph goes FalkorDB → Neo4j → FalkorDB and comes back with the
 * archive's digest (every type of it maps exactly both ways, the vecf32 embedding through a
 * Neo4j list of floats under a vector index), and every type that maps approximately is listed,
 * by the dry run before anything is written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';
import { uniqueGraph } from '../helpers/neo4j-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { autoMemGraph, AUTOMEM } from './fixtures.ts';
import { neo4jTest, readAll, type Neo4jTest } from './helpers.ts';

let t: Neo4jTest;
let falkor: FalkorServer;
let redis: Redis;
let dir: string;
const graphs: string[] = [];
const constraints: string[] = [];

beforeAll(async () => {
  [t, falkor] = await Promise.all([neo4jTest(), startFalkorDB()]);
  redis = new Redis(falkor.url);
  dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-convert-'));
});
afterAll(async () => {
  for (const g of graphs) await t.run(`MATCH (n:\`${g}\`) DETACH DELETE n`);
  for (const name of ['Memory_id_range', 'Memory_embedding_vector']) await t.run(`DROP INDEX \`${name}\` IF EXISTS`);
  for (const name of constraints) await t.run(`DROP CONSTRAINT \`${name}\` IF EXISTS`);
  redis?.disconnect();
  await falkor?.stop();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const r = await runCli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.toString()) as { datasets: Array<{ dataset: string; digest: string; actions: string[]; records: Record<string, number> }> };
}

describe('FalkorDB ⇄ Neo4j', () => {
  it('an AutoMem graph goes FalkorDB → Neo4j → FalkorDB with its digest, each approximation listed', async () => {
    const g = uniqueGraph('automem');
    graphs.push(g);
    await autoMemGraph(redis, 'automem');
    const a1 = path.join(dir, 'falkor.memarc');
    const a2 = path.join(dir, 'neo4j.memarc');
    const a3 = path.join(dir, 'back.memarc');
    await cli(['export', '--falkordb', falkor.url, '--graphs', 'automem', '-o', a1]);
    const first = await readAll(readFileSync(a1));

    // The dry run says what maps approximately before anything is written.
    const dry = await cli(['import', a1, '--neo4j', t.server.uriWithAuth, '--rename', `automem=${g}`, '--dry-run']);
    expect(dry.datasets[0]!.actions.join('\n')).toMatch(new RegExp(`would convert from falkordb approximately: vecf32 as a list of floats \\(${AUTOMEM.memories} value`));
    const [none] = await t.run(`MATCH (n:\`${g}\`) RETURN count(n) AS c`);
    expect(none!.c).toBe(0n);

    const into = await cli(['import', a1, '--neo4j', t.server.uriWithAuth, '--rename', `automem=${g}`]);
    expect(into.datasets[0]!.actions.join('\n')).toMatch(/converted from falkordb approximately: vecf32 as a list of floats/);
    expect(into.datasets[0]!.actions.join('\n')).toMatch(/verified \d+ node\(s\), \d+ relationship\(s\) and the content digest \(of the converted values\)/);
    // Neo4j holds the embedding as floats under a vector index made from the neutral schema, the timestamp as a LocalDateTime.
    const [m] = await t.run(`MATCH (n:\`${g}\`:Memory {id: 'mem-3'}) RETURN n.embedding AS e, n.last_accessed AS t, n.importance AS i`);
    expect(m!.e).toEqual([1, 0.25, -1.5, Math.fround(3 / 7)]);
    expect(String(m!.t)).toBe('2026-01-04T03:30:15');
    expect(m!.i).toBe(3 / 7);
    const [vec] = await t.run("SHOW INDEXES YIELD name, type, options WHERE type = 'VECTOR' AND name = 'Memory_embedding_vector' RETURN options.indexConfig AS c");
    expect(vec!.c).toMatchObject({ 'vector.dimensions': 4n, 'vector.similarity_function': 'COSINE' });

    await cli(['export', '--neo4j', t.server.uriWithAuth, '--neo4j-graphs', g, '-o', a2]);
    const back = await cli(['import', a2, '--falkordb', falkor.url, '--rename', `${g}=automem_back`]);
    expect(back.datasets[0]!.actions.join('\n')).toMatch(/converted from neo4j approximately: a list of doubles under a vector index as a vecf32/);
    await cli(['export', '--falkordb', falkor.url, '--graphs', 'automem_back', '-o', a3]);
    const third = await readAll(readFileSync(a3));
    // Every type of the AutoMem graph maps back exactly: the same content digest as the original.
    expect(third.digests.get('automem_back')).toBe(first.digests.get('automem'));
    // And the indexes came back from the neutral schema.
    const idx = (await redis.call('GRAPH.QUERY', 'automem_back', 'CALL db.indexes() YIELD label, properties, types RETURN label, properties, types')) as unknown[][];
    expect(JSON.stringify(idx[1])).toMatch(/Memory.*embedding.*VECTOR|VECTOR.*embedding/);
  });

  it('a Neo4j graph into FalkorDB lists the zoned date-times, byte arrays and cartesian points it approximates', async () => {
    const g = uniqueGraph('zoned');
    graphs.push(g);
    await t.run(`CREATE (:\`${g}\`:Memory {at: datetime('2026-03-01T12:00:00.5+01:00'), raw: $b, xy: point({x: 1.5, y: 2.5}), n: 7})`, { b: Int8Array.from([1, 2, 3]) });
    // A uniqueness constraint without an index of its own: FalkorDB needs a range index under it.
    const note = `Note_${g}`;
    constraints.push(`${note}_k`);
    await t.run(`CREATE CONSTRAINT \`${note}_k\` FOR (n:\`${note}\`) REQUIRE n.k IS UNIQUE`);
    await t.run(`CREATE (:\`${g}\`:\`${note}\` {k: 1}), (:\`${g}\`:\`${note}\` {k: 2})`);
    const a = path.join(dir, 'zoned.memarc');
    await cli(['export', '--neo4j', t.server.uriWithAuth, '--neo4j-graphs', g, '-o', a]);
    const dry = await cli(['import', a, '--falkordb', falkor.url, '--rename', `${g}=zoned`, '--dry-run']);
    const said = dry.datasets[0]!.actions.join('\n');
    expect(said).toMatch(/would convert from neo4j approximately: a zoned date-time as the local date-time in UTC \(zone dropped\) \(1 value/);
    expect(said).toMatch(/a byte array as a list of integers \(1 value/);
    expect(said).toMatch(/a cartesian point as a list of its coordinates \(1 value/);
    expect(((await redis.call('GRAPH.LIST')) as string[]).includes('zoned')).toBe(false);
    await cli(['import', a, '--falkordb', falkor.url, '--rename', `${g}=zoned`]);
    const r = (await redis.call('GRAPH.QUERY', 'zoned', 'MATCH (n:Memory) RETURN toString(n.at), n.raw, n.xy, n.n')) as unknown[][];
    // (verbose replies print arrays as text)
    expect(r[1]![0]).toEqual(['2026-03-01T11:00:00', '[1, 2, 3]', '[1.500000, 2.500000]', 7]);
    const c = (await redis.call('GRAPH.QUERY', 'zoned', 'CALL db.constraints() YIELD type, label, properties, status RETURN type, label, properties, status')) as unknown[][];
    expect(c[1]).toContainEqual(['UNIQUE', note, '[k]', 'OPERATIONAL']);
  });
});
