/**
 * migrate's --from/--to dispatch comes from the descriptors' URL schemes, and each side's
 * credentials reach its own factory as parameters (never through process.env).
 */
import { describe, expect, it } from 'vitest';
import { memorySink } from '../../src/adapters/memory/index.ts';
import { apiKeyOf } from '../../src/adapters/qdrant/descriptor.ts';
import { REGISTRY } from '../../src/adapters/registry.ts';
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import type { StoreDescriptor, StoreRequest } from '../../src/core/descriptor.ts';
import { migrate } from '../../src/core/migrate.ts';
import { migrateEnds, schemeOf, storeForUrl } from '../../src/core/stores.ts';
import { MemarcError } from '../../src/errors.ts';

const base = { env: {}, log: () => {}, ifExists: 'fail' as const };

async function usageError(p: Promise<unknown> | (() => unknown)): Promise<MemarcError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(MemarcError);
    expect((err as MemarcError).code).toBe('USAGE');
    return err as MemarcError;
  }
  throw new Error('expected a USAGE error');
}

describe('the store a URL names comes from the registry schemes', () => {
  it.each([
    ['http://h:6333', 'qdrant'],
    ['HTTPS://h', 'qdrant'],
    ['redis://:pw@h:6379', 'falkordb'],
    ['rediss://h:6380', 'falkordb'],
  ])('%s → %s', (url, name) => {
    expect(storeForUrl(REGISTRY, url, '--from').name).toBe(name);
  });

  it('every scheme of every descriptor dispatches to that descriptor', () => {
    for (const d of REGISTRY) for (const s of d.schemes) expect(storeForUrl(REGISTRY, `${s}://host`, '--to')).toBe(d);
  });

  it('an unknown scheme or a bare host:port is a USAGE error listing the known schemes', async () => {
    for (const url of ['ftp://h', 'localhost:6333', 'h']) {
      const err = await usageError(() => storeForUrl(REGISTRY, url, '--from'));
      expect(err.message).toContain('--from');
      for (const d of REGISTRY) for (const s of d.schemes) expect(err.message).toContain(`${s}://`);
    }
    expect(schemeOf('localhost:6333')).toBeNull();
  });

  it('a scheme whose store is not in the registry is refused', async () => {
    const without = REGISTRY.filter((d) => !d.schemes.includes('redis'));
    const err = await usageError(() => storeForUrl(without, 'redis://h:6379', '--to'));
    expect(err.message).not.toContain('redis://');
  });

  it('--from and --to of different stores are refused before any client is built', async () => {
    const err = await usageError(migrateEnds(REGISTRY, { ...base, from: 'http://a:6333', to: 'redis://b:6379', flags: {} }));
    expect(err.message).toMatch(/same kind of store/);
  });
});

describe('a new store is one descriptor: migrate through a registry line with its own scheme', () => {
  const seen: StoreRequest[] = [];
  const demo: StoreDescriptor = {
    name: 'demo',
    title: 'Demo',
    schemes: ['demo'],
    env: [{ name: 'MEMARC_FROM_DEMO_TOKEN', help: 'source token', side: 'from' }],
    datasets: [{ kind: 'falkordb.graph', family: 'graph', noun: 'graphs', reads: true, writes: true }],
    flag: '--demo [url]',
    selection: '--demo-graphs <names>',
    options: [
      { flags: '--demo [url]', help: 'a demo server', commands: ['export', 'import'] },
      { flags: '--demo-graphs <names>', help: 'only these', commands: ['migrate'], value: { type: 'list' } },
      { flags: '--demo-mode <m>', help: 'a restore option', commands: ['migrate'] },
    ],
    async source(req) {
      seen.push(req);
      return syntheticSource({ count: 50, dim: 4, datasets: ['graph'] });
    },
    async sink(req) {
      seen.push(req);
      return memorySink();
    },
  };

  it('dispatches by scheme, gives each side its URL and side, and the selection to the source only', async () => {
    const registry = [...REGISTRY, demo];
    const flags = { demoGraphs: ['memory_graph'], demoMode: 'x', collections: ['ignored'] };
    const env = { MEMARC_FROM_DEMO_TOKEN: 't1' };
    const ends = await migrateEnds(registry, { ...base, env, from: 'demo://a', to: 'DEMO://b', flags, rename: { memory_graph: 'copy' } });
    expect(ends.store).toBe(demo);
    const [src, dst] = seen;
    expect(src!.endpoint).toEqual({ url: 'demo://a', side: 'from' });
    expect(src!.options).toEqual({ demoGraphs: ['memory_graph'], demoMode: 'x' });
    expect(dst!.endpoint).toEqual({ url: 'DEMO://b', side: 'to' });
    expect(dst!.options).toEqual({ demoMode: 'x' });
    expect((dst as { rename?: unknown }).rename).toEqual({ memory_graph: 'copy' });
    expect(src!.env).toBe(env);
    const result = await migrate({ source: ends.source, sink: ends.sink });
    expect(result.datasets.map((d) => [d.dataset, d.records])).toEqual([['memory_graph', { node: 50, edge: expect.any(Number) }]]);
  });
});

describe('migrate credentials are read per side from the environment given', () => {
  it('MEMARC_FROM_/MEMARC_TO_QDRANT_API_KEY, each falling back to QDRANT_API_KEY; export and import read QDRANT_API_KEY', () => {
    const env = { QDRANT_API_KEY: 'both', MEMARC_FROM_QDRANT_API_KEY: 'src', MEMARC_TO_QDRANT_API_KEY: '' };
    expect(apiKeyOf({ env, endpoint: { url: 'http://a', side: 'from' } })).toBe('src');
    expect(apiKeyOf({ env, endpoint: { url: 'http://b', side: 'to' } })).toBe('both');
    expect(apiKeyOf({ env })).toBe('both');
    expect(apiKeyOf({ env: {}, endpoint: { url: 'http://b', side: 'to' } })).toBeUndefined();
  });
});
