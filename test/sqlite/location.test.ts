/** SQLite locations: `--sqlite <path>`, and `sqlite:PATH` / `file:PATH` for migrate (dispatched by scheme). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY } from '../../src/adapters/registry.ts';
import { sqlitePath } from '../../src/adapters/sqlite/index.ts';
import { schemeOf, storeForUrl } from '../../src/core/stores.ts';
import { failure } from '../helpers/failure.ts';
import { runCli } from '../helpers/run-cli.ts';
import { scratch } from './helpers.ts';
import { writeTables } from './tables.ts';

const dir = scratch();

describe('SQLite locations', () => {
  it.each([
    ['sqlite:./openmemory.db', './openmemory.db'],
    ['sqlite:/var/lib/app/openmemory.db', '/var/lib/app/openmemory.db'],
    ['sqlite:///var/lib/app/x.db', '/var/lib/app/x.db'],
    ['file:data/x.db', 'data/x.db'],
    ['plain.db', 'plain.db'],
  ])('%s names %s', (loc, path) => {
    expect(sqlitePath(loc)).toBe(path);
  });

  it('refuses what names no file', async () => {
    expect((await failure(Promise.resolve().then(() => sqlitePath('sqlite:')))).code).toBe('USAGE');
    expect((await failure(Promise.resolve().then(() => sqlitePath(':memory:')))).code).toBe('USAGE');
  });

  it('migrate dispatches sqlite: and file: to SQLite; host:port still needs a scheme', async () => {
    expect(storeForUrl(REGISTRY, 'sqlite:./a.db', '--from').name).toBe('sqlite');
    expect(storeForUrl(REGISTRY, 'file:a.db', '--to').name).toBe('sqlite');
    expect(schemeOf('localhost:6333')).toBeNull();
    expect((await failure(Promise.resolve().then(() => storeForUrl(REGISTRY, 'localhost:6333', '--from')))).code).toBe('USAGE');
  });

  it('the export\'s copy of a rollback-journal file is gone when the export ends', async () => {
    const d = await dir();
    const { mkdir, readdir } = await import('node:fs/promises');
    const tmp = join(d, 'tmp');
    await mkdir(tmp);
    writeTables(join(d, 'a.db'), ['t1'], 50);
    const r = await runCli(['export', '--sqlite', join(d, 'a.db'), '-o', join(d, 'a.memarc')], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/temporary snapshot/);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('memarc migrate --from sqlite:A --to sqlite:B copies the tables', async () => {
    const d = await dir();
    writeTables(join(d, 'a.db'), ['t1', 't2'], 50);
    const r = await runCli(['migrate', '--from', `sqlite:${join(d, 'a.db')}`, '--to', `sqlite:${join(d, 'b.db')}`, '--tables', 't2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/t2/);
    const { DatabaseSync } = await import('node:sqlite');
    const b = new DatabaseSync(join(d, 'b.db'), { readOnly: true });
    expect(b.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all().map((x) => x.name)).toEqual(['t2']);
    b.close();
  });
});
