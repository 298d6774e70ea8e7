/**
 * Preloaded into a measured CLI process (`node --import bench/peak-rss.js …`, or
 * `NODE_OPTIONS=--import=…/bench/peak-rss.js memarc …`): writes the process's peak RSS in KiB and
 * its CPU time to MEMARC_PEAK_RSS_FILE when it exits, however it exits.
 * With MEMARC_MEMORY_SAMPLE=1 it also samples process.memoryUsage() every 50 ms and writes the
 * largest heap, external and array-buffer figures beside it (where memory grows, not just how much).
 * With MEMARC_RSS_TRACE_FILE it appends, every second, the seconds since start and the process's
 * VmRSS, VmHWM, heap used, heap total, external and array buffers in KiB to that file (when in a
 * long run the peak was reached, and what of the process's memory grew then). Every fifth second
 * it adds, from /proc/self/smaps, the resident KiB of malloc's main heap (`[heap]`), of the other
 * anonymous mappings (V8's pages, kept or in use, large buffers, thread stacks) and of file
 * mappings (Node's executable): what grows outside V8's heap. Reading smaps takes about a
 * millisecond; the other lines repeat the last figures.
 *
 * Plain JavaScript on purpose: preloading a .ts file would load Node's TypeScript stripper (about
 * 18 MiB) into a process that, installed from the package, runs compiled JavaScript and never
 * loads it. For the same reason it reads VmHWM itself rather than importing bench/peak.ts.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

/** Peak RSS in KiB: VmHWM (Linux; see bench/peak.ts for why not maxRSS), else maxRSS. */
function peakRssKiB() {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

const file = process.env.MEMARC_PEAK_RSS_FILE;
const trace = process.env.MEMARC_RSS_TRACE_FILE;
/** Resident KiB of malloc's `[heap]`, of other anonymous mappings and of file mappings. */
function mappings() {
  const sum = { heap: 0, anon: 0, file: 0 };
  let kind = 'anon';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1].trim();
      kind = name === '[heap]' ? 'heap' : name === '' || name.startsWith('[') ? 'anon' : 'file';
    } else if (line.startsWith('Rss:')) {
      sum[kind] += Number(/\d+/.exec(line)[0]);
    }
  }
  return `${sum.heap}\t${sum.anon}\t${sum.file}`;
}

if (trace) {
  const t0 = Date.now();
  let tick = 0;
  let maps = '';
  setInterval(() => {
    if (tick++ % 5 === 0) {
      try {
        maps = mappings();
      } catch {
        maps = '\t\t'; // not Linux
      }
    }
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (name) => /\d+/.exec(new RegExp(`${name}:.*`).exec(status)?.[0] ?? '')?.[0] ?? '';
    const m = process.memoryUsage();
    const k = (b) => Math.round(b / 1024);
    appendFileSync(trace, `${((Date.now() - t0) / 1000).toFixed(0)}\t${kib('VmRSS')}\t${kib('VmHWM')}\t${k(m.heapUsed)}\t${k(m.heapTotal)}\t${k(m.external)}\t${k(m.arrayBuffers)}\t${maps}\n`);
  }, 1000).unref();
}
const max = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
if (process.env.MEMARC_MEMORY_SAMPLE === '1') {
  setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(max)) max[k] = Math.max(max[k], m[k]);
  }, 50).unref();
}
if (file) {
  process.on('exit', () => {
    const kib = peakRssKiB();
    // Line 1: peak RSS in KiB. Line 2: the process's CPU time (user + system) in ms, and with
    // sampling the largest heap figures in MiB.
    const cpu = process.cpuUsage();
    const extra = process.env.MEMARC_MEMORY_SAMPLE === '1' ? Object.fromEntries(Object.entries(max).map(([k, v]) => [k, Math.round(v / 2 ** 20)])) : {};
    writeFileSync(file, `${kib}\n${JSON.stringify({ cpuMs: Math.round((cpu.user + cpu.system) / 1000), ...extra })}\n`);
  });
}
