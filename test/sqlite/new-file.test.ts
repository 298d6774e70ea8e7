/**
 * Restoring into a new file: written under a temporary name in the same directory, verified, then
 * renamed; nothing at the path before that, nothing left after a failure; an interrupted run
 * keeps the temporary file for --resume; a file that appears meanwhile is never replaced.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sqliteSink, sqliteSource } from '../../src/adapters/sqlite/index.ts';
import type { DatasetSink, Sink } from '../../src/core/adapter.ts';
import { importArchive } from '../../src/core/import.ts';
import { MemarcError } from '../../src/errors.ts';
import { failure } from '../helpers/failure.ts';
import { archiveOf, digestsOf, scratch } from './helpers.ts';
import { writeTables } from './tables.ts';

const dir = scratch();

/** The sink with members of its dataset sinks replaced (a fault the test injects). */
function overriding(real: Sink, members: (ds: DatasetSink) => Partial<DatasetSink>): Sink {
  return {
    close: () => real.close(),
    async dataset(d) {
      const ds = await real.dataset(d);
      return ds && Object.assign(Object.create(ds) as DatasetSink, members(ds));
    },
  };
}

async function twoTables(): Promise<{ d: string; archive: Buffer }> {
  const d = await dir();
  const src = join(d, 'src.db');
  writeTables(src, ['a', 'b'], 600);
  return { d, archive: await archiveOf([sqliteSource({ path: src })], { shardMaxRecords: 100 }) };
}

describe('SQLite: restore into a new file', () => {
  it('the file appears only once every table is verified; a failure leaves no file and no temporary file', async () => {
    const { d, archive } = await twoTables();
    const path = join(d, 'new.db');
    let seen: string[] = [];
    const sink = overriding(sqliteSink({ path }), (ds) => ({
      verify: async (expected) => {
        const r = await ds.verify(expected);
        seen = await readdir(d);
        if (r.dataset === 'b') throw new MemarcError('VERIFY_FAILED', 'injected by the test');
        return r;
      },
    }));
    const err = await failure(importArchive({ input: Readable.from([archive]), sink, stateDir: false }));
    expect(err.code).toBe('VERIFY_FAILED');
    // While verifying: a temporary file beside the target, not the target.
    expect(seen.filter((f) => f !== 'src.db')).toEqual([expect.stringMatching(/^\.new\.db\.memarc-[0-9a-f]+\.tmp$/)]);
    expect(err.hint).toMatch(/removed the temporary file .*was never created/);
    expect((await readdir(d)).sort()).toEqual(['src.db']);
  });

  it('an interrupted run keeps the temporary file; --resume finishes it with the archive\'s digests', async () => {
    const { d, archive } = await twoTables();
    const path = join(d, 'new.db');
    const state = join(d, 'state');
    let shards = 0;
    const interrupted = overriding(sqliteSink({ path }), (ds) => ({
      shardDone: async (shard) => {
        await ds.shardDone(shard);
        if (++shards === 8) throw new MemarcError('INTERRUPTED', 'interrupted by the test');
      },
    }));
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: interrupted, stateDir: state }));
    expect(err.code).toBe('INTERRUPTED');
    expect(err.hint).toMatch(/kept the temporary file/);
    expect((await readdir(d)).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    const logs: string[] = [];
    const res = await importArchive({ input: Readable.from([archive]), sink: sqliteSink({ path }), stateDir: state, resume: true, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/resuming into a \(600 rows, 6 shards\)/);
    expect(logs.join('\n')).toMatch(/resuming into b \(\d+ rows, 2 shards\)/);
    expect(Object.fromEntries(res.datasets.map((r) => [r.dataset, r.digest]))).toEqual(await digestsOf(archive));
    expect(await digestsOf(await archiveOf([sqliteSource({ path })]))).toEqual(await digestsOf(archive));
    expect((await readdir(d)).sort()).toEqual(['new.db', 'src.db', 'state']);
    expect(await readdir(join(state, 'checkpoints'))).toEqual([]);
  });

  it('a file that appears at the path during the run is left as it is (TARGET_EXISTS)', async () => {
    const { d, archive } = await twoTables();
    const path = join(d, 'new.db');
    const sink = overriding(sqliteSink({ path }), (ds) => ({
      publish: async () => {
        await writeFile(path, 'someone else\'s file');
        return ds.publish();
      },
    }));
    const err = await failure(importArchive({ input: Readable.from([archive]), sink, stateDir: false }));
    expect(err.code).toBe('TARGET_EXISTS');
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(path, 'utf8')).toBe('someone else\'s file');
    expect((await readdir(d)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
