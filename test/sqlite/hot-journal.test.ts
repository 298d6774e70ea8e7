/**
 * A database whose writer was killed inside a transaction (rollback-journal mode) holds a hot
 * journal, which only a connection with write access can roll back. The export reads sources
 * read-only, so it refuses with a typed error that says what to do, and leaves the file and its
 * journal as they were; once the application (or any writer) has opened it, the export succeeds.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { scratch } from './helpers.ts';

const dir = scratch();
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('SQLite: a hot journal', () => {
  it('is refused by a read-only export, which changes nothing, and exports once a writer has rolled it back', async () => {
    const d = await dir();
    const db = join(d, 'app.db');
    const init = new DatabaseSync(db);
    init.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB); INSERT INTO t (x) VALUES (randomblob(100))');
    init.close();
    // A writer that spills its cache into the file mid-transaction, then dies.
    const killed = spawnSync(process.execPath, ['-e', `
      const { DatabaseSync } = require('node:sqlite');
      const db = new DatabaseSync(${JSON.stringify(db)});
      db.exec('PRAGMA cache_size = 2; BEGIN');
      for (let i = 0; i < 200; i++) db.exec('INSERT INTO t (x) VALUES (randomblob(4000))');
      process.kill(process.pid, 'SIGKILL');
    `]);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${db}-journal`)).toBe(true);
    const before = [sha(db), sha(`${db}-journal`)];

    const r = await runCli(['export', '--sqlite', db, '-o', join(d, 'a.memarc')]);
    expect(r.code, r.stderr.toString()).toBe(34); // STORE_ERROR
    expect(r.stderr.toString()).toMatch(/hot journal: a writer stopped inside a transaction/);
    expect(r.stderr.toString()).toMatch(/open the file once with write access/);
    expect([sha(db), sha(`${db}-journal`)]).toEqual(before);

    // The application starts again: its first read rolls the journal back.
    const app = new DatabaseSync(db);
    expect(app.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    app.close();
    const ok = await runCli(['--json', 'export', '--sqlite', db, '-o', join(d, 'b.memarc')]);
    expect(ok.code, ok.stderr.toString()).toBe(0);
    expect(JSON.stringify(JSON.parse(ok.stdout.toString()))).toMatch(/"row":1\b/);
  });
});
