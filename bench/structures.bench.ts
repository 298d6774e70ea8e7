/**
 * The structures that grow with a dataset, one record at a time (spec/ARCHITECTURE.md, "What grows
 * with the data, per record"), each filled with N entries (default 1,000,000) in a child process of
 * its own, against what it replaced, in the same run:
 *
 * - NodeTable (src/format/node-table.ts): dense keys 0…N-1 with the default memory threshold
 *   (65,536 keys in memory, the rest in a temporary file), against the same table with no
 *   threshold (all in memory: the table before the file), and against its Map path (keys outside
 *   the dense range; before dense addressing every key took it) and keys as text (`i:N`, as
 *   the Neo4j read-back held them before it turned them back into numbers);
 * - KeySet (src/format/key-set.ts): integer point ids, against the single table that doubles
 *   (bench/key-set-before.ts), and PointIdGuard (src/format/point-ids.ts), which needs no set
 *   while the ids come in increasing order;
 * - KeyIds (src/adapters/falkordb/key-ids.ts): dense keys → node ids, each first marked -1 (sent,
 *   not answered) as the FalkorDB sink does, against a Map.
 *
 * Per entry: `process.memoryUsage()` after a forced collection (rss, heapUsed, external,
 * arrayBuffers) minus the same before filling, and the child's peak RSS (VmHWM, bench/peak.ts) over
 * its RSS before filling; time per add, per lookup of a random present key, and per lookup in key
 * order. The children run with the CLI's V8 flags (bench/v8-flags.ts) and --expose-gc.
 *
 *   node bench/structures.bench.ts [--n 1000000] [--only node-table,key-set,point-ids,key-ids] [--v8-default]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KeyIds } from '../src/adapters/falkordb/key-ids.ts';
import { addPointId, KeySet } from '../src/format/key-set.ts';
import { MEMORY_KEYS, NodeTable } from '../src/format/node-table.ts';
import { KeySetBefore } from './key-set-before.ts';
import { PointIdGuard } from '../src/format/point-ids.ts';
import { peakRssKiB } from './peak.ts';
import { CLI_MALLOC_ENV, childEnv, childV8Flags } from './v8-flags.ts';

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** What each child fills and asks: `add(i)` for i = 0…n-1, then `get(i)` for keys in random and in key order. */
interface Subject {
  add(i: number): void;
  get(i: number): unknown;
  /** Figures the structure reports about itself. */
  notes?(): Record<string, number>;
}

const HASHES = Buffer.alloc(32 * 4096);
for (let i = 0; i < 4096; i++) createHash('sha256').update(`node ${i}`).digest().copy(HASHES, i * 32);
const hashOf = (i: number) => HASHES.subarray((i & 4095) * 32, (i & 4095) * 32 + 32);

/** The temporary file of a spilled node table: its size and the disk it takes (Linux). */
function spillFile(): Record<string, number> {
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      let target = '';
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (!/\/memarc-[^/]+\/nodes \(deleted\)$/.test(target)) continue;
      const st = statSync(`/proc/self/fd/${fd}`);
      return { fileBytes: st.size, diskBytes: st.blocks * 512 };
    }
  } catch {
    // not Linux
  }
  return {};
}

const CASES: Record<string, { structure: string; variant: string; make: () => Subject }> = {
  'node-table': {
    structure: 'NodeTable',
    variant: `${MEMORY_KEYS.toLocaleString('en-US')} keys in memory, the rest in a temporary file (now)`,
    make: () => {
      const t = new NodeTable();
      return { add: (i) => t.add(i, hashOf(i)), get: (i) => t.hex(i), notes: () => ({ spilled: t.spilled, ...spillFile() }) };
    },
  },
  'node-table-memory': {
    structure: 'NodeTable',
    variant: 'every key in memory (before the file)',
    make: () => {
      const t = new NodeTable({ memoryKeys: Infinity });
      return { add: (i) => t.add(i, hashOf(i)), get: (i) => t.hex(i) };
    },
  },
  'node-table-text': {
    structure: 'NodeTable',
    variant: 'keys as the text Neo4j stages them under (`i:N`): the Neo4j read-back before it turned them back into numbers',
    make: () => {
      const t = new NodeTable();
      return { add: (i) => t.add(`i:${i}`, hashOf(i)), get: (i) => t.hex(`i:${i}`) };
    },
  },
  'node-table-map': {
    structure: 'NodeTable',
    variant: 'its Map path: keys 2^30 + i, outside the dense range (before dense addressing, every key)',
    make: () => {
      const t = new NodeTable();
      return { add: (i) => t.add(2 ** 30 + i, hashOf(i)), get: (i) => t.hex(2 ** 30 + i) };
    },
  },
  'key-set': {
    structure: 'KeySet',
    variant: 'point ids i × 7, 256 segments that grow on their own (now)',
    make: () => {
      const s = new KeySet();
      // A lookup is a repeated add: found when refused.
      return { add: (i) => addPointId(s, i * 7), get: (i) => (addPointId(s, i * 7) ? undefined : true), notes: () => ({ bytes: s.bytes, peakBytes: s.peakBytes }) };
    },
  },
  'point-ids': {
    structure: 'PointIdGuard',
    variant: 'point ids i × 7 in increasing order: the last id kept, every id in a temporary file (now)',
    make: () => {
      const g = new PointIdGuard();
      // A lookup is a repeated add: the first one is out of order and builds the KeySet from the
      // file, so lookups time the set, and the figures after filling the ordered mode alone.
      return { add: (i) => addPointId(g, i * 7), get: (i) => (addPointId(g, i * 7) ? undefined : true) };
    },
  },
  'key-set-before': {
    structure: 'KeySet',
    variant: 'point ids i × 7, one table that doubles (before)',
    make: () => {
      const s = new KeySetBefore();
      const add = (i: number) => s.add(1, 0, 0, Math.floor((i * 7) / 0x100000000), (i * 7) >>> 0);
      return { add, get: (i) => (add(i) ? undefined : true), notes: () => ({ bytes: s.bytes }) };
    },
  },
  'key-ids': {
    structure: 'KeyIds',
    variant: 'dense keys → node ids in a Uint32Array (now), each key first marked -1 as the sink does',
    make: () => {
      const k = new KeyIds();
      return {
        add: (i) => {
          k.set(i, -1);
          k.set(i, i * 3 + 1);
        },
        get: (i) => k.get(i),
        notes: () => ({ mapped: k.mapped }),
      };
    },
  },
  'key-ids-map': {
    structure: 'KeyIds',
    variant: 'a Map from key to node id (before)',
    make: () => {
      const m = new Map<number, number>();
      return { add: (i) => void m.set(i, i * 3 + 1), get: (i) => m.get(i) };
    },
  },
};

