/**
 * SQLite adapter against bare node:sqlite loops on the same file, in the same run. Every phase runs
 * in its own child process, so each peak RSS is that phase's alone.
 *
 * - export: the bare loop iterates every table with the source's statement shape (setReadBigInts,
 *   arrays) inside one read transaction and touches every value; `memarc` exports the file into an
 *   archive on disk (one read transaction; `auto` in this rollback-journal file first copies it
 *   with the backup API; `transaction` reads the live file).
 * - import: the bare loop copies every table's rows from the source file into a new file with a
 *   prepared INSERT, one transaction per table (no archive, no checks); `memarc` restores the
 *   archive into a new file (decode and verify, staged inserts, read-back digest, rename).
 *
 * Usage: node bench/sqlite.bench.ts [--memories 20000,100000]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { sqliteSink, sqliteSource, type SnapshotMode } from '../src/adapters/sqlite/index.ts';
import { createOpenMemoryDb } from '../src/adapters/synthetic/index.ts';
import { exportArchive } from '../src/core/export.ts';
import { importArchive } from '../src/core/import.ts';
import { peakRssKiB } from './peak.ts';
import { childV8Flags } from './v8-flags.ts';

const { values } = parseArgs({
  options: {
    memories: { type: 'string', default: '20000' },
    phase: { type: 'string' },
    dir: { type: 'string' },
    snapshot: { type: 'string' },
  },
});

interface PhaseResult {
  secs: number;
  rows: number;
  rssMiB: number;
}

function tables(db: DatabaseSync): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

async function phase(name: string, dir: string): Promise<PhaseResult> {
  const src = join(dir, 'src.db');
  const archive = join(dir, 'a.memarc');
  const t0 = performance.now();
  let rows = 0;
  if (name === 'bare-export') {
    const db = new DatabaseSync(src, { readOnly: true });
    db.exec('BEGIN');
    for (const t of tables(db)) {
      const q = db.prepare(`SELECT * FROM "${t}"`);
      q.setReadBigInts(true);
      q.setReturnArrays(true);
      for (const r of q.iterate() as Iterable<unknown[]>) {
        rows++;
        for (const v of r) if (v === undefined) throw new Error('unreachable');
      }
    }
    db.exec('ROLLBACK');
    db.close();
  } else if (name === 'export') {
    const { trailer } = await exportArchive({ sources: [sqliteSource({ path: src, snapshot: (values.snapshot ?? 'auto') as SnapshotMode })], output: createWriteStream(archive) });
    rows = trailer.totals.records;
  } else if (name === 'bare-import') {
    const from = new DatabaseSync(src, { readOnly: true });
    const to = new DatabaseSync(join(dir, 'bare.db'), { enableForeignKeyConstraints: false });
    for (const t of tables(from)) {
      const sql = (from.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(t) as { sql: string }).sql;
      to.exec(sql);
      const q = from.prepare(`SELECT * FROM "${t}"`);
      q.setReadBigInts(true);
      q.setReturnArrays(true);
      const n = (from.prepare(`SELECT count(*) AS c FROM pragma_table_info(?)`).get(t) as { c: number }).c;
      const ins = to.prepare(`INSERT INTO "${t}" VALUES (${Array(Number(n)).fill('?').join(', ')})`);
      to.exec('BEGIN');
      for (const r of q.iterate() as Iterable<Array<null | bigint | number | string | Uint8Array>>) {
        ins.run(...r);
        rows++;
      }
      to.exec('COMMIT');
    }
    from.close();
    to.close();
  } else if (name === 'import') {
    const res = await importArchive({ input: createReadStream(archive), sink: sqliteSink({ path: join(dir, 'restored.db') }), stateDir: false });
    rows = res.datasets.reduce((s, d) => s + (d.records.row ?? 0), 0);
  } else throw new Error(`unknown phase ${name}`);
  return { secs: (performance.now() - t0) / 1000, rows, rssMiB: Math.round(peakRssKiB() / 1024) };
}

function child(name: string, dir: string, extra: string[] = []): PhaseResult {
  const r = spawnSync(process.execPath, [...childV8Flags(process.argv), fileURLToPath(import.meta.url), '--phase', name, '--dir', dir, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`phase ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PhaseResult;
}

if (values.phase) {
  process.stdout.write(JSON.stringify(await phase(values.phase, values.dir!)) + '\n');
} else {
  console.log('| memories | file | step | memarc | bare loop (same file, same run) | ratio | peak RSS (memarc / bare) |');
  console.log('|---:|---|---|---|---|---|---:|');
  for (const n of values.memories.split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'memarc-sqlite-bench-'));
    try {
      createOpenMemoryDb(join(dir, 'src.db'), { memories: n });
      const mib = (statSync(join(dir, 'src.db')).size / 1048576).toFixed(1);
      const bareE = child('bare-export', dir);
      const expTx = child('export', dir, ['--snapshot', 'transaction']);
      const exp = child('export', dir, ['--snapshot', 'auto']);
      const bareI = child('bare-import', dir);
      const imp = child('import', dir);
      const row = (step: string, m: PhaseResult, b: PhaseResult) =>
        console.log(`| ${n} | ${mib} MiB, ${m.rows} rows | ${step} | ${m.secs.toFixed(2)} s, ${Math.round(m.rows / m.secs)} rows/s | ${b.secs.toFixed(2)} s | **${(b.secs / m.secs).toFixed(2)}×** | ${m.rssMiB} / ${b.rssMiB} MiB |`);
      row('export (live file, one transaction)', expTx, bareE);
      row('export (auto: backup copy, then read)', exp, bareE);
      row('import into a new file (verified)', imp, bareI);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
