/**
 * OpenMemory's whole state in one archive: its SQLite metadata (memories, apps, users,
 * categories, access logs, status history; foreign keys, indexes, a trigger, a view) and its
 * Qdrant collection, exported together through the CLI and restored into a fresh directory and a
 * fresh collection, with equal digests, schema objects and row values.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { qdrantSink } from '../../src/adapters/qdrant/index.ts';
import { createOpenMemoryDb, syntheticSource } from '../../src/adapters/synthetic/index.ts';
import { importArchive } from '../../src/core/import.ts';
import { qdrantPerFile, uniqueName, type QdrantTarget } from '../helpers/qdrant.ts';
import { runCli } from '../helpers/run-cli.ts';
import { archiveOf, digestsOf, scratch, withDb } from './helpers.ts';

const dir = scratch();
let q: QdrantTarget;
const created = qdrantPerFile((t) => (q = t));

function schemaOf(path: string): Array<[string, string, string | null]> {
  return withDb(path, (db) => (db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all() as Array<{ type: string; name: string; sql: string | null }>).map((r) => [r.type, r.name, r.sql]));
}

describe('OpenMemory: SQLite metadata and Qdrant vectors in one archive', () => {
  it('round-trips into a fresh directory and a fresh collection with equal digests', async () => {
    const d = await dir();
    const db = join(d, 'openmemory.db');
    const counts = createOpenMemoryDb(db, { memories: 300 });
    expect(counts.memory_status_history).toBeGreaterThan(0); // written by the trigger
    const coll = uniqueName('openmemory');
    const coll2 = uniqueName('openmemory_restored');
    created.add(coll).add(coll2);
    const auth = q.apiKey ? { QDRANT_API_KEY: q.apiKey } : {};
    // The Qdrant side: OpenMemory's collection of memory vectors.
    const vectors = await archiveOf([syntheticSource({ count: 300, dim: 16, datasets: ['collection'], collection: coll })]);
    await importArchive({ input: Readable.from([vectors]), sink: qdrantSink({ url: q.url, ...(q.apiKey ? { apiKey: q.apiKey } : {}) }), stateDir: false });

    const archive = join(d, 'openmemory.memarc');
    const exp = await runCli(['export', '--sqlite', db, '--qdrant', q.url, '--collections', coll, '-o', archive], { env: auth });
    expect(exp.code, exp.stderr).toBe(0);
    const ver = await runCli(['verify', archive]);
    expect(ver.code, ver.stderr).toBe(0);

    const fresh = join(d, 'fresh', 'openmemory.db');
    await mkdir(join(d, 'fresh'));
    const imp = await runCli(['import', archive, '--sqlite', fresh, '--qdrant', q.url, '--rename', `${coll}=${coll2}`], { env: auth });
    expect(imp.code, imp.stderr).toBe(0);

    const again = join(d, 'again.memarc');
    const exp2 = await runCli(['export', '--sqlite', fresh, '--qdrant', q.url, '--collections', coll2, '-o', again], { env: auth });
    expect(exp2.code, exp2.stderr).toBe(0);
    const before = await digestsOf(await readFile(archive));
    const after = await digestsOf(await readFile(again));
    expect(Object.keys(before).sort()).toEqual([...Object.keys(counts), coll].sort());
    const { [coll2]: restoredVectors, ...restoredTables } = after;
    const { [coll]: vectorsDigest, ...tables } = before;
    expect(restoredTables).toEqual(tables);
    expect(restoredVectors).toBe(vectorsDigest);
    // The schema objects are the same statements: tables, indexes, the trigger, the view, the AUTOINCREMENT counter's table.
    expect(schemaOf(fresh)).toEqual(schemaOf(db));
    // And the trigger works in the restored file.
    const w = new DatabaseSync(fresh);
    const id = (w.prepare("SELECT id FROM memories WHERE state = 'active' LIMIT 1").get() as { id: string }).id;
    w.prepare("UPDATE memories SET state = 'archived' WHERE id = ?").run(id);
    expect((w.prepare('SELECT count(*) AS c FROM memory_status_history WHERE memory_id = ?').get(id) as { c: number }).c).toBe(1);
    expect((w.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get('memory_status_history') as { seq: number }).seq).toBe(counts.memory_status_history! + 1);
    w.close();
  }, 120_000);
});
