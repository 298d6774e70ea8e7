/**
 * Summarizes the RSS traces that `--trace DIR` makes (bench/peak-rss.js, one line a second):
 * for each run, how long it took, its RSS by percentile and its peak (VmHWM), and where what is
 * outside V8's heap went, between the run's first and last tenth. A peak is the largest of many
 * samples, so a longer run of the same steady state reaches a higher one; the percentiles show
 * whether the steady state itself grew.
 *
 *   node bench/trace-summary.ts DIR [DIR …]
 *
 * Columns of a trace line (KiB): seconds, VmRSS, VmHWM, heap used, heap total, external, array
 * buffers, and (from session 8 on) malloc's `[heap]`, other anonymous mappings, file mappings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const mib = (kib: number): string => (Number.isFinite(kib) ? String(Math.round(kib / 1024)) : '—');

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(xs: number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

export function summarize(file: string): string {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split('\t').map((x) => (x === '' ? NaN : Number(x))));
  if (rows.length === 0) return `| ${path.basename(file)} | (empty) |||||||||`;
  const rss = rows.map((r) => r[1]!).sort((a, b) => a - b);
  const hwm = Math.max(...rows.map((r) => r[2]!));
  const tenth = Math.max(1, Math.floor(rows.length / 10));
  const first = rows.slice(0, tenth);
  const last = rows.slice(-tenth);
  // RSS less V8's heap total and external memory: the process itself, V8's kept pages, malloc.
  const outside = (rs: number[][]): number => median(rs.map((r) => r[1]! - r[4]! - r[5]!));
  const col = (rs: number[][], i: number): number => median(rs.map((r) => r[i]!).filter(Number.isFinite));
  const pair = (i: number): string => `${mib(col(first, i))} → ${mib(col(last, i))}`;
  return `| ${path.basename(file)} | ${rows.at(-1)![0]} s | ${mib(quantile(rss, 0.5))} | ${mib(quantile(rss, 0.9))} | ${mib(quantile(rss, 0.99))} | ${mib(hwm)} | ${pair(4)} | ${mib(outside(first))} → ${mib(outside(last))} | ${pair(7)} | ${pair(8)} |`;
}

if (import.meta.main) {
  console.log('| trace | time | RSS p50 | p90 | p99 | peak (VmHWM) | V8 heap total, first → last tenth | RSS − heap total − external | malloc [heap] | other anonymous |');
  console.log('|---|---:|---:|---:|---:|---:|---|---|---|---|');
  for (const dir of process.argv.slice(2)) {
    const files = statSync(dir).isDirectory() ? readdirSync(dir).filter((f) => f.endsWith('.tsv')).sort().map((f) => path.join(dir, f)) : [dir];
    for (const f of files) console.log(summarize(f));
  }
  console.log('\nMiB; percentiles of one-second samples; "first → last tenth" are medians over the first and the last tenth of the run.');
}
