/**
 * A process's own peak RSS. `process.resourceUsage().maxRSS` is not it for a spawned child on
 * Linux: the kernel carries the forked parent's high-water mark across execve, so a child of a
 * parent holding 300 MiB reports at least 300 MiB whatever it does (an empty child of such a
 * parent reported 304 MiB where its own peak was 41). VmHWM in /proc/self/status belongs to the
 * process's current address space, so it is the child's own; maxRSS is the fallback elsewhere.
 */
import { readFileSync } from 'node:fs';

export function peakRssKiB(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS;
}
