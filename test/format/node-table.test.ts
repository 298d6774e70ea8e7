/**
 * The node table past its memory threshold (src/format/node-table.ts): the hashes of dense keys
 * from the threshold up live in a temporary file. It answers exactly what the in-memory table
 * answers whatever the order of the keys; the file has no name from the moment it exists, and its
 * descriptor is released when the digest drops the table; a file-system error is a typed IO error.
 * The threshold is lowered here so that a test needs thousands of nodes, not a million; the last
 * test checks the real one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMemarcError } from '../../src/errors.ts';
import { DatasetDigest } from '../../src/format/digest.ts';
import { MEMORY_KEYS, NodeTable } from '../../src/format/node-table.ts';
import { SpillFile } from '../../src/format/spill-file.ts';

const linux = existsSync('/proc/self/fd');
const fds = () => readdirSync('/proc/self/fd').length;
/** The targets of this process's descriptors that name a file under `dir`. */
const openUnder = (dir: string) =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return []; // the descriptor readdir itself used, closed by now
    }
  });

const work = mkdtempSync(path.join(tmpdir(), 'memarc-node-table-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hashOf = (k: number | string) => createHash('sha256').update(`node ${String(k)}`).digest();

/** Orders of keys a graph's nodes may come in; every one exceeds the write cache (4,096 hashes). */
const N = 40_000;
function shuffled(keys: number[], seed: number): number[] {
  const out = [...keys];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
const range = (n: number, step = 1) => Array.from({ length: n }, (_, i) => i * step);
const ORDERS: Array<{ name: string; keys: number[] }> = [
  { name: 'in key order', keys: range(N) },
  { name: 'in reverse', keys: range(N).reverse() },
  { name: 'at random', keys: shuffled(range(N), 7) },
  { name: 'with gaps (every third key), at random', keys: shuffled(range(N, 3), 11) },
  { name: 'in blocks of 1,000 keys, the blocks at random', keys: shuffled(range(N / 1000), 3).flatMap((b) => range(1000).map((i) => b * 1000 + i)) },
];

describe('NodeTable past its memory threshold', () => {
  for (const order of ORDERS) {
    it(`answers like the in-memory table for keys added ${order.name}`, () => {
      const mem = new NodeTable({ memoryKeys: Infinity });
      const disk = new NodeTable({ memoryKeys: 1000, spillFile: () => SpillFile.create(work) });
      try {
        let n = 0;
        for (const k of order.keys) {
          const h = hashOf(k);
          expect(disk.add(k, h)).toBe(mem.add(k, h));
          // A lookup of a key just added, and of one added long ago (from the file by now).
          if (++n % 97 === 0) {
            expect(disk.hex(k)).toBe(mem.hex(k));
            const old = order.keys[n >> 2]!;
            expect(disk.hex(old)).toBe(mem.hex(old));
          }
        }
        expect(disk.spilled).toBeGreaterThan(N / 2); // most of it is in the file
        for (const k of order.keys) expect(disk.add(k, hashOf(-1))).toBe(false);
        const max = Math.max(...order.keys);
        let differ = 0;
        for (let k = -1; k <= max + 10; k++) if (disk.hex(k) !== mem.hex(k)) differ++;
        expect(differ).toBe(0);
        for (const k of [0.5, -3, 2 ** 60, '17', 17n]) expect(disk.hex(k)).toBe(mem.hex(k));
        expect(disk.hex(order.keys[0]!)).toBe(hashOf(order.keys[0]!).toString('hex'));
      } finally {
        disk.close();
      }
    });
  }

  it('string and sparse keys stay in memory beside the file', () => {
    const disk = new NodeTable({ memoryKeys: 0, spillFile: () => SpillFile.create(work) });
    try {
      for (let k = 0; k < 5000; k++) disk.add(k, hashOf(k));
      expect(disk.add('a', hashOf('a'))).toBe(true);
      expect(disk.add(10 ** 12, hashOf(10 ** 12))).toBe(true);
      expect(disk.spilled).toBe(5000);
      expect(disk.hex('a')).toBe(hashOf('a').toString('hex'));
      expect(disk.hex(10 ** 12)).toBe(hashOf(10 ** 12).toString('hex'));
      expect(disk.hex(4999)).toBe(hashOf(4999).toString('hex'));
      expect(disk.hex(0)).toBe(hashOf(0).toString('hex'));
    } finally {
      disk.close();
    }
  });

  it.skipIf(!linux)('the temporary file has no name from the start, and its descriptor is closed when the digest drops the table', () => {
    const dir = mkdtempSync(path.join(work, 'tmp-'));
    const before = fds();
    const d = new DatasetDigest({ nodeTable: { memoryKeys: 256, spillFile: () => SpillFile.create(dir) } });
    for (let k = 0; k < 300; k++) d.add('node', { key: k, labels: ['N'], props: {} });
    expect(fds()).toBe(before + 1);
    expect(readdirSync(dir)).toEqual([]); // the file and its own directory are gone already
    const [target] = openUnder(dir);
    expect(target).toMatch(/ \(deleted\)$/);
    d.add('edge', { src: 299, dst: 3, type: 'E', props: {} });
    const sum = d.hex();
    d.dropNodeTable();
    expect(fds()).toBe(before);
    expect(openUnder(dir)).toEqual([]);
    expect(d.hex()).toBe(sum);
    d.dropNodeTable(); // twice is harmless
    expect(fds()).toBe(before);
  });

  it('a table below its threshold makes no file', () => {
    let made = 0;
    const t = new NodeTable({
      memoryKeys: 1000,
      spillFile: () => {
        made++;
        return SpillFile.create(work);
      },
    });
    for (let k = 0; k < 1024; k++) t.add(k, hashOf(k)); // 1000 rounds up to 1,024
    expect(made).toBe(0);
    t.add(1024, hashOf(1024));
    expect(made).toBe(1);
    t.close();
  });

  it.skipIf(!existsSync('/dev/full'))('a write that finds no space is a MemarcError IO naming the place and what to do', () => {
    const t = new NodeTable({ memoryKeys: 0, spillFile: () => new SpillFile(openSync('/dev/full', 'r+'), '/dev/full') });
    let err: unknown = null;
    let added = 0;
    try {
      // The write cache holds 16 slabs of 256 hashes; the 17th slab makes it write.
      for (let k = 0; k < 20 * 256; k++) {
        t.add(k, hashOf(k));
        added++;
      }
    } catch (e) {
      err = e;
    } finally {
      t.close();
    }
    expect(added).toBe(16 * 256);
    expect(isMemarcError(err, 'IO')).toBe(true);
    expect((err as Error).message).toMatch(/writing a temporary file in \/dev\/full failed: no space left on the device/);
    expect((err as { hint: string }).hint).toMatch(/TMPDIR/);
  });

  it('a temporary directory that cannot be used is a MemarcError IO, not a refused record', () => {
    const missing = path.join(work, 'no-such-dir');
    const d = new DatasetDigest({ nodeTable: { memoryKeys: 0, spillFile: () => SpillFile.create(missing) } });
    let err: unknown = null;
    try {
      d.add('node', { key: 0, labels: [], props: {} });
    } catch (e) {
      err = e;
    }
    expect(isMemarcError(err, 'IO')).toBe(true);
    expect((err as Error).message).toContain(`creating a temporary file in ${missing} failed`);
    // Nothing was added: the same node goes in once the table can hold it.
    expect(d.counts.node).toBeUndefined();
  });

  it.skipIf(!linux)(`keeps the first ${MEMORY_KEYS.toLocaleString('en')} dense keys in memory by default, and only the rest in a file`, () => {
    const before = fds();
    const t = new NodeTable();
    try {
      for (let k = 0; k < MEMORY_KEYS; k++) t.add(k, hashOf(k % 64));
      expect(t.spilled).toBe(0);
      expect(fds()).toBe(before);
      for (let k = MEMORY_KEYS; k < MEMORY_KEYS + 10; k++) t.add(k, hashOf(k));
      expect(t.spilled).toBe(10);
      expect(fds()).toBe(before + 1);
      expect(t.hex(MEMORY_KEYS + 9)).toBe(hashOf(MEMORY_KEYS + 9).toString('hex'));
      expect(t.hex(MEMORY_KEYS - 1)).toBe(hashOf((MEMORY_KEYS - 1) % 64).toString('hex'));
    } finally {
      t.close();
    }
    expect(fds()).toBe(before);
  });
});
