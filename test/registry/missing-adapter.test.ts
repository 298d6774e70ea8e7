/**
 * An import whose archive holds a dataset kind that no store of this build restores names the
 * missing adapter (USAGE, exit 2), from the header, before any target is touched. The CLI's import
 * is run in-process with a registry that lacks one adapter, against a real FalkorDB server.
 */
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/adapters/registry.ts';
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import { importCommand } from '../../src/cli/commands/import.ts';
import type { DatasetDescriptor } from '../../src/core/adapter.ts';
import { exportArchive } from '../../src/core/export.ts';
import { restoreSink } from '../../src/core/stores.ts';
import { MemarcError } from '../../src/errors.ts';
import type { DatasetKind } from '../../src/format/records.ts';
import { openOutput } from '../../src/transport/index.ts';
import { startFalkorDB, type FalkorServer } from '../helpers/falkordb-server.ts';

let falkor: FalkorServer;
let redis: Redis;
let dir: string;
let archive: string;

beforeAll(async () => {
  falkor = await startFalkorDB();
  redis = new Redis(falkor.url);
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-missing-adapter-'));
  archive = path.join(dir, 'graph-then-collection.memarc');
  // The graph comes first, so an import that opened targets as it went would have created the
  // graph's staging copy before it reached the collection it cannot restore.
  await exportArchive({
    sources: [syntheticSource({ count: 30, dim: 4, datasets: ['graph'] }), syntheticSource({ count: 30, dim: 4, datasets: ['collection'] })],
    output: await openOutput(archive, { force: false }),
  });
});

afterAll(async () => {
  redis?.disconnect();
  await falkor?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ctx = (registry: typeof REGISTRY) => ({ g: { quiet: true, json: true }, signal: new AbortController().signal, registry });

describe('import with a registry that lacks an adapter', () => {
  it('names the missing adapter with a USAGE error and touches no target', async () => {
    // Without Qdrant, and without a store that could convert its collection (Postgres restores vectors from other stores).
    const without = REGISTRY.filter((d) => d.name !== 'qdrant' && d.name !== 'postgres');
    await redis.call('CONFIG', 'RESETSTAT');
    const err = await importCommand(ctx(without), archive, { ifExists: 'fail', falkordb: falkor.url }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('USAGE');
    expect((err as MemarcError).exitCode).toBe(2);
    expect((err as MemarcError).message).toBe("dataset 'memories' (kind qdrant.collection) needs the qdrant adapter, which is not in this build");
    expect((err as MemarcError).context).toMatchObject({ dataset: 'memories', kind: 'qdrant.collection', adapter: 'qdrant' });
    // Not one command reached the server: no staging graph, no checkpoint, not even a connection.
    const stats = String(await redis.call('INFO', 'commandstats'));
    expect(stats.match(/^cmdstat_[^:]+/gm)).toEqual(['cmdstat_config|resetstat']);
    expect(await redis.call('GRAPH.LIST')).toEqual([]);
  });

  it('with the full registry the same import restores the graph and skips the collection that has no target', async () => {
    await importCommand(ctx(REGISTRY), archive, { ifExists: 'fail', falkordb: falkor.url });
    expect(await redis.call('GRAPH.LIST')).toEqual(['memory_graph']);
  });

  it('a kind that no store of the build knows is named as such', async () => {
    const d: DatasetDescriptor = { name: 'x', kind: 'foo' as DatasetKind, fingerprint: {}, source: { type: 'future' } };
    await expect(restoreSink(REGISTRY, new Map()).dataset(d)).rejects.toMatchObject({ code: 'USAGE', message: "no adapter in this build restores kind 'foo' (dataset 'x')" });
  });

  it('a kind whose store is registered but restores nothing is not blamed on a missing adapter', async () => {
    // Without the stores that convert graphs from other stores (neo4j), which would restore it.
    const readOnly = REGISTRY.filter((s) => !s.datasets.some((x) => x.fromOtherStores && x.family === 'graph' && s.name !== 'falkordb')).map((s) => (s.name === 'falkordb' ? { ...s, sink: undefined } : s));
    const d: DatasetDescriptor = { name: 'g', kind: 'falkordb.graph', fingerprint: {}, source: { type: 'falkordb' } };
    await expect(restoreSink(readOnly, new Map()).dataset(d)).rejects.toMatchObject({ code: 'USAGE', message: "no adapter in this build restores kind 'falkordb.graph' (dataset 'g')" });
  });
});
