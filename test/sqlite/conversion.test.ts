/**
 * Table datasets of other stores into SQLite (spec/FORMAT.md 4.6, 15.5): the table is built from
 * the neutral schema alone, the dry run lists what maps to what, values land as the mapping says,
 * and a type SQLite has no form for is refused before anything is written. Also: the neutral
 * schema the SQLite source writes is enough to rebuild its tables (a conversion of its own
 * archive, as another table store would do it).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { sqliteSink, sqliteSource } from '../../src/adapters/sqlite/index.ts';
import { createOpenMemoryDb } from '../../src/adapters/synthetic/index.ts';
import type { DatasetSource, Source } from '../../src/core/adapter.ts';
import { importArchive } from '../../src/core/import.ts';
import { restoreSink } from '../../src/core/stores.ts';
import { REGISTRY } from '../../src/adapters/registry.ts';
import type { JsonObject, RecordByKind, RecordKind, RowRecord } from '../../src/format/records.ts';
import { failure } from '../helpers/failure.ts';
import { ROOT } from '../helpers/run-cli.ts';
import { archiveOf, recordsOf, scratch } from './helpers.ts';

const dir = scratch();
const golden = () => readFile(join(ROOT, 'fixtures/v2/golden.memarc'));

/** The golden archive's table dataset ('accounts', no native store) through the registry's dispatch into SQLite. */
function toSqlite(path: string) {
  return restoreSink(REGISTRY, new Map([['sqlite', sqliteSink({ path })]]));
}

/** A source of one table dataset of another store, with the given schema and rows. */
function foreign(schema: JsonObject, rows: RowRecord[]): Source {
  const ds: DatasetSource = {
    descriptor: { name: 'things', kind: 'postgres.table', family: 'table', store: 'postgres', schema, fingerprint: {}, source: { type: 'postgres' } },
    batches<K extends RecordKind>(): AsyncIterable<RecordByKind[K][]> {
      return (async function* () {
        yield rows;
      })() as unknown as AsyncIterable<RecordByKind[K][]>;
    },
  };
  return { open: async () => [ds], close: async () => {} };
}