function child(name: string, n: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  const c = CASES[name]!;
  const s = c.make();
  // A random order of the keys that costs no memory: an odd multiplier modulo a power of two, skipping keys ≥ n.
  const bits = Math.ceil(Math.log2(n + 1));
  const mask = 2 ** bits - 1;
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) s.add(i);
  const t1 = performance.now();
  gc();
  const after = process.memoryUsage();
  const peak = peakRssKiB() * 1024;
  let found = 0;
  const t2 = performance.now();
  for (let i = 0; i <= mask; i++) {
    const k = Math.imul(i, 0x9e3779b1) & mask;
    if (k < n && s.get(k) !== undefined) found++;
  }
  const t3 = performance.now();
  for (let i = 0; i < n; i++) if (s.get(i) !== undefined) found++;
  const t4 = performance.now();
  const per = (k: keyof NodeJS.MemoryUsage) => (after[k] - before[k]) / n;
  const out = {
    name,
    n,
    found,
    addNs: ((t1 - t0) * 1e6) / n,
    randomNs: ((t3 - t2) * 1e6) / n,
    orderNs: ((t4 - t3) * 1e6) / n,
    perEntry: { rss: per('rss'), heapUsed: per('heapUsed'), external: per('external'), arrayBuffers: per('arrayBuffers') },
    rssBeforeMiB: before.rss / 1048576,
    peakRssMiB: peak / 1048576,
    peakPerEntry: (peak - before.rss) / n,
    notes: s.notes?.() ?? {},
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

type Result = ReturnType<typeof JSON.parse>;

function run(name: string, n: number): Result {
  const r = spawnSync(process.execPath, ['--expose-gc', ...childV8Flags(args), SELF, '--child', name, '--n', String(n)], { encoding: 'utf8', maxBuffer: 1 << 20, env: childEnv(args) });
  if (r.status !== 0) throw new Error(`child ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const f1 = (x: number) => x.toFixed(1);
const f0 = (x: number) => x.toFixed(0);

function main(): void {
  const n = Number(arg('n', '1000000'));
  const only = arg('only')?.split(',');
  const names = Object.keys(CASES).filter((k) => !only || only.some((o) => k === o || k.startsWith(`${o}-`)));
  console.log(`Per-record structures, ${n.toLocaleString('en-US')} entries each, one child process each.`);
  console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}/${process.arch}, Node ${process.version}, ${cpus().length} cores, V8 flags: ${childV8Flags(args).join(' ') || '(defaults)'} --expose-gc, malloc: ${args.includes('--v8-default') ? '(defaults)' : Object.entries(CLI_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}.\n`);
  console.log('| structure | variant | bytes an entry after GC: rss / heapUsed / external / arrayBuffers | peak RSS (over the RSS before filling, per entry) | add | lookup, random | lookup, in key order | notes |');
  console.log('|---|---|---|---|---:|---:|---:|---|');
  for (const name of names) {
    const r = run(name, n);
    const c = CASES[name]!;
    const p = r.perEntry;
    if (r.found !== 2 * n) throw new Error(`${name}: found ${r.found} of ${2 * n} keys`);
    const notes = Object.entries(r.notes as Record<string, number>).map(([k, v]) => `${k} ${k.endsWith('ytes') ? `${f1(v / n)} an entry` : v.toLocaleString('en-US')}`).join(', ');
    console.log(`| ${c.structure} | ${c.variant} | ${f1(p.rss)} / ${f1(p.heapUsed)} / ${f1(p.external)} / ${f1(p.arrayBuffers)} | ${f0(r.peakRssMiB)} MiB (${f1(r.peakPerEntry)}) | ${f0(r.addNs)} ns | ${f0(r.randomNs)} ns | ${f0(r.orderNs)} ns | ${notes} |`);
  }
}

if (arg('child')) child(arg('child')!, Number(arg('n')));
else main();
