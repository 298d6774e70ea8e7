/**
 * The conformance suite every store adapter runs: the same archives (made by the synthetic
 * source), through the same core (`importArchive`, `exportArchive`, `migrate`) and the same CLI,
 * against a real server. A new store is a new folder in src/adapters plus one
 * `describeStore(...)` line in test/conformance/stores.test.ts.
 *
 * What it holds every sink to (src/core/adapter.ts, src/core/restore.ts):
 * - a restore commits with the trailer's counts and digest, and exporting the restored dataset
 *   gives the same digest again; an empty dataset too;
 * - a dry run, a corrupt archive and an incomplete one write nothing to the server;
 * - `--if-exists fail` refuses an existing target and leaves it as it was; `append` refuses an
 *   archived id the target holds (stores that keep archived keys) and leaves the target as it was;
 *   `merge` overwrites; `replace` ends with exactly the archive;
 * - kill -9 or SIGINT of the CLI mid-import, then `--resume`, ends equal; SIGINT then
 *   `--rollback` leaves the server as it was; no checkpoint is left behind;
 * - a two-dataset import whose second dataset fails publishes nothing;
 * - migrate ends with the same digest.
 *
 * Every test looks only at names it created (a tag in every target name), so the Qdrant cases run
 * unchanged against a real server (QDRANT_URL).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticSource } from '../../src/adapters/synthetic/index.ts';
import type { DatasetDescriptor, DatasetSink, IfExists, Sink, Source } from '../../src/core/adapter.ts';
import { stateDir } from '../../src/core/checkpoint.ts';
import { exportArchive } from '../../src/core/export.ts';
import { importArchive } from '../../src/core/import.ts';
import { migrate } from '../../src/core/migrate.ts';
import { MemarcError } from '../../src/errors.ts';
import type { DatasetKind } from '../../src/format/records.ts';
import { readArchive } from '../../src/format/reader.ts';
import { find, jsonEntry, pack, paxOf, replace, reseal, setPax, sha256hex, unpack } from '../../fixtures/forge.ts';
import { failure } from '../helpers/failure.ts';
import { CLI, ROOT, runCli } from '../helpers/run-cli.ts';


/**
 * The real sink with some members of its dataset sinks replaced (faults the tests inject):
 * `override` returns the members for a dataset, or false to leave that dataset's sink as it is.
 */
function overriding(real: Sink, override: (d: DatasetDescriptor, ds: DatasetSink) => Partial<DatasetSink> | false): Sink {
  return {
    close: () => real.close(),
    async dataset(d) {
      const ds = await real.dataset(d);
      const members = ds && override(d, ds);
      return ds && members ? Object.assign(Object.create(ds) as DatasetSink, members) : ds;
    },
  };
}

export interface StoreUnderTest {
  kind: DatasetKind | 'sqlite.table';
  /**
   * The sources of an archive of `count` records per dataset, one dataset per name, the same seed
   * giving the same records (the first `count` of a bigger archive), another seed the same keys
   * with other values. Absent: the synthetic source, for the kinds it makes.
   */
  archiveSources?(count: number, names: string[], seed: number): Source[] | Promise<Source[]>;
  sink(opts: { rename: Record<string, string>; ifExists?: IfExists }): Sink;
  /** A source over datasets of the store, or null when the store cannot be read back (memory keeps digests). */
  source(names: string[]): Source | null;
  /** Every name on the server that contains `tag` (datasets, aliases, staging and kept copies). */
  list(tag: string): Promise<string[]>;
  drop(names: string[]): Promise<void>;
  /** CLI arguments naming the store as the import target; absent when the store has no CLI target. */
  cliTarget?: string[];
  close(): Promise<void>;
}

const SYNTHETIC = { 'qdrant.collection': 'collection', 'falkordb.graph': 'graph' } as const;

async function collect(run: (out: Writable) => Promise<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await run(out);
  return Buffer.concat(chunks);
}

