/**
 * Interleaved A/B of two builds of the CLI on one command: peak RSS, CPU and wall time of each run.
 * Each build is laid out as an installed package (bin/memarc.js with its shebang's V8 flags and
 * malloc settings, a freshly compiled dist/, package.json, this checkout's node_modules) in a
 * temporary directory; build A is a git commit (`git archive`), build B the working tree unless
 * --b names a commit too. Runs alternate A, B, A, B, … so that a machine that slows or speeds up
 * during the bench weighs on both alike; a change's effect on peak RSS is a few MiB against a run
 * to run spread of about as much, so one run each says little.
 *
 *   node bench/ab.bench.ts [--a REF] [--b REF] [--runs 3] [--then 'shell command'] [--a-args '…'] [--b-args '…'] -- memarc-arguments…
 *
 * In the memarc arguments and in --then, `{run}` becomes the run's name (a1, b1, a2, …), for targets
 * of their own (`--rename mem=ab_{run}`); --then runs after each run, for example to drop its
 * target. --a-args and --b-args add arguments (split at spaces) to one build's runs only: one build
 * with and without an option: `--a HEAD --b HEAD --b-args=--reader-thread`. `--json --no-progress`
 * are added. Peak RSS is the CLI process's VmHWM and its CPU time,
 * from bench/peak-rss.js preloaded through NODE_OPTIONS. The servers are the caller's.
 *
 *   node bench/ab.bench.ts --a HEAD~3 --runs 3 --then 'curl -s -X DELETE http://127.0.0.1:6333/collections/ab_{run}' -- import a10k.memarc --qdrant http://127.0.0.1:6333 --rename mem=ab_{run}
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dashes = process.argv.indexOf('--');
if (dashes < 0) {
  console.error('usage: node bench/ab.bench.ts [--a REF] [--b REF] [--runs N] [--then CMD] -- memarc-arguments…');
  process.exit(2);
}
const { values } = parseArgs({
  args: process.argv.slice(2, dashes),
  options: { a: { type: 'string', default: 'HEAD' }, b: { type: 'string' }, runs: { type: 'string', default: '3' }, then: { type: 'string' }, 'a-args': { type: 'string', default: '' }, 'b-args': { type: 'string', default: '' } },
});
const memarcArgs = process.argv.slice(dashes + 1);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs is a whole number of runs, not ${values.runs}`);

const work = mkdtempSync(path.join(os.tmpdir(), 'memarc-ab-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Lays out one build as an installed package; returns its bin and what it was built from. */
function build(label: string, ref: string | undefined): { bin: string; from: string } {
  const pkg = path.join(work, label);
  let src = ROOT;
  let from = 'working tree';
  if (ref !== undefined) {
    const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
    src = path.join(work, `${label}-src`);
    mkdirSync(src, { recursive: true });
    const archive = spawnSync('sh', ['-c', `git archive ${commit} src bin package.json tsconfig.json tsconfig.build.json | tar -x -C "${src}"`], { cwd: ROOT, stdio: 'inherit' });
    if (archive.status !== 0) throw new Error(`git archive ${commit} failed`);
    // The compiler finds the type packages (tsconfig's types) through node_modules.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
    from = `${commit.slice(0, 7)} (${ref})`;
  }
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(src, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`compiling build ${label} (${from}) failed`);
  mkdirSync(path.join(pkg, 'bin'), { recursive: true });
  copyFileSync(path.join(src, 'bin/memarc.js'), path.join(pkg, 'bin/memarc.js'));
  chmodSync(path.join(pkg, 'bin/memarc.js'), 0o755);
  copyFileSync(path.join(src, 'package.json'), path.join(pkg, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  return { bin: path.join(pkg, 'bin/memarc.js'), from };
}

interface Run {
  name: string;
  secs: number;
  cpuS: number;
  peakMiB: number;
}

const extraArgs = { a: values['a-args'].split(' ').filter(Boolean), b: values['b-args'].split(' ').filter(Boolean) };

function runOnce(bin: string, name: string, more: string[]): Run {
  const peakFile = path.join(work, `${name}.peak`);
  const args = [...memarcArgs, ...more].map((a) => a.replaceAll('{run}', name));
  const t = performance.now();
  const r = spawnSync(bin, [...args, '--json', '--no-progress'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 26,
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, NODE_OPTIONS: `--import=${path.join(ROOT, 'bench/peak-rss.js')}`, MEMARC_PEAK_RSS_FILE: peakFile },
  });
  const secs = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`run ${name}: memarc ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const [kib, extra] = readFileSync(peakFile, 'utf8').split('\n');
  const cpuMs = (JSON.parse(extra || '{}') as { cpuMs?: number }).cpuMs ?? 0;
  if (values.then) {
    const then = spawnSync('sh', ['-c', values.then.replaceAll('{run}', name)], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (then.status !== 0) throw new Error(`--then after run ${name} exited ${then.status}`);
  }
  return { name, secs, cpuS: cpuMs / 1000, peakMiB: Math.round(Number(kib) / 1024) };
}

const A = build('a', values.a);
const B = build('b', values.b);
console.log(`A: ${A.from}${extraArgs.a.length ? ` with ${extraArgs.a.join(' ')}` : ''}\nB: ${B.from}${extraArgs.b.length ? ` with ${extraArgs.b.join(' ')}` : ''}\nmemarc ${memarcArgs.join(' ')}\n`);
console.log('| run | wall | CPU | peak RSS |');
console.log('|---|---:|---:|---:|');
const results: Record<'a' | 'b', Run[]> = { a: [], b: [] };
for (let i = 1; i <= runs; i++) {
  for (const [label, b] of [['a', A], ['b', B]] as const) {
    const r = runOnce(b.bin, `${label}${i}`, extraArgs[label]);
    results[label].push(r);
    console.log(`| ${r.name} | ${r.secs.toFixed(1)} s | ${r.cpuS.toFixed(1)} s | ${r.peakMiB} MiB |`);
  }
}
const span = (xs: number[], unit: string, digits: number): string => {
  const s = [...xs].sort((x, y) => x - y);
  return `${s[0]!.toFixed(digits)}–${s.at(-1)!.toFixed(digits)} ${unit} (median ${s[Math.floor((s.length - 1) / 2)]!.toFixed(digits)})`;
};
console.log('\n| build | peak RSS | CPU | wall |');
console.log('|---|---|---|---|');
for (const [label, b] of [['a', A], ['b', B]] as const) {
  const rs = results[label];
  console.log(`| ${label.toUpperCase()}: ${b.from} | ${span(rs.map((r) => r.peakMiB), 'MiB', 0)} | ${span(rs.map((r) => r.cpuS), 's', 1)} | ${span(rs.map((r) => r.secs), 's', 1)} |`);
}
