/**
 * The SQLite sink: `table` datasets into one database file, through the core's restore policy
 * (src/core/adapter.ts, src/core/restore.ts; README "SQLite").
 *
 * Each table is loaded where nothing sees it: into the temporary file of a new database, or
 * into a staging table `memarc_stage_<run>_<table>` of an existing one (file-target.ts). Every
 * shard is one transaction, committed in shardDone, so what is durable is exactly the shards the
 * checkpoint names; the checkpoint is written before the commit (the shard in flight) and after
 * it (done), so a kill between the two is settled on --resume by the staging table's row count.
 * verify() reads the loaded table back and compares the exact count and the content digest
 * (a conversion: the count, and reports the digest). publish() is one transaction per table
 * (create, replace, append, merge) or, for a new file, one atomic rename; what it
 * replaced is kept until finish(), so undo() puts the table back exactly (publish.ts has the
 * transactions of create, replace, append and merge).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AbortOutcome, CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, IfExists, OpenResult, PublishResult, ShardRef, Sink, SinkContext } from '../../core/adapter.ts';
import { descriptorFamily, descriptorStore } from '../../core/adapter.ts';
import type { CheckpointFile } from '../../core/checkpoint.ts';
import { MemarcError } from '../../errors.ts';
import { ARCHIVE_NOT_REHASHED } from '../../core/differences.ts';
import { DatasetDigest } from '../../format/digest.ts';
import type { RecordByKind, RecordKind, RowRecord } from '../../format/records.ts';
import { convertSchema, nativeOf, renameCreateIndex, renameCreateTable, renameCreateTrigger, runCreate } from './ddl.ts';
import { sqliteError } from './errors.ts';
import { FileTarget, type FileMode } from './file-target.ts';
import { dropSetAside, publishStaged, putBack, tableExists, type Published, type StagedTable } from './publish.ts';
import { quoteId, readNative, rulesOf, type NativeColumn, type NativeTable } from './schema.ts';
import { bindOf, cellOf, ruleOf, type BindValue, type SqliteValue } from './types.ts';
import { setMember } from '../../format/json.ts';

export interface SqliteSinkOptions {
  /** The database file; created (through a temporary file and a rename) when it does not exist. */
  path: string;
  ifExists?: IfExists;
  /** Only these archive tables. */
  tables?: string[];
  /** Archive table name → target table name. */
  rename?: Record<string, string>;
  /** How long to wait for another connection's lock, in ms (default 60,000). */
  timeoutMs?: number;
  log?: (msg: string) => void;
}

interface State extends Published {
  mode: FileMode;
  temp: string | null;
  /** Where the rows are loaded: the staging table, or the target's name in a new file. */
  load: string;
  rows: number;
  done: string[];
  /** The shard being committed: if the table holds `rows` rows, it is done. */
  pending?: { entry: string; rows: number };
  phase: 'loading' | 'published';
}

export function sqliteSink(opts: SqliteSinkOptions): Sink {
  const target = new FileTarget(opts.path, opts.timeoutMs ?? 60_000);
  return {
    async dataset(d: DatasetDescriptor): Promise<DatasetSink | null> {
      if (descriptorFamily(d) !== 'table') return null;
      if (opts.tables && !opts.tables.includes(d.name)) return null;
      const t = new TableSink(target, d, opts);
      // Bound, so that a caller holding the methods (or an object derived from this one) acts on this table's state.
      return {
        inspect: t.inspect.bind(t),
        open: t.open.bind(t),
        write: t.write.bind(t),
        shardDone: t.shardDone.bind(t),
        verify: t.verify.bind(t),
        undoable: t.undoable.bind(t),
        publish: t.publish.bind(t),
        undo: t.undo.bind(t),
        finish: t.finish.bind(t),
        abort: t.abort.bind(t),
        discard: t.discard.bind(t),
      };
    },
    async close() {
      target.close();
    },
  };
}

const tag = (runId: string) => runId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);