/** An archive of synthetic datasets of the store's kind, one per name. */
async function archiveOf(store: StoreUnderTest, count: number, names: string[], seed = 1): Promise<Buffer> {
  const kind = store.kind;
  const sources = store.archiveSources
    ? await store.archiveSources(count, names, seed)
    : names.map((n) => syntheticSource({ count, seed, dim: 8, edgesPerNode: 2, batchSize: 50, datasets: [SYNTHETIC[kind as DatasetKind]], collection: n, graph: n }));
  return collect((out) => exportArchive({ sources, output: out, shardMaxRecords: 100 }));
}

/** The archive cut just before its trailer: every shard is there, the commit marker is not. */
function withoutTrailer(archive: Buffer): Buffer {
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

/**
 * The archive with line `line` of its last shard replaced by a record of no kind, the shard's
 * gzip, pax sums, CHECKSUMS.sha256 and trailer sums made to agree with it: only reading the
 * record tells it from a valid archive.
 */
async function badLineInLastShard(archive: Buffer, line: number): Promise<{ forged: Buffer; before: number }> {
  const entries = await unpack(archive);
  const shards = entries.filter((e) => e.header.name.startsWith('data/') && e.header.type === 'file');
  const last = shards.at(-1)!;
  const before = shards.slice(0, -1).reduce((n, e) => n + Number(paxOf(e)['MEMARC.records']), 0);
  const lines = gunzipSync(last.body).toString('utf8').split('\n');
  expect(lines.length - 1, 'the last shard must be long enough').toBeGreaterThan(line);
  lines[line - 1] = '{"no":"kind"}';
  const raw = Buffer.from(lines.join('\n'));
  const body = gzipSync(raw);
  const forged = setPax({ header: last.header, body }, { 'MEMARC.sha256': sha256hex(body), 'MEMARC.rawsize': String(raw.length) });
  return { forged: await pack(reseal(replace(entries, last.header.name, forged))), before };
}

/**
 * The archive with the last hex digit of its first dataset's digest in trailer.json changed, and
 * nothing else: every shard, checksum and count holds, only digesting the records tells.
 */
async function wrongTrailerDigest(archive: Buffer): Promise<Buffer> {
  const entries = await unpack(archive);
  const e = find(entries, 'trailer.json');
  const t = JSON.parse(e.body.toString()) as { datasets: Array<{ digest: string }> };
  const d = t.datasets[0]!;
  d.digest = d.digest.slice(0, -1) + (d.digest.endsWith('0') ? '1' : '0');
  return pack(replace(entries, 'trailer.json', jsonEntry(e, t)));
}

async function trailerDigests(archive: Buffer): Promise<string[]> {
  for await (const ev of readArchive(Readable.from([archive]), { decode: false })) if (ev.type === 'trailer') return ev.trailer.datasets.map((d) => d.digest);
  throw new Error('no trailer');
}

/** The checkpoint files whose target is `target`, with the number of shards they hold done. */
async function checkpointsOf(target: string): Promise<number[]> {
  const dir = join(stateDir(), 'checkpoints');
  const out: number[] = [];
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.json')) continue;
    try {
      const doc = JSON.parse(await readFile(join(dir, f), 'utf8')) as { target: { target: string }; state: { done: string[] } };
      if (doc.target.target === target) out.push(doc.state.done.length);
    } catch {
      // being replaced right now
    }
  }
  return out;
}

/**
 * Runs `memarc import` as a child and stops it with `signal` once its checkpoint holds `shards`
 * done shards: records have landed and the run is part-way.
 */
