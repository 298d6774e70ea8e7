/**
 * Which process kept the cores busy, second by second: runs a command (a memarc CLI run) and
 * samples the CPU time of its process tree and of the server processes named by --pid, from
 * /proc (Linux), once a second. Prints the seconds in sections of --every seconds (each process's
 * cores in use), then each process's CPU time and the machine's idle core-seconds over the run
 * (cores less what the processes used, each second, summed). Shows whether a job waits on one
 * single-threaded process (one at 1.0 core while the cores are not full) or on nothing.
 *
 *   node bench/cpu-timeline.ts [--pid NAME=PID …] [--cores 2] [--every 3] -- command args…
 *
 * For example, a verified import with its two servers:
 *   node bench/cpu-timeline.ts --pid emulator=$(pgrep -f 'main.ts --port 6333') --pid falkordb=$(pgrep -f 'redis-server.*6379') \
 *     -- ./bin/memarc.js import j100k.memarc --qdrant http://127.0.0.1:6333 --falkordb redis://127.0.0.1:6379 --rename mem=c1
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

const dashes = process.argv.indexOf('--');
if (dashes < 0 || dashes === process.argv.length - 1) {
  console.error('usage: node bench/cpu-timeline.ts [--pid NAME=PID …] [--cores N] [--every S] -- command args…');
  process.exit(2);
}
const { values } = parseArgs({
  args: process.argv.slice(2, dashes),
  options: { pid: { type: 'string', multiple: true, default: [] }, cores: { type: 'string' }, every: { type: 'string', default: '3' } },
});
const cores = Number(values.cores ?? os.availableParallelism());
const every = Number(values.every);
const servers = values.pid.map((s) => {
  const [name, pid] = s.split('=');
  if (!name || !pid || !Number.isInteger(Number(pid))) throw new Error(`--pid takes NAME=PID, not ${s}`);
  return { name, pid: Number(pid) };
});

/** Clock ticks a second: USER_HZ, 100 on every Linux that Node runs on. */
const HZ = 100;

/** User plus system ticks of one process (all its threads), or 0 once it is gone. */
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Ticks of a process and its descendants alive now (a bin's `env -S` starts node as a child). */
function treeTicks(pid: number): number {
  let t = ticks(pid);
  try {
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) t += treeTicks(Number(c));
  } catch {
    // gone
  }
  return t;
}

const command = process.argv.slice(dashes + 1);
const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
const names = ['command', ...servers.map((s) => s.name)];
const sample = (): number[] => [treeTicks(child.pid!), ...servers.map((s) => ticks(s.pid))];
let last = sample();
const rows: number[][] = [];
const start = performance.now();
const timer = setInterval(() => {
  const now = sample();
  // A process whose ticks fell (the command's child exited) counts nothing for that second.
  rows.push(now.map((t, i) => Math.max(0, t - last[i]!) / HZ));
  last = now;
}, 1000);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
clearInterval(timer);
const wall = (performance.now() - start) / 1000;

console.log(`| seconds | ${names.join(' | ')} | idle cores |`);
console.log(`|---|${names.map(() => '---:').join('|')}|---:|`);
for (let i = 0; i < rows.length; i += every) {
  const part = rows.slice(i, i + every);
  const mean = names.map((_, j) => part.reduce((a, r) => a + r[j]!, 0) / part.length);
  const idle = Math.max(0, cores - mean.reduce((a, b) => a + b, 0));
  console.log(`| ${i}–${i + part.length} | ${mean.map((x) => x.toFixed(2)).join(' | ')} | ${idle.toFixed(2)} |`);
}
const total = names.map((_, j) => rows.reduce((a, r) => a + r[j]!, 0));
const idle = rows.reduce((a, r) => a + Math.max(0, cores - r.reduce((x, y) => x + y, 0)), 0);
console.log(`\nwall ${wall.toFixed(1)} s (exit ${code}); CPU ${names.map((n, j) => `${n} ${total[j]!.toFixed(1)} s`).join(', ')}; idle ${idle.toFixed(1)} core-seconds of ${(cores * rows.length).toFixed(0)} sampled (${cores} cores)`);
process.exitCode = code;