class TableSink implements DatasetSink {
  private readonly name: string;
  private readonly ifExists: IfExists;
  private readonly conversion: boolean;
  /**
   * verify() compares the content digest read back from the table (a dry run: of the rows given)
   * with the trailer's, so an import's reader need not hash the rows too (DatasetSink.digestsTarget);
   * not so for a conversion, whose read-back is checked by count.
   */
  get digestsTarget(): boolean {
    return !this.conversion;
  }
  private native!: NativeTable;
  private mapping: string[] = [];
  private dropped: string[] = [];
  private ctx!: SinkContext;
  private ckpt: CheckpointFile | null = null;
  private state!: State;
  private inspected = false;
  private insert: StatementSync | null = null;
  private inTx = false;
  private txRows = 0;
  /** A dry run's digest of the rows given. */
  private readonly received: DatasetDigest;
  private rowsReceived = 0;

  private readonly target: FileTarget;
  private readonly d: DatasetDescriptor;

  constructor(target: FileTarget, d: DatasetDescriptor, opts: SqliteSinkOptions) {
    this.target = target;
    this.d = d;
    this.name = opts.rename?.[d.name] ?? d.name;
    this.ifExists = opts.ifExists ?? 'fail';
    this.conversion = descriptorStore(d) !== 'sqlite';
    this.received = new DatasetDigest(d.formatMajor ? { major: d.formatMajor } : {});
  }

  private get db(): DatabaseSync {
    return this.target.connect();
  }

  private get columns(): NativeColumn[] {
    return this.native.columns;
  }

  private get pk(): string[] {
    return this.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  }

  private names(runId: string): { stage: string; prev: string } {
    return { stage: `memarc_stage_${tag(runId)}_${this.name}`, prev: `memarc_prev_${tag(runId)}_${this.name}` };
  }

  private exists(table: string): boolean {
    return tableExists(this.db, table);
  }

  /** The archive's table as SQLite will hold it: its own statements, or ones built from the neutral schema. */
  private describe(): void {
    if (this.native) return;
    if (!this.conversion) {
      this.native = nativeOf(this.d.fingerprint, this.d.name);
      const schemaCols = ((this.d.schema?.columns as Array<{ name: string }> | undefined) ?? []).map((c) => c.name);
      const ours = this.native.columns.map((c) => c.name);
      if (schemaCols.length > 0 && schemaCols.join('\u0000') !== ours.join('\u0000')) {
        throw new MemarcError('MALFORMED_ARCHIVE', `table "${this.d.name}": the native columns (${ours.join(', ')}) are not the schema's (${schemaCols.join(', ')})`);
      }
      return;
    }
    const c = convertSchema(this.d.schema ?? {}, this.name);
    this.native = { table: this.name, sql: c.sql, strict: false, withoutRowid: false, columns: c.columns, indexes: c.indexes, triggers: [], views: [] };
    this.mapping = c.mapping;
    this.dropped = c.dropped;
  }

  private fail(err: unknown, what: string): MemarcError {
    return sqliteError(err, `table "${this.name}" of ${this.target.path}: ${what}`);
  }

  async inspect(_d: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    this.ctx = ctx;
    this.describe();
    this.ckpt = ctx.checkpoints && !ctx.dryRun ? ctx.checkpoints.for({ store: 'sqlite', url: this.target.path, target: this.name }) : null;
    const resumed = ctx.resume && this.ckpt ? await this.ckpt.load<State>() : null;
    if (resumed) this.state = resumed;
    if (resumed?.phase === 'published') {
      throw new MemarcError('USAGE', `table "${this.name}" of ${this.target.path} was already published by the interrupted run (it stopped before cleaning up)`, {
        hint: 'run the same command with --rollback to put the table back as it was before that run; the published table is the archive\'s, verified',
        context: { dataset: this.d.name },
      });
    }
    const mode = await this.target.decide(ctx.runId, resumed?.mode);
    this.inspected = true;
    if (mode === 'new') return;
    try {
      if (!this.exists(this.name)) return;
      if (this.ifExists === 'fail') {
        throw new MemarcError('TARGET_EXISTS', `table "${this.name}" already exists in ${this.target.path}`, {
          hint: 'use --if-exists replace, append or merge, restore under another name with --rename, or into another file',
          context: { dataset: this.d.name },
        });
      }
      if (this.ifExists === 'append' || this.ifExists === 'merge') {
        const live = readNative(this.db, this.name);
        const diffs = this.differences(live);
        if (diffs.length > 0) {
          throw new MemarcError('SCHEMA_MISMATCH', `table "${this.name}" in ${this.target.path} differs from the archive's: ${diffs.join('; ')}`, { hint: 'use --if-exists replace, or restore under another name with --rename', context: { dataset: this.d.name, differences: diffs } });
        }
        if (this.ifExists === 'merge' && this.pk.length === 0) {
          throw new MemarcError('USAGE', `table "${this.name}" has no primary key, so a merge has nothing to match rows by`, { hint: 'use --if-exists append or replace' });
        }
      }
    } catch (err) {
      throw this.fail(err, 'inspecting the target');
    }
  }

