/**
 * deep-memory's whole store in one archive: its Neo4j graph (Memory nodes with namespace, content
 * and embedding ids; Entity nodes; MENTIONS and RELATED_TO) and its Qdrant collection of
 * embeddings, exported together by one CLI run, then restored together into fresh targets by one
 * import, with the digests equal on re-export and every embedding id still pointing at a point.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropCollections, qdrantHeaders, qdrantTarget, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { uniqueGraph } from '../helpers/neo4j-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { DEEP_MEMORY, deepMemoryGraph } from './fixtures.ts';
import { neo4jTest, type Neo4jTest } from './helpers.ts';

let t: Neo4jTest;
let q: QdrantTarget;
let dir: string;
const graphs: string[] = [];
const collections: string[] = [];
const constraint = `dm_memory_id_${Date.now().toString(36)}`;

beforeAll(async () => {
  [t, q] = await Promise.all([neo4jTest(), qdrantTarget()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-deep-memory-'));
});
afterAll(async () => {
  for (const g of graphs) await t.run(`MATCH (n:\`${g}\`) DETACH DELETE n`);
  await t.run(`DROP CONSTRAINT \`${constraint}\` IF EXISTS`);
  await dropCollections(q.url, q.apiKey, collections).catch(() => {});
  await q.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function qdrant(method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${q.url}${p}`, { method, headers: qdrantHeaders(q.apiKey), ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function digestsOf(stdout: Buffer): Map<string, string> {
  const r = JSON.parse(stdout.toString()) as { trailer?: { datasets: Array<{ name: string; digest: string }> }; datasets?: Array<{ name?: string; dataset?: string; digest: string }> };
  const list: Array<{ name?: string; dataset?: string; digest: string }> = r.trailer?.datasets ?? r.datasets ?? [];
  return new Map(list.map((d) => [(d.name ?? d.dataset)!, d.digest]));
}

describe('deep-memory: Neo4j and Qdrant in one archive', () => {
  it('exports both stores together and restores both, equal on re-export', async () => {
    const g = uniqueGraph('deepmem');
    const c = uniqueName('deepmem');
    graphs.push(g, `${g}_restored`);
    collections.push(c, `${c}_restored`);
    // On embedding_id, which only deep-memory's nodes have: the database is shared with other tests.
    await t.run(`CREATE CONSTRAINT \`${constraint}\` IF NOT EXISTS FOR (m:Memory) REQUIRE m.embedding_id IS UNIQUE`);
    const ids = await deepMemoryGraph(t, g);
    await qdrant('PUT', `/collections/${c}`, { vectors: { size: 4, distance: 'Cosine' } });
    await qdrant('PUT', `/collections/${c}/points?wait=true`, { points: ids.map((id, i) => ({ id, vector: [1, i / 10, 0.5, -i / 7], payload: { namespace: 'agent-1', memory_id: id } })) });

    const archive = path.join(dir, 'deep-memory.memarc');
    const exp = await runCli(['export', '--neo4j', t.server.uriWithAuth, '--neo4j-graphs', g, '--qdrant', q.url, '--collections', c, '-o', archive, '--json'], { env: q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {} });
    expect(exp.code, exp.stderr).toBe(0);
    const inspected = await runCli(['inspect', archive, '--json']);
    expect(inspected.code, inspected.stderr).toBe(0);
    const header = JSON.parse(inspected.stdout.toString()) as { header: { datasets: Array<{ name: string; family: string; native: { store: string } }> } };
    expect(header.header.datasets.map((d) => [d.name, d.family, d.native.store]).sort()).toEqual([[c, 'vectors', 'qdrant'], [g, 'graph', 'neo4j']].sort());
    const verified = await runCli(['verify', archive, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const want = digestsOf(exp.stdout);

    // One import restores both, under new names (the graph is a new label in the same database).
    const args = ['import', archive, '--neo4j', t.server.uriWithAuth, '--qdrant', q.url, '--rename', `${g}=${g}_restored`, '--rename', `${c}=${c}_restored`, '--json'];
    // While the original memories are there, the restored copies break the (archived) uniqueness
    // constraint on Memory.embedding_id when the graph is published: all or nothing, the Qdrant collection
    // published before it is dropped again.
    const clash = await runCli(args);
    expect(clash.code, clash.stderr).toBe(34);
    expect(clash.stderr).toMatch(/already exists with label `Memory` and property `embedding_id`/);
    expect(clash.stderr).toMatch(/put back: .*dropped the new collection/);
    expect(((await qdrant('GET', '/collections')) as { result: { collections: Array<{ name: string }> } }).result.collections.map((x) => x.name)).not.toContain(`${c}_restored`);
    const [staged] = await t.run(`MATCH (n) WHERE any(l IN labels(n) WHERE l STARTS WITH 'memarc_' AND l CONTAINS $g) RETURN count(n) AS c`, { g });
    expect(staged!.c).toBe(0n);
    // Restored where the originals are gone, as on a fresh server.
    await t.run(`MATCH (n:\`${g}\`) DETACH DELETE n`);
    const imp = await runCli(args);
    expect(imp.code, imp.stderr).toBe(0);
    const [counts] = await t.run(`MATCH (m:\`${g}_restored\`:Memory) OPTIONAL MATCH (m)-[r:MENTIONS]->(:Entity) RETURN count(DISTINCT m) AS m, count(r) AS r`);
    expect(counts).toEqual({ m: BigInt(DEEP_MEMORY.memories), r: BigInt(DEEP_MEMORY.memories) });
    const restoredIds = (await t.run(`MATCH (m:\`${g}_restored\`:Memory) RETURN m.embedding_id AS id`)).map((r) => r.id as string).sort();
    const points = (await qdrant('POST', `/collections/${c}_restored/points/scroll`, { limit: 1000, with_payload: false })) as { result: { points: Array<{ id: string }> } };
    expect(points.result.points.map((p) => p.id).sort()).toEqual(restoredIds);

    const again = await runCli(['export', '--neo4j', t.server.uriWithAuth, '--neo4j-graphs', `${g}_restored`, '--qdrant', q.url, '--collections', `${c}_restored`, '-o', path.join(dir, 'again.memarc'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    const got = digestsOf(again.stdout);
    expect(got.get(`${g}_restored`)).toBe(want.get(g));
    expect(got.get(`${c}_restored`)).toBe(want.get(c));
  });
});