async function importStopped(args: string[], target: string, signal: NodeJS.Signals, shards = 2): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stoppedMidway: boolean }> {
  const child = spawn(process.execPath, [CLI, 'import', ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  let running = true;
  void exited.then(() => (running = false));
  let stoppedMidway = false;
  const until = Date.now() + 60_000;
  while (running && Date.now() < until) {
    if ((await checkpointsOf(target)).some((n) => n >= shards)) {
      stoppedMidway = child.kill(signal);
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const r = await exited;
  return { ...r, stderr, stoppedMidway };
}

/** What a store can be held to, known before it starts (vitest decides what to skip up front). */
export interface Capabilities {
  /** It keeps targets between runs, so if-exists modes apply (not the memory reference sink). */
  persistent: boolean;
  /** It has a source, so a restored dataset can be exported again and compared. */
  readBack: boolean;
  /** The CLI can name it as an import target (cliTarget). */
  cli: boolean;
  /** The target keeps archived ids (points), so append can collide and merge can overwrite. */
  keyed: boolean;
  /**
   * Append and merge load into staging too, and touch the live target only when publishing (one
   * transaction): a failed or killed append or merge leaves the target as it was, with nothing
   * to undo (SQLite, Postgres). Absent: they write into the live target and undo from a journal.
   */
  staged?: boolean;
}

export function describeStore(name: string, caps: Capabilities, start: () => Promise<StoreUnderTest>): void {
  describe(`conformance: ${name}`, () => {
    let store: StoreUnderTest;
    let archive: Buffer;
    let digest: string;
    let big: Buffer;
    let bigDigest: string;
    let archivePath: string;
    /** The directory of the two archives written for the CLI cases; removed after the suite. */
    let confDir: string | undefined;
    let bigPath: string;
    const tag = `cf${randomUUID().slice(0, 8)}`;
    const created: string[] = [];
    let n = 0;
    const target = () => {
      const t = `${tag}_${name}_${++n}`;
      created.push(t);
      return t;
    };
    const renamed = (t: string) => ({ rename: { data: t } });
    const load = (buf: Buffer, t: string, extra: { ifExists?: IfExists; dryRun?: boolean; batchSize?: number } = {}) =>
      importArchive({
        input: Readable.from([buf]),
        sink: store.sink({ ...renamed(t), ...(extra.ifExists ? { ifExists: extra.ifExists } : {}) }),
        ...(extra.dryRun ? { dryRun: true } : {}),
        ...(extra.batchSize ? { reader: { batchSize: extra.batchSize } } : {}),
      });
    const digestOf = async (t: string): Promise<string> => {
      const src = store.source([t]);
      if (!src) throw new Error('no source');
      return (await trailerDigests(await collect((out) => exportArchive({ sources: [src], output: out }))))[0]!;
    };

    beforeAll(async () => {
      store = await start();
      archive = await archiveOf(store, 240, ['data']);
      [digest] = (await trailerDigests(archive)) as [string];
      // The same seed: the small archive's records are the big one's first 240.
      big = await archiveOf(store, 3000, ['data']);
      [bigDigest] = (await trailerDigests(big)) as [string];
      const { mkdtemp, writeFile } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const dir = (confDir = await mkdtemp(join(tmpdir(), 'memarc-conf-')));
      archivePath = join(dir, 'small.memarc');
      bigPath = join(dir, 'big.memarc');
      await writeFile(archivePath, archive);
      await writeFile(bigPath, big);
    });
    afterAll(async () => {
      if (confDir) await rm(confDir, { recursive: true, force: true });
      if (!store) return;
      await store.drop(await store.list(tag)).catch(() => {});
      await store.close();
    });

    it('restores with the trailer\'s digest, and exporting the restored dataset gives it again', async () => {
      const t = target();
      const own = async () => (await store.list(tag)).filter((x) => x.startsWith('memarc'));
      const before = await own();
      const res = await load(archive, t);
      // Nothing but the target: no checkpoint collection, graph or key on the server (issue 8).
      expect(await own()).toEqual(before);
      expect(res.datasets).toHaveLength(1);
      expect(res.datasets[0]!.digest).toBe(digest);
      if (store.source([t])) expect(await digestOf(t)).toBe(digest);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it('restores through the reader thread (--reader-thread) with the trailer\'s digest', async () => {
      const t = target();
      const res = await importArchive({ input: Readable.from([big]), sink: store.sink(renamed(t)), readerThread: true, reader: { batchSize: 100 } });
      expect(res.datasets[0]!.digest).toBe(bigDigest);
      if (store.source([t])) expect(await digestOf(t)).toBe(bigDigest);
    });

    it('through the reader thread, a shard that goes bad part way fails with MALFORMED_RECORD after the same batches, and is undone', async () => {
      const t = target();
      const before = await store.list(tag);
      let handedOn = 0;
      const { forged, before: earlier } = await badLineInLastShard(big, 60);
      const err = await failure(importArchive({ input: Readable.from([forged]), sink: store.sink(renamed(t)), readerThread: true, reader: { batchSize: 25 }, onRecords: (n) => (handedOn += n) }));
      expect(err.code, err.message).toBe('MALFORMED_RECORD');
      expect(err.message).toMatch(/line 60/);
      expect(handedOn).toBe(earlier + 50);
      expect(await store.list(tag)).toEqual(before);
    });

    it('restores an empty dataset', async () => {
      const t = target();
      const empty = await archiveOf(store, 0, ['data']);
      const res = await load(empty, t);
      expect(Object.values(res.datasets[0]!.records).every((c) => c === 0)).toBe(true);
      if (store.source([t])) expect(await digestOf(t)).toBe((await trailerDigests(empty))[0]);
    });

    it('a dry run writes nothing to the server', async () => {
      const t = target();
      const before = await store.list(tag);
      const res = await load(archive, t, { dryRun: true });
      expect(res.datasets[0]!.digest).toBe(digest);
      expect(await store.list(tag)).toEqual(before);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.each([
      ['a corrupt last shard', corruptLastShard, 'CHECKSUM_MISMATCH'],
      ['a missing trailer', async (b: Buffer) => withoutTrailer(b), 'MISSING_TRAILER'],
    ] as const)('%s: the import fails with its code and writes nothing', async (_what, damage, code) => {
      const t = target();
      const before = await store.list(tag);
      const err = await failure(load(await damage(archive), t));
      expect(err.code).toBe(code);
      expect(await store.list(tag)).toEqual(before);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    // The reader hands records on as it checks them (one pass per shard): a shard whose checksum
    // is right but whose records go bad part way has had its first batches written when the bad
    // line is found. The load is staged, so nothing of it may remain.
    const partWayModes: Array<[string, IfExists | undefined]> = [['a new target', undefined]];
    if (caps.persistent) partWayModes.push(['an append', 'append']);
    if (caps.persistent && caps.keyed) partWayModes.push(['a merge', 'merge']);
    it.each(partWayModes)('a shard that goes bad part way, its checksums intact: %s fails with MALFORMED_RECORD and is undone exactly', async (_what, ifExists) => {
      const t = target();
      // An append needs a target without the archive's keys (the empty dataset); a merge
      // overwrites the small archive's records.
      if (ifExists) await load(ifExists === 'append' ? await archiveOf(store, 0, ['data']) : archive, t);
      const before = await store.list(tag);
      const had = ifExists && store.source([t]) ? await digestOf(t) : null;
      let handedOn = 0;
      const { forged, before: earlier } = await badLineInLastShard(big, 60);
      const err = await failure(
        importArchive({
          input: Readable.from([forged]),
          sink: store.sink({ ...renamed(t), ...(ifExists ? { ifExists } : {}) }),
          reader: { batchSize: 25 },
          onRecords: (n) => (handedOn += n),
        }),
      );
      expect(err.code, err.message).toBe('MALFORMED_RECORD');
      expect(err.message).toMatch(/line 60/);
      // Every earlier shard, and the bad shard's first two batches, reached the sink before the
      // bad line was read.
      expect(handedOn).toBe(earlier + 50);
      expect(await store.list(tag)).toEqual(before);
      if (had) expect(await digestOf(t)).toBe(had);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    // The reader compares the records' digest with the trailer's, or leaves that to a sink that
    // digests what the target holds (DatasetSink.digestsTarget): either way the run fails and
    // nothing stays, and a sink's failure says the archive's own digest was not recomputed.
    it('an archive whose trailer digest alone is wrong is refused, and nothing of it stays', async () => {
      const t = target();
      const before = await store.list(tag);
      const inner = store.sink(renamed(t));
      const given: DatasetSink[] = [];
      const sink: Sink = {
        async dataset(d: DatasetDescriptor) {
          const s = await inner.dataset(d);
          if (s) given.push(s);
          return s;
        },
        close: () => inner.close(),
      };
      const err = await failure(importArchive({ input: Readable.from([await wrongTrailerDigest(archive)]), sink }));
      expect(given).toHaveLength(1);
      if (given[0]!.digestsTarget) {
        expect(err.code, err.message).toBe('VERIFY_FAILED');
        expect(err.hint).toMatch(/does not recompute the archive's own.*`memarc verify`/);
      } else {
        expect(err.code, err.message).toBe('DIGEST_MISMATCH');
      }
      expect(await store.list(tag)).toEqual(before);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.skipIf(!caps.persistent)('--if-exists fail refuses an existing target and leaves it as it was', async () => {
      const t = target();
      await load(archive, t);
      const before = await store.list(tag);
      const err = await failure(load(big, t));
      expect(err.code).toBe('TARGET_EXISTS');
      expect(await store.list(tag)).toEqual(before);
      if (store.source([t])) expect(await digestOf(t)).toBe(digest);
    });

    it.skipIf(!caps.persistent)('--if-exists append refuses archived ids the target holds, names them, and leaves the target as it was', async () => {
      const t = target();
      await load(archive, t);
      const before = await store.list(tag);
      if (!caps.keyed) {
        // Archived keys are not kept in the target: an append adds, and nothing can collide.
        const res = await load(archive, t, { ifExists: 'append' });
        expect(res.datasets[0]!.actions.join('\n')).toMatch(/append/);
        return;
      }
      // The big archive holds the small one's ids (the synthetic ids are 0..n-1) and more.
      const err = await failure(load(big, t, { ifExists: 'append' }));
      expect(err.code).toBe('TARGET_EXISTS');
      expect(err.message).toMatch(/already holds \d+ (point id|row key)\(s\)/);
      expect(await store.list(tag)).toEqual(before);
      if (store.source([t])) expect(await digestOf(t)).toBe(digest);
    });

    it.skipIf(!caps.persistent)('--if-exists merge overwrites what the target holds', async () => {
      const t = target();
      await load(archive, t);
      if (!caps.keyed) {
        const err = await failure(load(archive, t, { ifExists: 'merge' }));
        expect(err.code).toBe('USAGE');
        if (store.source([t])) expect(await digestOf(t)).toBe(digest);
        return;
      }
      const res = await load(big, t, { ifExists: 'merge' });
      expect(res.datasets[0]!.digest).toBe(bigDigest);
      // Every id of the small archive is one of the big one's: the target now holds the big one.
      if (store.source([t])) expect(await digestOf(t)).toBe(bigDigest);
    });

    it.skipIf(!caps.persistent)('an append that fails part-way is undone exactly', async () => {
      const t = target();
      await load(await archiveOf(store, 0, ['data']), t);
      const before = await store.list(tag);
      const emptyDigest = store.source([t]) ? await digestOf(t) : null;
      // Every shard but the last lands in the live target before the corrupt one is found.
      const err = await failure(load(await corruptLastShard(big), t, { ifExists: 'append' }));
      expect(err.code).toBe('CHECKSUM_MISMATCH');
      expect(err.hint).toMatch(/Nothing was published; rolled back: .*(deleted|removed)/);
      expect(await store.list(tag)).toEqual(before);
      if (emptyDigest) expect(await digestOf(t)).toBe(emptyDigest);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.skipIf(!caps.persistent || !caps.keyed)('a merge that fails part-way is undone exactly, overwritten records included', async () => {
      const t = target();
      await load(archive, t);
      // Another seed: the same integer ids with other vectors and payloads, so the merge overwrites.
      const other = await archiveOf(store, 3000, ['data'], 2);
      const err = await failure(load(await corruptLastShard(other), t, { ifExists: 'merge' }));
      expect(err.code).toBe('CHECKSUM_MISMATCH');
      expect(err.hint).toMatch(caps.staged ? /was not touched/ : /wrote back the \d+ it overwrote/);
      if (store.source([t])) expect(await digestOf(t)).toBe(digest);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.skipIf(!caps.persistent)('--if-exists replace ends with exactly the archive, and no staging left', async () => {
      const t = target();
      await load(big, t);
      const res = await load(archive, t, { ifExists: 'replace' });
      expect(res.datasets[0]!.digest).toBe(digest);
      if (store.source([t])) expect(await digestOf(t)).toBe(digest);
      expect((await store.list(tag)).filter((x) => x.includes(t) && /memarc_(stage|prev)_/.test(x))).toEqual([]);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.skipIf(!caps.persistent || !caps.readBack)('a replace stopped between publishing and finishing is put back by --rollback', async () => {
      const t = target();
      await load(archive, t);
      await load(archive, t, { ifExists: 'replace' }); // on Qdrant the target is an alias from here on
      const real = store.sink({ ...renamed(t), ifExists: 'replace' });
      // The process dies after the switch, before the previous version is dropped.
      const sink = overriding(real, () => ({
        finish: async () => {
          throw new Error('killed before finishing (injected by the test)');
        },
      }));
      const res = await importArchive({ input: Readable.from([big]), sink });
      expect(res.datasets[0]!.actions.join('\n')).toMatch(/cleanup after publishing did not finish/);
      expect(await digestOf(t)).toBe(bigDigest);
      const back = await importArchive({ input: Readable.from([big]), sink: store.sink({ ...renamed(t), ifExists: 'replace' }), rollback: true });
      expect(back.rolledBack!.join('\n')).toMatch(/back/);
      expect(await digestOf(t)).toBe(digest);
      expect(await checkpointsOf(t)).toEqual([]);
    });

    it.skipIf(!caps.persistent)('a two-dataset import whose second dataset exists fails before writing anything', async () => {
      const [a, b] = [target(), target()];
      const two = await archiveOf(store, 120, ['one', 'two']);
      await load(archive, b);
      const before = await store.list(tag);
      const real = store.sink({ rename: { one: a, two: b } });
      const opened: string[] = [];
      const sink = overriding(real, (d, ds) => ({
        open: (...args: Parameters<typeof ds.open>) => (opened.push(d.name), ds.open(...args)),
      }));
      const err = await failure(importArchive({ input: Readable.from([two]), sink }));
      expect(err.code).toBe('TARGET_EXISTS');
      expect(opened).toEqual([]); // refused at inspection, before the first dataset was opened
      expect(await store.list(tag)).toEqual(before);
    });

    it('a two-dataset import whose second dataset fails verification publishes nothing', async () => {
      const [a, b] = [target(), target()];
      const two = await archiveOf(store, 120, ['one', 'two']);
      const before = await store.list(tag);
      const real = store.sink({ rename: { one: a, two: b } });
      const sink = overriding(real, (d) => d.name === 'two' && ({
        verify: async () => {
          throw new MemarcError('VERIFY_FAILED', 'the read-back differs (injected by the test)');
        },
      }));
      const err = await failure(importArchive({ input: Readable.from([two]), sink }));
      expect(err.code).toBe('VERIFY_FAILED');
      expect(err.hint).toMatch(/Nothing was published; rolled back: one: .*; two: /);
      expect(err.hint).not.toMatch(/kept/);
      expect(await store.list(tag)).toEqual(before);
      expect(await checkpointsOf(a)).toEqual([]);
    });

    it('a two-dataset import whose second dataset fails to publish leaves the first unpublished, and says so', async () => {
      const [a, b] = [target(), target()];
      const two = await archiveOf(store, 120, ['one', 'two']);
      const before = await store.list(tag);
      const real = store.sink({ rename: { one: a, two: b } });
      // The second dataset's publish step fails, as a server refusing the switch would.
      const sink = overriding(real, (d) => d.name === 'two' && ({
        undoable: () => true,
        publish: async () => {
          throw new MemarcError('STORE_ERROR', 'the switch was refused (injected by the test)');
        },
      }));
      const err = await failure(importArchive({ input: Readable.from([two]), sink }));
      expect(err.code).toBe('STORE_ERROR');
      expect(err.message).toMatch(/publishing dataset "two" failed/);
      expect(err.message).toMatch(/put back|no dataset was published/);
      expect(err.message).not.toMatch(/STILL PUBLISHED/);
      expect(await store.list(tag)).toEqual(before);
    });

    it.skipIf(!caps.persistent || !caps.readBack)('migrate copies a dataset with an equal digest', async () => {
      const from = target();
      const to = target();
      await load(archive, from);
      const res = await migrate({ source: store.source([from])!, sink: store.sink({ rename: { [from]: to } }) });
      expect(res.datasets[0]!.digest).toBe(digest);
      expect(await digestOf(to)).toBe(digest);
      // A migration can never resume (its run id is random): it keeps no checkpoint anywhere.
      expect(await checkpointsOf(to)).toEqual([]);
    });

    describe.skipIf(!caps.cli)('through the CLI', () => {
      it.each(['SIGKILL', 'SIGINT', 'SIGTERM'] as const)('%s mid-import, then --resume, ends equal', async (sig) => {
        const t = target();
        const args = [bigPath, ...store.cliTarget!, '--rename', `data=${t}`];
        const stopped = await importStopped(args, t, sig);
        expect(stopped.stoppedMidway).toBe(true);
        if (sig !== 'SIGKILL') {
          expect(stopped.code).toBe(130);
          expect(stopped.stderr).toMatch(/--resume/);
          expect(stopped.stderr).toMatch(/--rollback/);
        } else {
          expect(stopped.signal).toBe('SIGKILL');
        }
        // The checkpoint survived the stop.
        expect((await checkpointsOf(t)).length).toBe(1);
        const again = await runCli(['import', ...args, '--resume']);
        expect(again.stderr).toMatch(/resum/);
        expect(again.code, again.stderr).toBe(0);
        if (store.source([t])) expect(await digestOf(t)).toBe(bigDigest);
        expect(await checkpointsOf(t)).toEqual([]);
        expect((await store.list(tag)).filter((x) => x.includes(t) && /memarc_stage_/.test(x))).toEqual([]);
      });

      it('SIGINT mid-import, then --rollback, leaves the server as it was', async () => {
        const t = target();
        const before = await store.list(tag);
        const args = [bigPath, ...store.cliTarget!, '--rename', `data=${t}`];
        const stopped = await importStopped(args, t, 'SIGINT');
        expect(stopped.stoppedMidway).toBe(true);
        expect(stopped.code).toBe(130);
        expect(await store.list(tag)).not.toEqual(before); // the staging data was kept
        const back = await runCli(['import', ...args, '--rollback']);
        expect(back.code, back.stderr).toBe(0);
        expect(back.stdout.toString()).toMatch(/rolled back/);
        expect(await store.list(tag)).toEqual(before);
        expect(await checkpointsOf(t)).toEqual([]);
      });

      it.skipIf(!caps.keyed)('SIGKILL mid-merge, then --rollback, puts the target back exactly', async () => {
        const t = target();
        await load(archive, t);
        const args = [bigPath, ...store.cliTarget!, '--rename', `data=${t}`, '--if-exists', 'merge'];
        // The big archive's first 240 records are the small one's: wait until new ones landed.
        const stopped = await importStopped(args, t, 'SIGKILL', 4);
        expect(stopped.stoppedMidway).toBe(true);
        if (caps.staged) {
          // Nothing reached the live target; --rollback drops the staging data and the checkpoint.
          expect(await digestOf(t)).toBe(digest);
          const back = await runCli(['import', ...args, '--rollback']);
          expect(back.code, back.stderr).toBe(0);
          expect(await digestOf(t)).toBe(digest);
          expect((await store.list(tag)).filter((x) => x.includes(t) && /memarc_stage_/.test(x))).toEqual([]);
          expect(await checkpointsOf(t)).toEqual([]);
          return;
        }
        expect(await digestOf(t)).not.toBe(digest);
        const again = await runCli(['import', ...args]);
        expect(again.code).toBe(2); // refuses to start over an undo journal (or a staging copy)
        expect(again.stderr).toMatch(/--rollback/);
        const back = await runCli(['import', ...args, '--rollback']);
        expect(back.code, back.stderr).toBe(0);
        expect(back.stdout.toString()).toMatch(caps.staged ? /dropped the staging/ : /undid the interrupted merge/);
        expect(await digestOf(t)).toBe(digest);
        expect(await checkpointsOf(t)).toEqual([]);
      });

      it('a dry run through the CLI writes nothing', async () => {
        const t = target();
        const before = await store.list(tag);
        const r = await runCli(['import', archivePath, ...store.cliTarget!, '--rename', `data=${t}`, '--dry-run']);
        expect(r.code, r.stderr).toBe(0);
        expect(await store.list(tag)).toEqual(before);
      });
    });
  });
}
