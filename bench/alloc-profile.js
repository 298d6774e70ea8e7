/**
 * Preloaded into a process (`node --import bench/alloc-profile.js …`, or
 * `NODE_OPTIONS=--import=…/bench/alloc-profile.js memarc …`): samples every allocation, garbage
 * included, with V8's sampling heap profiler, and when the process exits writes to
 * MEMARC_ALLOC_PROFILE_FILE the total sampled and the functions that allocated most (self), then
 * the built-in functions (sort, Object.entries, RegExp exec, …) by the function that called
 * them. What a run allocates, not what it keeps: the garbage between two collections is what
 * raises the heap's peak when the collector cannot keep up (bench/RESULTS.md, session 8).
 *
 * The sampling interval (MEMARC_ALLOC_PROFILE_INTERVAL, bytes, default 16384) makes the totals
 * estimates; the profiler slows the process and raises its RSS, so a profiled run's time and
 * peak are not figures. Plain JavaScript for the reason bench/peak-rss.js gives.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.MEMARC_ALLOC_PROFILE_FILE;
if (out) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.MEMARC_ALLOC_PROFILE_INTERVAL ?? 16384),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('exit', () => {
    // The inspector session of the main thread answers synchronously, so this runs to the end here.
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (err) {
        writeFileSync(out, `error: ${err.message}\n`);
        return;
      }
      const where = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
      const self = new Map();
      const builtins = new Map();
      const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
      // `caller`: the nearest function of ours (not built in, not Node's) above the node.
      const walk = (node, caller) => {
        const key = where(node.callFrame);
        add(self, key, node.selfSize);
        const internal = node.callFrame.url === '' || node.callFrame.url.startsWith('node:');
        if (internal && caller) add(builtins, `${key} <- ${caller}`, node.selfSize);
        for (const child of node.children) walk(child, internal ? caller : key);
      };
      walk(res.profile.head, null);
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      const mib = (b) => (b / 2 ** 20).toFixed(1).padStart(8);
      const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
      const lines = [`sampled ${mib(total).trim()} MiB allocated in all`, '', 'by function (self):'];
      for (const [k, v] of top(self, 40)) lines.push(`${mib(v)} MiB ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
      lines.push('', 'built-in and Node functions, by the caller of ours:');
      for (const [k, v] of top(builtins, 25)) lines.push(`${mib(v)} MiB  ${k}`);
      writeFileSync(out, `${lines.join('\n')}\n`);
    });
  });
}
