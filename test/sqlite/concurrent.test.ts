/**
 * An export while another process writes is one state of the database. The writer keeps an
 * invariant across two tables in every transaction (a ledger row added, and the totals row's count
 * and sum moved by it); the archive must satisfy it, in WAL mode (the live file, writers going on)
 * and in rollback-journal mode (a copy made in one read transaction, or the live file read in one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sqliteSource, type SnapshotMode } from '../../src/adapters/sqlite/index.ts';
import type { RowRecord } from '../../src/format/records.ts';
import { archiveOf, recordsOf, scratch } from './helpers.ts';

const dir = scratch();

const WRITER = `
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[1], { timeout: 30000 });
let n = 0;
const add = db.prepare('INSERT INTO ledger (amount, pad) VALUES (?, ?)');
const move = db.prepare('UPDATE totals SET n = n + 1, sum = sum + ? WHERE id = 1');
let stop = false;
process.stdin.on('end', () => { stop = true; });
process.stdin.resume();
function step() {
  for (let k = 0; k < 5 && !stop; k++) {
    const amount = BigInt(1 + (n % 97));
    db.exec('BEGIN IMMEDIATE');
    add.run(amount, 'x'.repeat(50));
    move.run(amount);
    db.exec('COMMIT');
    n++;
    process.stdout.write(n + '\\n');
  }
  if (stop) { db.close(); process.exit(0); }
  setImmediate(step);
}
step();
`;

function startWriter(path: string): { child: ChildProcess; commits: () => number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', WRITER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  let last = 0;
  child.stdout!.on('data', (b: Buffer) => {
    const lines = b.toString().trim().split('\n');
    last = Number(lines.at(-1));
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, commits: () => last, stop: async () => { child.stdin!.end(); await exited; } };
}

function makeDb(path: string, journal: 'wal' | 'delete'): void {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = ${journal}`);
  db.exec('CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, pad TEXT)');
  db.exec('CREATE TABLE totals (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, sum INTEGER NOT NULL)');
  db.exec('BEGIN');
  const add = db.prepare('INSERT INTO ledger (amount, pad) VALUES (?, ?)');
  let sum = 0n;
  for (let i = 0; i < 20_000; i++) {
    add.run(BigInt(i % 13), 'p'.repeat(200));
    sum += BigInt(i % 13);
  }
  db.prepare('INSERT INTO totals VALUES (1, 20000, ?)').run(sum);
  db.exec('COMMIT');
  db.close();
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting for the writer');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each([
  ['wal', 'auto'],
  ['delete', 'auto'],
  ['delete', 'transaction'],
] as const)('an export during writes (%s journal, snapshot %s)', (journal: 'wal' | 'delete', snapshot: SnapshotMode) => {
  it('is one consistent state of the database', async () => {
    const path = join(await dir(), 'live.db');
    makeDb(path, journal);
    const writer = startWriter(path);
    try {
      await waitFor(() => writer.commits() >= 50);
      const before = writer.commits();
      const logs: string[] = [];
      const archive = await archiveOf([sqliteSource({ path, snapshot, batchSize: 100, log: (m) => logs.push(m) })], { shardMaxRecords: 2000 });
      const during = writer.commits() - before;
      await waitFor(() => writer.commits() >= before + during + 20);
      const records = await recordsOf(archive);
      const ledger = records.get('ledger') as RowRecord[];
      const totals = (records.get('totals') as RowRecord[])[0]!.cells as { n: number; sum: number | bigint };
      const sum = ledger.reduce((s, r) => s + BigInt(r.cells.amount as number), 0n);
      // The invariant the writer keeps in every transaction holds in the archive.
      expect(ledger.length).toBe(Number(totals.n));
      expect(sum).toBe(BigInt(totals.sum));
      // The writer committed before the export began and after it: the archive is neither empty nor the end state.
      expect(ledger.length).toBeGreaterThan(20_000 + 50 - 1);
      await writer.stop();
      const db = new DatabaseSync(path, { readOnly: true });
      const live = Number((db.prepare('SELECT count(*) AS c FROM ledger').get() as { c: number }).c);
      db.close();
      expect(live).toBeGreaterThan(ledger.length);
      if (journal === 'wal' || snapshot === 'auto') {
        // WAL: the writer never waits for the reader; rollback journal with auto: only for the copy.
        expect(during).toBeGreaterThan(0);
      }
      if (journal === 'delete' && snapshot === 'auto') expect(logs.join('\n')).toMatch(/temporary snapshot/);
    } finally {
      if (writer.child.exitCode === null) await writer.stop();
    }
  }, 60_000);
});
