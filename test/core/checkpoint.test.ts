/** Local resume checkpoints (src/core/checkpoint.ts): where they live, their modes, atomic state, torn journals. */
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoints, stateDir } from '../../src/core/checkpoint.ts';

const dirs: string[] = [];
const fresh = async () => {
  const d = await mkdtemp(join(tmpdir(), 'memarc-ckpt-test-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('checkpoints', () => {
  it('live in --state-dir, else MEMARC_STATE_DIR, else XDG_STATE_HOME/memarc, else ~/.local/state/memarc', () => {
    expect(stateDir('/x/state', { MEMARC_STATE_DIR: '/y' })).toBe('/x/state');
    expect(stateDir(undefined, { MEMARC_STATE_DIR: '/y', XDG_STATE_HOME: '/z' })).toBe('/y');
    expect(stateDir(undefined, { XDG_STATE_HOME: '/z' })).toBe('/z/memarc');
    // A relative XDG_STATE_HOME is invalid by the XDG spec and ignored.
    expect(stateDir(undefined, { XDG_STATE_HOME: 'rel' })).toBe(join(homedir(), '.local', 'state', 'memarc'));
    expect(stateDir(undefined, {})).toBe(join(homedir(), '.local', 'state', 'memarc'));
  });

  it('are private to the user (directory 0700, files 0600), one per archive and target', async () => {
    const dir = await fresh();
    const a = new Checkpoints(dir, 'a'.repeat(64)).for({ store: 'qdrant', url: 'http://h:6333/', target: 't' });
    const b = new Checkpoints(dir, 'b'.repeat(64)).for({ store: 'qdrant', url: 'http://h:6333/', target: 't' });
    const c = new Checkpoints(dir, 'a'.repeat(64)).for({ store: 'qdrant', url: 'http://other:6333/', target: 't' });
    await a.save({ done: ['x'] });
    await a.append([['k', 1]]);
    expect(a.path).not.toBe(b.path);
    expect(a.path).not.toBe(c.path);
    expect((await stat(join(dir, 'checkpoints'))).mode & 0o777).toBe(0o700);
    expect((await stat(a.path)).mode & 0o777).toBe(0o600);
    expect((await stat(a.journalPath)).mode & 0o777).toBe(0o600);
    expect(await a.load()).toEqual({ done: ['x'] });
    expect(await b.load()).toBeNull();
    await a.save({ done: ['x', 'y'] });
    expect(await a.load()).toEqual({ done: ['x', 'y'] });
    // No temporary file is left beside it.
    expect((await readdir(join(dir, 'checkpoints'))).sort()).toEqual([a.path, a.journalPath].map((p) => p.slice(p.lastIndexOf('/') + 1)).sort());
    await a.remove();
    expect(await readdir(join(dir, 'checkpoints'))).toEqual([]);
  });

  it('skip a journal line torn by a kill, and keep appending after it', async () => {
    const dir = await fresh();
    const f = new Checkpoints(dir, 'c'.repeat(64)).for({ store: 'falkordb', url: 'redis://h:6379', target: 'g' });
    await f.append([[['s1', 1]]]);
    await appendFile(f.journalPath, '[["s2",2'); // the kill came in the middle of this line
    await f.append([[['s3', 3]]]);
    const lines: unknown[] = [];
    for await (const l of f.journal()) lines.push(l);
    expect(lines).toEqual([[['s1', 1]], [['s3', 3]]]);
  });
});
