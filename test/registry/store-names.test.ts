/**
 * src/core and src/cli name no store: the stores, their flags, schemes and words come from the
 * registry. (The issue's check is `grep -rniE 'qdrant|falkor' src/core src/cli`.) The demo is
 * the one command built on fixed stores (synthetic data read back into the memory sink, and an
 * embedded SQLite file it reaches through the registry by name), which the CLI's lint rule allows;
 * servers' stores are named nowhere.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/adapters/registry.ts';
import { ROOT } from '../helpers/run-cli.ts';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

describe('no store is named in src/core or src/cli', () => {
  // Every store with a server, by name and title, plus the issue's own pattern.
  const names = REGISTRY.filter((d) => d.schemes.length > 0).flatMap((d) => [d.name, d.title]);
  const pattern = new RegExp(`qdrant|falkor|${names.map((n) => n.replace(/[^a-z0-9]/gi, '\\$&')).join('|')}`, 'i');

  it('finds the stores of the registry to look for', () => {
    expect(names.length).toBeGreaterThanOrEqual(2);
  });

  it.each(['src/core', 'src/cli'])('%s', async (dir) => {
    const hits: string[] = [];
    for (const f of await files(path.join(ROOT, dir))) {
      const lines = (await readFile(f, 'utf8')).split('\n');
      // The demo runs on an embedded SQLite file, with no server: it may name that store alone.
      const p = path.relative(ROOT, f) === path.join('src', 'cli', 'commands', 'demo.ts') ? /qdrant|falkor/i : pattern;
      lines.forEach((line, i) => {
        if (p.test(line)) hits.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
