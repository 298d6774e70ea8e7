import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summarize } from '../../bench/trace-summary.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'memarc-trace-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the RSS trace of bench/peak-rss.js', () => {
  it.runIf(process.platform === 'linux')('writes a line a second with the mappings of smaps beside V8 figures', () => {
    const trace = path.join(dir, 'run.tsv');
    const peak = path.join(dir, 'peak');
    const res = spawnSync(process.execPath, ['--import', path.join(ROOT, 'bench/peak-rss.js'), '-e', 'setTimeout(() => {}, 2300)'], {
      env: { ...process.env, MEMARC_RSS_TRACE_FILE: trace, MEMARC_PEAK_RSS_FILE: peak },
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const [secs, rss, hwm, used, total, , , heap, anon, file] = line.split('\t').map(Number);
      expect(secs).toBeGreaterThanOrEqual(0);
      expect(hwm).toBeGreaterThanOrEqual(rss!);
      expect(total).toBeGreaterThanOrEqual(used!);
      // The three kinds of mapping add up to at most the RSS read a moment later or earlier, and
      // each is there: malloc's heap, anonymous pages (V8's), Node's executable.
      expect(heap).toBeGreaterThan(0);
      expect(anon).toBeGreaterThan(total! / 2);
      expect(file).toBeGreaterThan(0);
      expect(heap! + anon! + file!).toBeLessThan(rss! * 1.5);
    }
    expect(Number(readFileSync(peak, 'utf8').split('\n')[0])).toBeGreaterThan(0);
  });

  it('is summarized by percentiles and by its first and last tenth', () => {
    const trace = path.join(dir, 'synthetic.tsv');
    // 100 seconds; RSS climbs from 100 to 199 MiB; the V8 heap total stays at 30 MiB, external
    // at 10; malloc's heap goes 10 -> 20 MiB between the first and the last tenth.
    const mib = 1024;
    const lines = Array.from({ length: 100 }, (_, i) => [i + 1, (100 + i) * mib, (100 + i) * mib, 20 * mib, 30 * mib, 10 * mib, 5 * mib, (i < 50 ? 10 : 20) * mib, 40 * mib, 50 * mib].join('\t'));
    writeFileSync(trace, `${lines.join('\n')}\n`);
    const cells = summarize(trace).split('|').map((c) => c.trim());
    expect(cells.slice(1, 11)).toEqual(['synthetic.tsv', '100 s', '150', '190', '199', '199', '30 → 30', '65 → 155', '10 → 20', '40 → 40']);
  });
});
