/**
 * The end-to-end demo the README opens with: no server needed. The main job on a real embedded
 * store: an OpenMemory-shaped SQLite file (memories, apps, users, categories, access logs, status
 * history) is exported to an archive together with a synthetic memory store (vectors and a graph),
 * the archive is verified and inspected, every record is read back through the import path, the
 * SQLite tables are restored into a new file, and the content digests are compared: the
 * trailer's, the read-back's, and for the SQLite tables the restored file's (exported again), for
 * the synthetic datasets one computed independently from regenerated source records.
 *
 * The SQLite store is reached through the registry, as every CLI command reaches stores; the
 * synthetic store and the memory sink are the demo's own.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { REGISTRY } from '../../adapters/registry.ts';
import { memorySink } from '../../adapters/memory/index.ts';
import { createOpenMemoryDb, syntheticSource } from '../../adapters/synthetic/index.ts';
import { descriptorFamily, type Sink, type Source } from '../../core/adapter.ts';
import { exportArchive } from '../../core/export.ts';
import { importArchive } from '../../core/import.ts';
import { restoreSink } from '../../core/stores.ts';
import { inspectArchive, verifyArchive } from '../../core/verify.ts';
import { MemarcError } from '../../errors.ts';
import { DatasetDigest } from '../../format/digest.ts';
import { FAMILIES } from '../../format/records.ts';
import { openInput, openOutput } from '../../transport/index.ts';
import type { CommandContext } from '../main.ts';
import { log, out, printJson, progress } from '../output.ts';
import { printSummary } from './inspect.ts';

/** The SQLite store of the registry: a source over a file, a sink into a file. */
async function sqliteEnds(file: string, logTo: (m: string) => void): Promise<{ source(): Promise<Source>; sink(): Promise<Sink> }> {
  const store = REGISTRY.find((s) => s.name === 'sqlite');
  if (!store?.source || !store.sink) throw new MemarcError('INTERNAL', 'this build has no SQLite adapter, which the demo needs');
  const base = { env: {}, log: logTo };
  return {
    source: async () => (await store.source!({ ...base, options: { sqlite: file } }))!,
    sink: async () => (await store.sink!({ ...base, options: { sqlite: file }, ifExists: 'fail' }))!,
  };
}

export async function demo({ g, signal }: CommandContext, flags: { count: number; dim: number; out?: string }): Promise<void> {
  const dir = flags.out ? null : await mkdtemp(path.join(tmpdir(), 'memarc-demo-'));
  const file = flags.out ?? path.join(dir!, 'demo.memarc');
  // The SQLite files go beside the archive: a temporary directory, or the one of --out.
  const work = dir ?? (await mkdtemp(path.join(path.dirname(path.resolve(flags.out!)), '.memarc-demo-')));
  const dbFile = path.join(work, 'openmemory.db');
  const restoredFile = path.join(work, 'openmemory-restored.db');
  const say = (m: string) => (g.json ? undefined : out(m));
  const quiet = (m: string) => log(g, m);
  // OpenMemory's vector collection is called `openmemory`; the name also keeps it apart from the `memories` table.
  const synthetic = () => syntheticSource({ count: flags.count, dim: flags.dim, seed: 42, collection: 'openmemory' });
  try {
    const counts = createOpenMemoryDb(dbFile, { memories: flags.count, seed: 42 });
    const rowsTotal = Object.values(counts).reduce((a, b) => a + b, 0);
    say(`1. export: an OpenMemory-shaped SQLite file (${rowsTotal} rows in ${Object.keys(counts).length} tables: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}),`);
    say(`   and beside it a collection of ${flags.count} synthetic memory vectors (${flags.dim}-dim, payloads) and a graph of ${flags.count} entities → ${flags.out ?? 'a temporary archive'}`);
    const t0 = performance.now();
    const p = progress(g, 'export');
    const sqlite = await sqliteEnds(dbFile, quiet);
    const exported = await exportArchive({ sources: [await sqlite.source(), synthetic()], output: await openOutput(file, { force: Boolean(flags.out), signal }), signal, onShard: (s) => { p.records(s.records); p.bytes(s.size); } });
    p.done();
    const size = (await stat(file)).size;
    say(`   ${exported.trailer.totals.records} records in ${exported.trailer.totals.shards} shards, ${(size / 1048576).toFixed(2)} MiB, ${((performance.now() - t0) / 1000).toFixed(2)} s`);

    say('2. verify: every shard checksum, record, count and content digest against the trailer');
    const verified = await verifyArchive(await openInput(file), { signal });
    say(`   OK: ${verified.trailer.totals.records} records verified`);

    say('3. inspect:');
    const inspected = await inspectArchive(await openInput(file), { signal });
    if (!g.json) printSummary(file, inspected, false);

    say('4. read back: every record through the import path into a digesting sink');
    const readBack = await importArchive({ input: await openInput(file), sink: memorySink(), signal });

    say(`5. restore: the SQLite tables into a new file, ${restoredFile} (written under a temporary name, read back and verified, then renamed)`);
    const restoredReport = await importArchive({ input: await openInput(file), sink: restoreSink(REGISTRY, new Map([['sqlite', await (await sqliteEnds(restoredFile, quiet)).sink()]])), signal, stateDir: false });
    say(`   ${restoredReport.datasets.length} tables restored; the other datasets are read back only (their stores are servers)`);

    say('6. compare content digests: trailer, read-back, and the restored file (exported again) or the regenerated source');
    const independent = new Map<string, string>();
    const again = await exportArchive({ sources: [await (await sqliteEnds(restoredFile, quiet)).source()], output: new Writable({ write: (_c, _e, cb) => cb() }), signal });
    for (const td of again.trailer.datasets) independent.set(td.name, td.digest);
    for (const ds of await synthetic().open()) {
      const d = new DatasetDigest();
      try {
        for (const kind of FAMILIES[descriptorFamily(ds.descriptor)]) for await (const batch of ds.batches(kind)) for (const r of batch) d.add(kind, r);
      } finally {
        d.dropNodeTable();
      }
      independent.set(ds.descriptor.name, d.hex());
    }
    const rows = exported.trailer.datasets.map((td) => {
      const back = readBack.datasets.find((r) => r.dataset === td.name)?.digest;
      const src = independent.get(td.name);
      const restored = restoredReport.datasets.some((r) => r.dataset === td.name);
      return { dataset: td.name, records: td.records, trailer: td.digest, readBack: back, [restored ? 'restoredFile' : 'source']: src, equal: td.digest === back && td.digest === src };
    });
    for (const r of rows) say(`   ${r.equal ? 'EQUAL   ' : 'DIFFERENT'} ${r.dataset}${'restoredFile' in r ? ' (restored file)' : ''}: ${r.trailer}`);
    const ok = rows.every((r) => r.equal);
    if (g.json) printJson({ ok, archive: flags.out ?? null, bytes: size, totals: exported.trailer.totals, datasets: rows });
    if (!ok) throw new MemarcError('VERIFY_FAILED', 'the demo read back different content than it wrote');
    say('demo OK: the SQLite file round-trips into a new file, and every dataset with equal content digests');
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => log(g, `could not remove ${dir}`));
    else await rm(work, { recursive: true, force: true }).catch(() => log(g, `could not remove ${work}`));
  }
}