  /** What differs between the live table and the archive's: columns, their types, the primary key. */
  private differences(live: NativeTable): string[] {
    const out: string[] = [];
    const a = this.columns.map((c) => c.name).join(', ');
    const b = live.columns.map((c) => c.name).join(', ');
    if (a !== b) out.push(`columns (${b}) instead of (${a})`);
    else {
      for (const [i, c] of this.columns.entries()) {
        const l = live.columns[i]!;
        const same = this.conversion ? ruleOf(l.declared, live.strict).type === ruleOf(c.declared).type : l.declared.toUpperCase() === c.declared.toUpperCase();
        if (!same) out.push(`column "${c.name}" is ${JSON.stringify(l.declared)}, the archive's ${JSON.stringify(c.declared)}`);
      }
    }
    const lpk = live.columns.filter((c) => c.pk > 0).sort((x, y) => x.pk - y.pk).map((c) => c.name).join(', ');
    if (lpk !== this.pk.join(', ')) out.push(`primary key (${lpk}) instead of (${this.pk.join(', ')})`);
    return out;
  }

  async open(d: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult | void> {
    if (!this.inspected) await this.inspect(d, ctx);
    this.ctx = ctx;
    if (ctx.dryRun) {
      for (const m of [...this.mapping, ...this.dropped]) ctx.log?.(`sqlite: ${m}`);
      return;
    }
    const mode = this.target.mode!;
    const load = mode === 'new' ? this.name : this.names(ctx.runId).stage;
    try {
      if (this.state && this.state.phase === 'loading' && this.exists(this.state.load)) {
        const n = Number((this.db.prepare(`SELECT count(*) AS n FROM ${quoteId(this.state.load)}`).get() as { n: number }).n);
        if (this.state.pending && n === this.state.pending.rows) {
          this.state.done.push(this.state.pending.entry);
          this.state.rows = n;
        }
        delete this.state.pending;
        if (n !== this.state.rows) {
          throw new MemarcError('VERIFY_FAILED', `table "${this.name}": the staging table ${this.state.load} holds ${n} rows, its checkpoint ${this.state.rows}`, { hint: 'run the same command with --rollback, then import again' });
        }
        await this.ckpt?.save(this.state);
        ctx.log?.(`sqlite: table "${this.name}": resuming into ${this.state.load} (${n} rows, ${this.state.done.length} shards)`);
        this.prepareInsert();
        return { done: [...this.state.done] };
      }
      if (ctx.resume) ctx.log?.(`sqlite: table "${this.name}": no checkpoint of this archive for it; starting from the beginning`);
      if (this.exists(load)) this.db.exec(`DROP TABLE ${quoteId(load)}`); // this run's own leftover (the name holds the run)
      // Set first, so that an abort drops what a failed create left (the temporary file).
      this.state = { mode, temp: this.target.temp, load, rows: 0, done: [], phase: 'loading' };
      // The archive's own statement where the name is its own (a new file), so sqlite_schema reads as the source's.
      runCreate(this.db, load === this.native.table ? this.native.sql : renameCreateTable(this.native.sql, load), 'table', load);
      await this.ckpt?.save(this.state);
      this.prepareInsert();
    } catch (err) {
      throw this.fail(err, 'creating the staging table');
    }
  }

  private prepareInsert(): void {
    const cols = this.columns.map((c) => quoteId(c.name));
    this.insert = this.db.prepare(`INSERT INTO ${quoteId(this.state.load)} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  }

  private binds(r: RowRecord, n: number): BindValue[] {
    return this.columns.map((c) => bindOf(r.cells[c.name] ?? null, () => `table "${this.d.name}", column "${c.name}", row ${n}`));
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][]): Promise<void> {
    if (kind !== 'row') throw new MemarcError('MALFORMED_ARCHIVE', `table "${this.d.name}" holds ${kind} records`);
    const rows = batch as RowRecord[];
    const values = rows.map((r, i) => this.binds(r, this.rowsReceived + i + 1));
    this.rowsReceived += rows.length;
    // Only a dry run checks the rows' own digest; a load reads its table back in verify().
    if (this.ctx.dryRun) for (const r of rows) this.received.add('row', r);
    try {
      // A dry run checks this too: it needs no write.
      if (this.ifExists === 'append' && this.pk.length > 0 && this.target.mode === 'existing' && this.exists(this.name)) this.refuseHeld(values);
      if (this.ctx.dryRun) return;
      if (!this.inTx) {
        this.db.exec('BEGIN IMMEDIATE');
        this.inTx = true;
        this.txRows = 0;
      }
      for (const v of values) this.insert!.run(...v);
      this.txRows += values.length;
    } catch (err) {
      throw this.fail(err, 'writing rows');
    }
  }

  /** Append: refuse rows whose primary key the live table holds, naming the first ten. */
  private refuseHeld(values: BindValue[][]): void {
    const idx = this.pk.map((k) => this.columns.findIndex((c) => c.name === k));
    const q = this.db.prepare(`SELECT 1 FROM ${quoteId(this.name)} WHERE ${this.pk.map((k) => `${quoteId(k)} IS ?`).join(' AND ')}`);
    const held = values.filter((v) => q.get(...idx.map((i) => v[i]!)) !== undefined);
    if (held.length === 0) return;
    const first = held.slice(0, 10).map((v) => `(${idx.map((i) => String(v[i])).join(', ')})`);
    throw new MemarcError('TARGET_EXISTS', `table "${this.name}" already holds ${held.length} row key(s) of the archive: ${first.join(', ')}; an append never overwrites`, {
      hint: 'use --if-exists merge to overwrite them, or replace',
      context: { dataset: this.d.name },
    });
  }

  async shardDone(shard: ShardRef): Promise<void> {
    if (this.ctx.dryRun) return;
    try {
      const rows = this.state.rows + this.txRows;
      if (this.ckpt) await this.ckpt.save({ ...this.state, pending: { entry: shard.entry, rows } });
      if (this.inTx) this.db.exec('COMMIT');
      this.inTx = false;
      this.txRows = 0;
      this.state.rows = rows;
      this.state.done.push(shard.entry);
      if (this.ckpt) await this.ckpt.save(this.state);
    } catch (err) {
      throw this.fail(err, `committing shard ${shard.entry}`);
    }
  }

  async verify(expected: DatasetTotals): Promise<CommitReport> {
    const want = expected.records.row ?? 0;
    const actions = [...this.mapping, ...this.dropped];
    if (this.ctx.dryRun) {
      const got = this.received.hex();
      if ((this.received.counts.row ?? 0) !== want || got !== expected.digest) throw new MemarcError('VERIFY_FAILED', `table "${this.d.name}": the archive's rows do not add up to its trailer`);
      actions.unshift(this.conversion ? `would build table "${this.name}" in ${this.target.path} from the neutral schema and load ${want} rows` : `would load ${want} rows into table "${this.name}" of ${this.target.path} (${this.target.mode === 'new' ? 'a new file' : `--if-exists ${this.ifExists}`})`);
      return { dataset: this.d.name, target: `${this.target.path}:${this.name}`, records: { row: want }, digest: got, actions };
    }
    try {
      if (this.inTx) throw new MemarcError('INTERNAL', `table "${this.name}": a shard was never committed`);
      if (this.target.mode === 'new') this.state.createdViews = this.createExtras(this.state.load, actions);
      const { count, digest } = this.readBack(this.state.load);
      if (count !== want) throw new MemarcError('VERIFY_FAILED', `table "${this.name}": read back ${count} rows, the archive holds ${want}`);
      if (!this.conversion && digest !== expected.digest) {
        throw new MemarcError('VERIFY_FAILED', `table "${this.name}": the content digest read back, ${digest}, differs from the archive's ${expected.digest}`, { hint: ARCHIVE_NOT_REHASHED });
      }
      actions.unshift(this.conversion
        ? `loaded ${count} rows (count verified; a conversion maps values as listed, so the table digests as ${digest}, the archive as ${expected.digest})`
        : `loaded ${count} rows, read back: count and content digest equal the archive's`);
      return { dataset: this.d.name, target: `${this.target.path}:${this.name}`, records: { row: count }, digest, actions };
    } catch (err) {
      throw this.fail(err, 'verifying');
    }
  }

  /** Count and content digest of a table as an export would write it. */
  private readBack(table: string): { count: number; digest: string } {
    const live = readNative(this.db, table);
    const rules = rulesOf(live);
    const cols = this.columns.map((c) => c.name);
    const digest = new DatasetDigest(this.d.formatMajor ? { major: this.d.formatMajor } : {});
    if (cols.length > 0) {
      const stmt = this.db.prepare(`SELECT ${cols.map(quoteId).join(', ')} FROM ${quoteId(table)}`);
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      for (const v of stmt.iterate() as Iterable<SqliteValue[]>) {
        const cells: RowRecord['cells'] = {};
        for (let i = 0; i < cols.length; i++) setMember(cells, cols[i]!, cellOf(v[i]!, rules.get(cols[i]!) ?? { type: 'bytes' }).cell);
        digest.add('row', { cells });
      }
    }
    return { count: digest.counts.row ?? 0, digest: digest.hex() };
  }

  /** Index and trigger names for a table restored under another name get its name as a prefix. */
  private objectName(name: string): string {
    return this.conversion || this.name === this.d.name ? name : `${this.name}_${name}`;
  }

  /** Indexes, triggers, views and the AUTOINCREMENT counter of the archive's table, on `table`. Returns the views it made. */
  private createExtras(table: string, actions: string[]): string[] {
    const own = this.conversion || table === this.native.table;
    for (const ix of this.native.indexes) runCreate(this.db, own ? ix.sql : renameCreateIndex(ix.sql, this.objectName(ix.name), table), 'index', this.objectName(ix.name), table);
    for (const tr of this.native.triggers) runCreate(this.db, own ? tr.sql : renameCreateTrigger(tr.sql, this.objectName(tr.name), table), 'trigger', this.objectName(tr.name), table);
    const views: string[] = [];
    for (const v of this.native.views) {
      if (this.name !== this.d.name) {
        actions.push(`view "${v.name}" not created: it names the archive's tables, and the table was renamed`);
        continue;
      }
      if (this.db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(v.name) !== undefined) continue;
      runCreate(this.db, v.sql, 'view', v.name);
      views.push(v.name);
    }
    if (this.native.sequence !== undefined && this.db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get() !== undefined) {
      const seq = BigInt(this.native.sequence);
      const r = this.db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, table);
      if (Number(r.changes) === 0) this.db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, seq);
    }
    return views;
  }

  undoable(): boolean {
    return true;
  }

  /** The staged table as publish.ts sees it. */
  private staged(state: State): StagedTable {
    return { db: this.db, name: this.name, stage: state.load, prev: this.names(this.ctx.runId).prev, columns: this.columns, withoutRowid: this.native.withoutRowid, path: this.target.path };
  }

  async publish(): Promise<PublishResult> {
    if (this.ctx.dryRun) return { actions: [], undoable: true };
    try {
      if (this.target.mode === 'new') {
        const actions = await this.target.publishNew();
        this.state.phase = 'published';
        this.state.applied = 'create';
        await this.ckpt?.save(this.state);
        return { actions, undoable: true };
      }
      const { published, actions } = publishStaged(this.staged(this.state), this.ifExists, this.state.rows, (table, acts) => this.createExtras(table, acts));
      Object.assign(this.state, published, { phase: 'published' });
      await this.ckpt?.save(this.state);
      return { actions, undoable: true };
    } catch (err) {
      throw this.fail(err, 'publishing');
    }
  }

  async undo(): Promise<string> {
    try {
      if (this.target.mode === 'new') {
        const msg = await this.target.unpublishNew();
        await this.ckpt?.remove();
        return msg;
      }
      const msg = putBack(this.staged(this.state), this.state);
      this.state.phase = 'loading';
      await this.ckpt?.save(this.state);
      return msg;
    } catch (err) {
      throw this.fail(err, 'undoing the publish');
    }
  }

  async finish(): Promise<string[]> {
    if (this.ctx.dryRun) return [];
    let out: string[] = [];
    if (this.target.mode === 'existing') {
      try {
        out = dropSetAside(this.staged(this.state), [this.state.load, this.names(this.ctx.runId).prev]);
      } catch (err) {
        throw this.fail(err, 'dropping what publishing kept');
      }
    }
    await this.ckpt?.remove();
    return out;
  }

  async abort(_err: unknown, keep?: boolean): Promise<AbortOutcome> {
    try {
      if (this.inTx) {
        this.db.exec('ROLLBACK');
        this.inTx = false;
      }
    } catch {
      // the transaction is gone with the connection
    }
    if (!this.ctx || this.ctx.dryRun || !this.state) return { kept: false, message: `nothing was written to ${this.target.path}` };
    if (keep && this.ckpt) {
      const where = this.target.mode === 'new' ? `the temporary file ${this.state.temp}` : `the staging table ${this.state.load}`;
      return { kept: true, message: `kept ${where} (${this.state.rows} rows) and its checkpoint` };
    }
    try {
      const msg = await this.dropLoaded();
      await this.ckpt?.remove();
      return { kept: false, message: msg };
    } catch (err) {
      return { kept: false, message: `could not drop ${this.state.load}: ${(err as Error).message}` };
    }
  }

  private async dropLoaded(): Promise<string> {
    if (this.target.mode === 'new') return `${await this.target.dropTemp()}; ${this.target.path} was never created`;
    if (this.exists(this.state.load)) this.db.exec(`DROP TABLE ${quoteId(this.state.load)}`);
    return `removed the staging table ${this.state.load}; the live table was not touched`;
  }

  async discard(d: DatasetDescriptor, ctx: SinkContext): Promise<string> {
    this.ctx = ctx;
    this.describe();
    this.ckpt = ctx.checkpoints ? ctx.checkpoints.for({ store: 'sqlite', url: this.target.path, target: this.name }) : null;
    const state = this.ckpt ? await this.ckpt.load<State>() : null;
    try {
      if (!state) {
        const temp = FileTarget.tempName(this.target.path, ctx.runId);
        this.target.mode = 'new';
        this.target.temp = temp;
        const { existsSync } = await import('node:fs');
        if (existsSync(temp)) return `${await this.target.dropTemp()} (no checkpoint named it)`;
        this.target.mode = null;
        return `nothing to drop: no checkpoint of this archive for table "${this.name}" of ${this.target.path}`;
      }
      this.state = state;
      this.target.mode = state.mode;
      this.target.temp = state.temp;
      let msg: string;
      if (state.phase === 'published') {
        if (state.mode === 'new') msg = `the new file ${this.target.path} was published complete and verified; it stays`;
        else {
          msg = putBack(this.staged(state), state);
          dropSetAside(this.staged(state), [state.load, this.names(ctx.runId).prev]);
        }
      } else msg = await this.dropLoaded();
      await this.ckpt!.remove();
      return msg;
    } catch (err) {
      throw this.fail(err, 'rolling back');
    }
  }
}