describe('SQLite restores table datasets of other stores', () => {
  it('the dry run lists what maps to what and writes nothing', async () => {
    const d = await dir();
    const path = join(d, 'conv.db');
    const logs: string[] = [];
    const res = await importArchive({ input: Readable.from([await golden()]), sink: toSqlite(path), dryRun: true, log: (m) => logs.push(m) });
    expect(res.skipped.sort()).toEqual(['knowledge graph', 'multimodal']);
    const text = logs.join('\n');
    expect(text).toMatch(/accounts\.id: int64 → INTEGER/);
    expect(text).toMatch(/accounts\.balance: decimal\(12,2\) → NUMERIC\(12,2\) \(approximate: .*\)/);
    expect(text).toMatch(/accounts\.embedding: vector\(2\) → F32_BLOB\(2\)/);
    expect(text).toMatch(/accounts\.created: timestamptz → TIMESTAMPTZ/);
    expect(text).toMatch(/the check "balance >= 0" is SQL of another store; not restored/);
    expect(await readdir(d)).toEqual([]);
  });

  it('builds the table from the neutral schema and loads every row as the mapping says', async () => {
    const d = await dir();
    const path = join(d, 'conv.db');
    const res = await importArchive({ input: Readable.from([await golden()]), sink: toSqlite(path), stateDir: false });
    expect(res.datasets.map((r) => [r.dataset, r.records.row])).toEqual([['accounts', 3]]);
    expect(res.datasets[0]!.actions.join('\n')).toMatch(/count verified; a conversion maps values as listed/);
    const db = new DatabaseSync(path, { readOnly: true });
    const sql = (db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'accounts'").get() as { sql: string }).sql;
    db.close();
    expect(sql).toMatch(/"balance" NUMERIC\(12,2\) NOT NULL DEFAULT 0/);
    expect(sql).toMatch(/PRIMARY KEY \("id"\)/);
    expect(sql).toMatch(/UNIQUE \("email"\)/);
    const back = (await recordsOf(await archiveOf([sqliteSource({ path })]))).get('accounts') as RowRecord[];
    const byId = new Map(back.map((r) => [String(r.cells.id), r.cells]));
    // Exact: ids past 2^53, text, bytes (empty too), instants, vectors, compact JSON.
    expect(byId.get('9007199254740993')).toMatchObject({ email: 'big@example.org', avatar: { bytes: '' }, created: { timestamptz: '1969-12-31T23:59:59.999999Z' }, prefs: { json: [1, 'two', null] } });
    expect(byId.get('1')).toMatchObject({ avatar: { bytes: 'iVBORw0=' }, embedding: { vecf32: 'AAAAPwAAgL4=' }, prefs: { json: { theme: 'dark', size: 1.5 } } });
    // Approximate, as the dry run said: NUMERIC(12,2) keeps 10.50 as the REAL 10.5, and 0.00 as the INTEGER 0.
    expect(byId.get('1')!.balance).toEqual({ double: 10.5 });
    expect(byId.get('2')!.balance).toEqual({ decimal: '0' });
  });

  it('refuses a column type SQLite has no form for, naming table and column, before writing anything', async () => {
    const d = await dir();
    const path = join(d, 'conv.db');
    const archive = await archiveOf([foreign({ columns: [{ name: 'id', type: 'int64', nullable: false }, { name: 'span', type: 'interval', nullable: true }], primaryKey: ['id'] }, [{ cells: { id: 1, span: { interval: { months: 1, days: 0, micros: 0 } } } }])]);
    const err = await failure(importArchive({ input: Readable.from([archive]), sink: toSqlite(path), stateDir: false }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/table "things", column "span": the neutral type "interval" has no SQLite form/);
    expect(await readdir(d)).toEqual([]);
  });

  it('the SQLite source\'s neutral schema alone rebuilds its tables (what a Postgres sink gets)', async () => {
    const d = await dir();
    const src = join(d, 'om.db');
    createOpenMemoryDb(src, { memories: 50 });
    const archive = await archiveOf([sqliteSource({ path: src })]);
    // The same archive with every native block dropped: a conversion from the neutral schema only.
    const { ArchiveWriter } = await import('../../src/format/writer.ts');
    const { readArchive } = await import('../../src/format/reader.ts');
    const datasets: Array<Record<string, unknown>> = [];
    const sections: Array<{ dataset: number; kind: 'row'; batches: RowRecord[][] }> = [];
    for await (const ev of readArchive(Readable.from([archive]))) {
      if (ev.type === 'header') for (const h of ev.header.datasets) datasets.push({ name: h.name, family: 'table', schema: h.schema, source: { type: 'test' } });
      if (ev.type === 'records') sections.push({ dataset: ev.dataset.index, kind: 'row', batches: [ev.records as RowRecord[]] });
    }
    const chunks: Buffer[] = [];
    for await (const c of new ArchiveWriter({ datasets: datasets as never }).encode(sections as never)) chunks.push(Buffer.from(c));
    const neutralOnly = Buffer.concat(chunks);
    const path = join(d, 'rebuilt.db');
    const res = await importArchive({ input: Readable.from([neutralOnly]), sink: toSqlite(path), stateDir: false });
    const tables = new DatabaseSync(src, { readOnly: true });
    const counts = Object.fromEntries(res.datasets.map((r) => [r.dataset, r.records.row]));
    for (const t of Object.keys(counts)) expect(counts[t], t).toBe(Number((tables.prepare(`SELECT count(*) AS c FROM "${t}"`).get() as { c: number }).c));
    tables.close();
    expect(Object.keys(counts).sort()).toEqual(['apps', 'categories', 'memories', 'memory_access_logs', 'memory_categories', 'memory_status_history', 'users']);
    const db = new DatabaseSync(path, { readOnly: true });
    const fks = db.prepare("SELECT \"table\" AS t, \"from\" AS f, \"to\" AS c, on_delete AS del FROM pragma_foreign_key_list('memory_categories') ORDER BY \"from\"").all();
    const cols = db.prepare("SELECT name, type FROM pragma_table_info('memories') ORDER BY cid").all().map((r) => `${String(r.name)} ${String(r.type)}`);
    const ix = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'memories' AND sql IS NOT NULL ORDER BY name").all().map((r) => r.name);
    const n = db.prepare('SELECT count(*) AS c FROM memories').get() as { c: number };
    db.close();
    expect(fks).toEqual([
      { t: 'categories', f: 'category_id', c: 'id', del: 'CASCADE' },
      { t: 'memories', f: 'memory_id', c: 'id', del: 'CASCADE' },
    ]);
    expect(cols).toEqual(['id TEXT', 'user_id TEXT', 'app_id TEXT', 'content TEXT', 'metadata JSON', 'state TEXT', 'access_count INTEGER', 'score REAL', 'created_at DATETIME', 'updated_at DATETIME', 'archived_at DATETIME', 'deleted_at DATETIME']);
    expect(ix).toEqual(['idx_memory_app_state', 'idx_memory_user_state']);
    expect(n.c).toBe(50);
  });
});
