/**
 * The Postgres adapter through the CLI against the tools users know and a bare COPY loop, on the
 * same server, in the same run: a table of N rows with `vector(768)` (plus text, jsonb and
 * timestamptz columns and a bigint primary key).
 *
 * - export: `memarc export --postgres` (one REPEATABLE READ snapshot, binary COPY, decode, gzip
 *   NDJSON archive) vs `pg_dump -Fc` (its default compression) vs a bare loop that streams
 *   `COPY … TO STDOUT (FORMAT binary)` through pg-copy-streams and drops the bytes;
 * - import: `memarc import --postgres` (staging schema, binary COPY per batch, primary key built
 *   after the load, the whole table read back and digested, switched into place) vs `pg_restore`
 *   vs a bare loop that streams the bare export's bytes into `COPY … FROM STDIN (FORMAT binary)`.
 *
 * Every phase is its own process; peak RSS is that process's own (VmHWM: bench/peak.ts, loaded
 * with `--import bench/peak-rss.js` into the CLI; GNU time's %M for pg_dump and pg_restore).
 *
 * Usage: node bench/postgres.bench.ts [--rows 100000] [--dim 768]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pgInstallDir, startPostgres } from '../test/helpers/postgres-server.ts';
import { peakRssKiB } from './peak.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, dim: { type: 'string', default: '768' }, phase: { type: 'string' }, url: { type: 'string' }, file: { type: 'string' } } });

const TABLE = 'memory_entries';

// --- the bare loops, each run as a child of this script ---

async function bareOut(url: string, file: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await pipeline(c.query(copyTo(`COPY ${TABLE} TO STDOUT (FORMAT binary)`)), createWriteStream(file));
  await c.end();
}

async function bareIn(url: string, file: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, content text NOT NULL, metadata jsonb, created_at timestamptz NOT NULL, embedding vector(${values.dim}))`);
  await pipeline(createReadStream(file), c.query(copyFrom(`COPY ${TABLE} FROM STDIN (FORMAT binary)`)));
  await c.end();
}

if (values.phase) {
  const t0 = performance.now();
  if (values.phase === 'bare-out') await bareOut(values.url!, values.file!);
  else await bareIn(values.url!, values.file!);
  process.stdout.write(JSON.stringify({ secs: (performance.now() - t0) / 1000, rssMiB: Math.round(peakRssKiB() / 1024) }));
  process.exit(0);
}

// --- the driver ---

interface Run {
  secs: number;
  rssMiB: number;
}

function cli(args: string[]): Run {
  const rssFile = path.join(tmp, `rss-${Math.random().toString(36).slice(2)}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-semi-space-size=2', '--import', path.join(ROOT, 'bench/peak-rss.js'), path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, MEMARC_PEAK_RSS_FILE: rssFile, MEMARC_STATE_DIR: path.join(tmp, 'state') }, maxBuffer: 64 * 1024 * 1024,
  });
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`memarc ${args.join(' ')} failed: ${r.stderr}`);
  return { secs, rssMiB: Math.round(Number(readFileSync(rssFile, 'utf8').split('\n')[0]) / 1024) };
}

function gnuTime(bin: string, args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', bin, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const secs = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed: ${r.stderr}`);
  const kib = Number(r.stderr.trim().split('\n').at(-1));
  return { secs, rssMiB: Math.round(kib / 1024) };
}

function child(phase: string, url: string, file: string): Run {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', phase, '--url', url, '--file', file, '--dim', values.dim!], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

const rows = Number(values.rows);
const dim = Number(values.dim);
const tmp = mkdtempSync(path.join(tmpdir(), 'memarc-pg-bench-'));
const server = await startPostgres();
try {
  const bin = path.join(pgInstallDir(), 'bin');
  const src = await server.database('bench_src');
  await sql(src, `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, content text NOT NULL, metadata jsonb, created_at timestamptz NOT NULL, embedding vector(${dim}))`);
  // Rows made on the server, 10,000 at a time; the vectors differ per row so nothing compresses away.
  for (let i = 0; i < rows; i += 10_000) {
    await sql(src, `INSERT INTO ${TABLE} SELECT i, 'memory number ' || i || ' about something the agent learnt', jsonb_build_object('turn', i, 'tags', jsonb_build_array('a', 'b'), 'score', i / 7.0::float8),
      '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 second', (SELECT array_agg(sin(i * 0.001 + j)::real) FROM generate_series(1, ${dim}) j)::vector
      FROM generate_series(${i}, ${Math.min(rows, i + 10_000) - 1}) i`);
  }
  await sql(src, `VACUUM ANALYZE ${TABLE}`);
  const tableBytes = Number((await sql(src, `SELECT pg_total_relation_size('${TABLE}') AS b`)).rows[0].b);

  const archive = path.join(tmp, 'a.memarc');
  const dump = path.join(tmp, 'a.dump');
  const raw = path.join(tmp, 'a.copy');
  const results: Array<{ what: string; run: Run; bytes?: number }> = [];

  results.push({ what: 'export: bare COPY TO (binary) loop', run: child('bare-out', src, raw), bytes: statSync(raw).size });
  results.push({ what: 'export: pg_dump -Fc', run: gnuTime(path.join(bin, 'pg_dump'), ['-Fc', '-f', dump, src]), bytes: statSync(dump).size });
  results.push({ what: 'export: memarc export --postgres', run: cli(['export', '--postgres', src, '-o', archive]), bytes: statSync(archive).size });

  const d1 = await server.database('bench_bare');
  results.push({ what: 'import: bare COPY FROM (binary) loop into the table with its primary key', run: child('bare-in', d1, raw) });
  const d2 = await server.database('bench_restore');
  results.push({ what: 'import: pg_restore', run: gnuTime(path.join(bin, 'pg_restore'), ['-d', d2, dump]) });
  const d3 = await server.database('bench_memarc');
  results.push({ what: 'import: memarc import --postgres (verified read-back)', run: cli(['import', archive, '--postgres', d3]) });

  const base = (prefix: string) => results.find((r) => r.what.startsWith(prefix))!.run.secs;
  console.log(`\n${rows} rows, vector(${dim}); table ${(tableBytes / 2 ** 20).toFixed(0)} MiB on disk\n`);
  console.log('| phase | seconds | rows/s | vs bare COPY | peak RSS | output |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const bare = r.what.startsWith('export') ? base('export: bare') : base('import: bare');
    console.log(`| ${r.what} | ${r.run.secs.toFixed(1)} | ${Math.round(rows / r.run.secs).toLocaleString('en-US')} | ${(r.run.secs / bare).toFixed(2)}× | ${r.run.rssMiB ? `${r.run.rssMiB} MiB` : '—'} | ${r.bytes ? `${(r.bytes / 2 ** 20).toFixed(0)} MiB` : ''} |`);
  }
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
