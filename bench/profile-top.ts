/**
 * The functions that took the most CPU in a V8 CPU profile (`node --cpu-prof`), by self time:
 * where a run's time went, for a CLI run or for the Qdrant emulator beside it.
 *
 *   node bench/profile-top.ts FILE.cpuprofile [--top 25] [--under PATTERN]
 *
 * --under PATTERN counts only the samples whose stack passes through a frame matching PATTERN (a
 * regular expression on `name file:line`), for example `--under collection-sink` for the time
 * spent under the Qdrant sink, in whatever functions it called.
 *
 * For example, a verified import and the emulator it loads, each profiled:
 *   node --cpu-prof --cpu-prof-dir=emu test/qdrant-emulator/main.ts --port 6333 --double-floats &
 *   node --cpu-prof --cpu-prof-dir=cli src/cli/main.ts import a100k.memarc --qdrant http://127.0.0.1:6333
 *   kill %1   (the emulator writes its profile when it exits)
 *   node bench/profile-top.ts cli/*.cpuprofile; node bench/profile-top.ts emu/*.cpuprofile
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Profile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, under: { type: 'string' } } });
if (positionals.length === 0) {
  console.error('usage: node bench/profile-top.ts FILE.cpuprofile [--top N] [--under PATTERN]');
  process.exit(2);
}
const under = values.under === undefined ? null : new RegExp(values.under);

const name = (f: CallFrame) => `${f.functionName || '(anonymous)'}${f.url ? ` ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`;

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** Whether a node's stack passes through a frame matching --under (memoised by node). */
  const inside = new Map<number, boolean>();
  const passes = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const yes = under!.test(name(frames.get(id)!)) || (up !== undefined && passes(up));
    inside.set(id, yes);
    return yes;
  };
  const self = new Map<string, number>();
  let total = 0;
  let counted = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    if (under && !passes(p.samples[i]!)) continue;
    counted += us;
    const key = name(frames.get(p.samples[i]!)!);
    self.set(key, (self.get(key) ?? 0) + us);
  }
  console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled${under ? `, ${(counted / 1e6).toFixed(2)} s under /${under.source}/` : ''}`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    console.log(`${(us / 1e6).toFixed(2).padStart(8)} s ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
  }
}
