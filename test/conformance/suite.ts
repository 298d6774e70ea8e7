/**
 * The conformance suite every store adapter runs: the same archives, through the same core
 * (`importArchive`, `exportArchive`), against a real server. A new store is a new folder in
 * src/adapters plus one `describeStore(...)` line in test/conformance/stores.test.ts.
 *
 * What it holds every sink to (src/core/adapter.ts):
 * - a restore commits with the trailer's counts and digest, and exporting the restored dataset
 *   gives the same digest again;
 * - a dry run creates nothing;
 * - an archive that turns out corrupt or incomplete after the target was created leaves no
 *   target behind (fresh target) and never commits;
 * - `--if-exists fail` refuses an existing target and leaves it as it was;
 * - an import stopped part-way finishes with `resume`, with an equal digest.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import type { DatasetKind } from '../../src/format/records.ts';
import type { Sink, Source } from '../../src/core/adapter.ts';
import { exportArchive } from '../../src/core/export.ts';
import { importArchive } from '../../src/core/import.ts';
import { readArchive } from '../../src/format/reader.ts';
import { failure } from '../helpers/failure.ts';

export interface StoreUnderTest {
  kind: DatasetKind;
  sink(opts: { rename: Record<string, string>; ifExists?: 'fail' | 'append' | 'replace' }): Sink;
  source(names: string[]): Source;
  exists(name: string): Promise<boolean>;
  drop(names: string[]): Promise<void>;
  close(): Promise<void>;
}

const ARCHIVE_NAME = { 'qdrant.collection': 'memories', 'falkordb.graph': 'memory_graph' } as const;

async function archiveOf(kind: DatasetKind, count: number): Promise<Buffer> {
  const src = syntheticSource({ count, dim: 8, edgesPerNode: 2, batchSize: 50, datasets: [kind === 'qdrant.collection' ? 'collection' : 'graph'] });
  const chunks: Buffer[] = [];
  const out = new (await import('node:stream')).Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await exportArchive({ sources: [src], output: out, shardMaxRecords: 100 });
  return Buffer.concat(chunks);
}

/** The archive cut just before its trailer: every shard is there, the commit marker is not. */
async function withoutTrailer(archive: Buffer): Promise<Buffer> {
  const at = archive.lastIndexOf(Buffer.from('trailer.json'));
  return archive.subarray(0, at - (at % 512));
}

/**
 * The archive with one byte of its last shard's gzip data flipped, so that shard's hash no longer
 * matches. The shard's name stands in its pax record block; its data starts one ustar header
 * (512 bytes) after the end of that block.
 */
async function corruptLastShard(archive: Buffer): Promise<Buffer> {
  let last = '';
  for await (const ev of readArchive(Readable.from([archive]), { decode: false })) if (ev.type === 'shard') last = ev.shard.entry;
  const copy = Buffer.from(archive);
  const nameAt = copy.indexOf(Buffer.from(`path=${last}`));
  const dataAt = nameAt - (nameAt % 512) + 512 + 512;
  copy[dataAt + 20]! ^= 0xff;
  return copy;
}

async function trailerDigest(archive: Buffer): Promise<string> {
  for await (const ev of readArchive(Readable.from([archive]), { decode: false })) if (ev.type === 'trailer') return ev.trailer.datasets[0]!.digest;
  throw new Error('no trailer');
}


export function describeStore(name: string, start: () => Promise<StoreUnderTest>): void {
  describe(`conformance: ${name}`, () => {
    let store: StoreUnderTest;
    let archive: Buffer;
    let digest: string;
    const created: string[] = [];
    const target = () => {
      const t = `conf_${name}_${randomUUID().slice(0, 8)}`;
      created.push(t);
      return t;
    };

    beforeAll(async () => {
      store = await start();
      archive = await archiveOf(store.kind, 240);
      digest = await trailerDigest(archive);
    });
    afterAll(async () => {
      if (!store) return;
      await store.drop(created).catch(() => {});
      await store.close();
    });

    it('restores with the trailer\'s digest, and exporting the restored dataset gives it again', async () => {
      const t = target();
      const res = await importArchive({ input: Readable.from([archive]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }) });
      expect(res.datasets).toHaveLength(1);
      expect(res.datasets[0]!.digest).toBe(digest);
      const again = await buffer(await (async () => {
        const chunks: Buffer[] = [];
        const out = new (await import('node:stream')).Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
        await exportArchive({ sources: [store.source([t])], output: out });
        return Readable.from([Buffer.concat(chunks)]);
      })());
      expect(await trailerDigest(again)).toBe(digest);
    });

    it('a dry run creates nothing', async () => {
      const t = target();
      const res = await importArchive({ input: Readable.from([archive]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }), dryRun: true });
      expect(res.datasets[0]!.digest).toBe(digest);
      expect(await store.exists(t)).toBe(false);
    });

    it.each([
      ['a corrupt last shard', corruptLastShard, 'CHECKSUM_MISMATCH'],
      ['a missing trailer', withoutTrailer, 'MISSING_TRAILER'],
    ] as const)('%s: the import fails with its code and leaves no target behind', async (_what, damage, code) => {
      const t = target();
      const err = await failure(importArchive({ input: Readable.from([await damage(archive)]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }) }));
      expect(err.code).toBe(code);
      expect(await store.exists(t)).toBe(false);
    });

    it('--if-exists fail refuses an existing target and leaves it as it was', async () => {
      const t = target();
      await importArchive({ input: Readable.from([archive]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }) });
      const err = await failure(importArchive({ input: Readable.from([archive]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }) }));
      expect(err.code).toBe('TARGET_EXISTS');
      const chunks: Buffer[] = [];
      const out = new (await import('node:stream')).Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
      await exportArchive({ sources: [store.source([t])], output: out });
      expect(await trailerDigest(Buffer.concat(chunks))).toBe(digest);
    });

    it('an import stopped part-way finishes with resume, with an equal digest', async () => {
      const t = target();
      // The first run dies after half the archive, as a killed process would: no commit, no abort.
      const half = archive.subarray(0, Math.floor(archive.length / 2));
      const sink = store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } });
      const stopped = await failure(importArchive({ input: Readable.from([half]), sink: { dataset: (d) => sink.dataset(d).then((ds) => ds && { ...ds, open: ds.open.bind(ds), write: ds.write.bind(ds), shardDone: ds.shardDone.bind(ds), commit: ds.commit.bind(ds), abort: async () => {} }), close: () => sink.close() } }));
      expect(stopped.code).toBe('TRUNCATED');
      const res = await importArchive({ input: Readable.from([archive]), sink: store.sink({ rename: { [ARCHIVE_NAME[store.kind]]: t } }), resume: true });
      expect(res.datasets[0]!.digest).toBe(digest);
    });
  });
}
