/**
 * releaseMemory (src/format/collect.ts) hands back the heap pages V8 keeps resident after an
 * ordinary major collection. Measured in a child process of its own (the CLI's V8 flags), so the
 * test runner's heap is not in the figures: a heap of about 100 MiB of short-lived objects is
 * dropped and collected; the pages stay resident until releaseMemory. Linux only (/proc).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Sections } from '../../src/format/collect.ts';

const COLLECT = fileURLToPath(new URL('../../src/format/collect.ts', import.meta.url));

const CHILD = `
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
const { releaseMemory } = await import(process.argv[1]);
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
let held = [];
for (let i = 0; i < 1e6; i++) held.push({ i, s: 'v' + i });
const full = rss();
held = null;
gc({ type: 'major', execution: 'sync' });
const collected = rss();
releaseMemory();
const released = rss();
console.log(JSON.stringify({ full, collected, released }));
`;

describe.runIf(existsSync('/proc/self/status'))('releaseMemory', () => {
  it('gives back the pages an ordinary major collection leaves resident', () => {
    const res = spawnSync(process.execPath, ['--max-semi-space-size=2', '--heap-growing-percent=25', '--input-type=module', '-e', CHILD, COLLECT], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const { full, collected, released } = JSON.parse(res.stdout) as { full: number; collected: number; released: number };
    // The object graph is ~80 MiB; after the ordinary collection most of it is still resident.
    expect(full - collected).toBeLessThan(40);
    expect(collected - released).toBeGreaterThan(40);
  });
});

describe('Sections', () => {
  it('marks a boundary on entering another section, never before the first nor on re-entering the same one', () => {
    let boundaries = 0;
    const s = new Sections(() => boundaries++);
    s.enter('1 point');
    s.enter('1 point');
    expect(boundaries).toBe(0);
    s.enter('2 node');
    s.enter('2 node');
    s.enter('2 edge');
    expect(boundaries).toBe(2);
  });
});
