/**
 * One table restored through the core's policy (src/core/adapter.ts, restore.ts), always through
 * a staging schema, so the target is untouched until publish, whatever the mode:
 *
 * - open: a fresh schema `memarc_stage_<h>` (h from the run id and the target) holding the bare
 *   table (ddl.ts) and `_memarc_shards`, the entries of the shards loaded;
 * - write: `COPY … FROM STDIN (FORMAT binary)` per batch, inside one transaction per shard that
 *   also records the shard's entry, so a shard is in the table entirely or not at all and a resume
 *   (the same command with --resume) continues exactly after the last committed shard;
 * - verify: constraints, indexes, foreign keys (to the staging copies of tables of the same run)
 *   and sequence values, then the whole table read back with COPY TO, decoded as an export would,
 *   and its row count and content digest compared with the trailer's;
 * - publish, in one transaction: create: `ALTER TABLE … SET SCHEMA` into place; replace: the old
 *   table to `memarc_prev_<h>`, the new one into place; append: `INSERT … SELECT` (refused at
 *   verify when a key is already there); merge: the rows about to be overwritten copied aside,
 *   then `INSERT … ON CONFLICT DO UPDATE`. Each can be undone exactly until finish;
 * - finish: the staging and previous schemas dropped; abort: the staging schema dropped, or kept
 *   for --resume / --rollback.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AbortOutcome, CommitReport, DatasetDescriptor, DatasetSink, DatasetTotals, IfExists, OpenResult, PublishResult, ShardRef, SinkContext } from '../../core/adapter.ts';
import { descriptorFamily, descriptorStore } from '../../core/adapter.ts';
import type { CheckpointFile } from '../../core/checkpoint.ts';
import { MemarcError } from '../../errors.ts';
import { readBackHint } from '../../core/differences.ts';
import { DatasetDigest } from '../../format/digest.ts';
import type { RecordByKind, RecordKind } from '../../format/records.ts';
import { tableConfig, type TableConfig } from './catalog.ts';
import { codecOf } from './codec.ts';
import { ident, qname, querier, type PgEndpoint, type Query } from './connect.ts';
import { encodeRows, ShardCopy, type CopyInColumn } from './copy-in.ts';
import { createStatements, foreignKeyStatements, keyStatements, defFromConfig, defFromNeutral, defFromVectors, enumStatements, type TableDef } from './ddl.ts';
import { copiedColumns, datasetName } from './neutral.ts';
import { JsonText, readBackDigest, Respelled, rowsOf, type VectorColumns } from './table-rows.ts';

/** What the datasets of one run share: where each one's table is staged (for foreign keys). */
export interface RunTables {
  /** Archive dataset name → the target and the staging schema, once opened. */
  byDataset: Map<string, { schema: string; table: string; stage: string | null; mode: IfExists | 'create'; ensureKeys?: () => Promise<void> }>;
  /** Every target of the run, `schema.table`. */
  targets: Set<string>;
  /** Enum types staged by a table of the run (`schema.name` → staging name), which its other tables use too. */
  enums: Map<string, string>;
}

export interface TableSinkOptions {
  ep: PgEndpoint;
  client: () => Promise<pg.Client>;
  target: { schema: string; table: string };
  /** The target as the user named it (checkpoint key). */
  targetName: string;
  ifExists: IfExists;
  run: RunTables;
  log: (m: string) => void;
}

type Mode = 'create' | 'replace' | 'append' | 'merge';

export class TableSink implements DatasetSink {
  /**
   * verify() compares with the trailer's digest one it computes itself: of the table read back,
   * or of the records given (a dry run, and values Postgres spells otherwise), so an import's
   * reader need not hash the records too (DatasetSink.digestsTarget).
   */
  readonly digestsTarget = true;
  private readonly o: TableSinkOptions;
  private descriptor!: DatasetDescriptor;
  private ctx!: SinkContext;
  private def!: TableDef;
  private vectors: VectorColumns | null = null;
  private mode: Mode = 'create';
  private stage = '';
  private prev = '';
  private columns: CopyInColumn[] = [];
  private digest = new DatasetDigest();
  private inTx = false;
  /** Enum types publish moved from the staging schema into the target's. */
  private movedEnums: string[] = [];
  /** The COPY of the shard being loaded (one per shard, inside its transaction). */
  private copy: ShardCopy | null = null;
  private done: string[] = [];
  private cp: CheckpointFile | null = null;
  private inspected = false;
  private published = false;
  private rowsWritten = 0;
  /** The staging schema is this run's (created or resumed by open): only then may abort drop it. */
  private ownsStage = false;

  constructor(o: TableSinkOptions) {
    this.o = o;
  }

  private get target(): string {
    return qname(this.o.target.schema, this.o.target.table);
  }

  private get staged(): string {
    return qname(this.stage, this.o.target.table);
  }

  private async q(what: string): Promise<Query> {
    return querier(await this.o.client(), this.o.ep, what);
  }

  private names(ctx: SinkContext): void {
    const h = createHash('sha256').update(`memarc.postgres\n${ctx.runId}\n${this.o.target.schema}.${this.o.target.table}`).digest('hex').slice(0, 16);
    this.stage = `memarc_stage_${h}`;
    this.prev = `memarc_prev_${h}`;
  }

  private buildDef(d: DatasetDescriptor): void {
    const family = descriptorFamily(d);
    if (family === 'table') {
      this.def = descriptorStore(d) === 'postgres' ? defFromConfig(d.fingerprint as unknown as TableConfig) : defFromNeutral(d.name, d.schema ?? {});
      return;
    }
    if (family === 'vectors') {
      const v = defFromVectors(this.o.target.table, d.schema ?? {});
      this.def = v.def;
      this.vectors = v.columns;
      return;
    }
    throw new MemarcError('USAGE', `dataset "${d.name}" is a ${family} dataset, which a Postgres table cannot hold`);
  }

  private async exists(q: Query, schema: string, table: string): Promise<boolean> {
    return (await q<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [qname(schema, table)])).rows[0]?.r != null;
  }

  private async schemaExists(q: Query, schema: string): Promise<boolean> {
    return (await q('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount! > 0;
  }

  private async liveConfig(q: Query, schema: string, table: string): Promise<TableConfig> {
    const oid = Number((await q<{ oid: string }>('SELECT $1::regclass::oid::text AS oid', [qname(schema, table)])).rows[0]!.oid);
    return tableConfig(q, { oid, schema, table, relkind: 'r' });
  }

  async inspect(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<void> {
    this.descriptor = descriptor;
    this.ctx = ctx;
    this.digest = new DatasetDigest({ ...(descriptor.formatMajor ? { major: descriptor.formatMajor } : {}) });
    this.names(ctx);
    this.buildDef(descriptor);
    const q = await this.q(`inspecting table ${this.target}`);
    const exists = await this.exists(q, this.o.target.schema, this.o.target.table);
    this.mode = exists ? (this.o.ifExists === 'fail' ? 'create' : this.o.ifExists) : 'create';
    if (exists && this.o.ifExists === 'fail') {
      throw new MemarcError('TARGET_EXISTS', `table ${this.target} exists on Postgres at ${this.o.ep.safeUrl}`, {
        hint: 'choose --if-exists replace, append or merge, or --rename the dataset',
        context: { dataset: descriptor.name, target: this.o.targetName },
      });
    }
    if (exists && (this.mode === 'append' || this.mode === 'merge')) {
      const live = await this.liveConfig(q, this.o.target.schema, this.o.target.table);
      const diffs = this.differences(live);
      if (diffs.length > 0) {
        throw new MemarcError('SCHEMA_MISMATCH', `table ${this.target} has another schema than dataset "${descriptor.name}": ${diffs.join('; ')}`, { context: { dataset: descriptor.name, differences: diffs } });
      }
      if (this.mode === 'merge' && !live.constraints.some((c) => c.type === 'p')) {
        throw new MemarcError('USAGE', `--if-exists merge needs a primary key to match rows by, and table ${this.target} has none`);
      }
    }
    if (exists && this.mode === 'replace') {
      const refs = await q<{ conname: string; t: string; schema: string; table: string }>(`
        SELECT co.conname, co.conrelid::regclass::text AS t, n.nspname AS schema, c.relname AS table FROM pg_constraint co
        JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE co.contype = 'f' AND co.confrelid = $1::regclass AND co.conrelid <> co.confrelid`, [this.target]);
      const outside = refs.rows.filter((r) => !this.o.run.targets.has(`${r.schema}.${r.table}`));
      if (outside.length > 0) {
        throw new MemarcError('USAGE', `--if-exists replace of table ${this.target}: ${outside.map((r) => `${r.t} references it (${r.conname})`).join(', ')}, and is not part of this restore`, {
          hint: 'restore the referencing tables in the same run, or drop their foreign keys first',
        });
      }
    }
    if (!ctx.dryRun && !ctx.resume && (await this.schemaExists(q, this.stage))) {
      throw new MemarcError('USAGE', `an interrupted import of this archive into ${this.target} left the staging schema ${this.stage}`, {
        hint: 'run the same command with --resume to continue it, or with --rollback to drop it',
      });
    }
    this.inspected = true;
  }

  /** Column names, types and NOT NULL of the live table against the archive's. */
  private differences(live: TableConfig): string[] {
    const want = this.def.columns.filter((c) => c.generated === undefined);
    const have = copiedColumns(live);
    const out: string[] = [];
    for (const c of want) {
      const h = have.find((x) => x.name === c.name);
      if (!h) out.push(`column "${c.name}" is missing`);
      else {
        const norm = (t: string) => t.replace(/^public\./, '').replace(/"/g, '');
        if (norm(h.type) !== norm(c.type)) out.push(`column "${c.name}" is ${h.type}, the archive's is ${c.type}`);
        if (h.notNull !== c.notNull) out.push(`column "${c.name}" is ${h.notNull ? '' : 'not '}NOT NULL on the target`);
      }
    }
    for (const h of have) if (!want.some((c) => c.name === h.name)) out.push(`column "${h.name}" is not in the archive`);
    return out;
  }

  async open(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<OpenResult> {
    if (!this.inspected) await this.inspect(descriptor, ctx);
    const key = this.o.run.byDataset.get(descriptor.name);
    if (key) key.mode = this.mode;
    // A dry run has no staging table to read the column types from: it checks the records and
    // their digest, not whether each value fits its column (the load does, naming the record).
    if (ctx.dryRun) return {};
    const q = await this.q(`preparing table ${this.target}`);
    this.cp = ctx.checkpoints ? ctx.checkpoints.for({ store: 'postgres', url: this.o.ep.safeUrl, target: this.o.targetName }) : null;
    if (await this.schemaExists(q, this.stage)) {
      this.done = (await q<{ entry: string }>(`SELECT entry FROM ${qname(this.stage, '_memarc_shards')}`)).rows.map((r) => r.entry);
    } else {
      if (ctx.resume) this.o.log(`postgres: no staging data of this archive for ${this.target}: starting from the beginning`);
      for (const ext of this.def.extensions) {
        if ((await q('SELECT 1 FROM pg_extension WHERE extname = $1', [ext])).rowCount === 0) {
          await q(`CREATE EXTENSION IF NOT EXISTS ${ident(ext)}`);
          this.o.log(`postgres: created extension ${ext} (the archive's columns use its types)`);
        }
      }
      const existing = new Map<string, string[]>();
      for (const e of this.def.enums) {
        const r = await q<{ labels: string[] }>(`SELECT ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) AS labels FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2`, [e.schema, e.name]);
        if (r.rows[0]) existing.set(`${e.schema}.${e.name}`, r.rows[0].labels);
      }
      const { statements, created, retype } = enumStatements(this.def, this.stage, existing, this.o.run.enums);
      await q('BEGIN');
      try {
        await q(`CREATE SCHEMA ${ident(this.stage)}`);
        for (const s of statements) await q(s);
        for (const s of createStatements(this.def, this.stage, this.o.target.table, retype)) await q(s);
        await q(`CREATE TABLE ${qname(this.stage, '_memarc_shards')} (entry text PRIMARY KEY)`);
        await q('COMMIT');
        for (const [k, v] of created) this.o.run.enums.set(k, v);
      } catch (err) {
        await q('ROLLBACK').catch(() => {});
        throw err;
      }
    }
    this.ownsStage = true;
    if (descriptorFamily(descriptor) === 'table' && descriptorStore(descriptor) !== 'postgres') {
      this.respelled = new Respelled(descriptor.formatMajor);
    }
    const stagedConfig = await this.liveConfig(q, this.stage, this.o.target.table);
    this.columns = copiedColumns(stagedConfig).map((c) => ({ name: c.name, codec: codecOf(c.pgType)! }));
    if (this.respelled) this.jsonText = new JsonText(copiedColumns(stagedConfig).filter((c) => c.pgType.name === 'json' || c.pgType.name === 'jsonb').map((c) => c.name));
    const entry = this.o.run.byDataset.get(descriptor.name);
    if (entry) {
      entry.stage = this.stage;
      entry.ensureKeys = () => this.ensureKeys();
    }
    await this.cp?.save({ stage: this.stage, done: this.done });
    return { done: this.done };
  }

  async write<K extends RecordKind>(kind: K, batch: RecordByKind[K][]): Promise<void> {
    if (this.ctx.dryRun) {
      for (const r of batch) this.digest.add(kind, r);
      rowsOf(kind, batch, this.vectors);
      return;
    }
    const rows = this.jsonText ? this.jsonText.parse(rowsOf(kind, batch, this.vectors)) : rowsOf(kind, batch, this.vectors);
    const body = encodeRows(rows, this.columns, (r) => `dataset "${this.descriptor.name}", record ${this.rowsWritten + r + 1}`, false);
    if (this.respelled) {
      for (const rec of batch) this.digest.add(kind, rec);
      this.respelled.add(rows, this.columns);
    }
    const client = await this.o.client();
    if (!this.inTx) {
      await querier(client, this.o.ep, 'loading')('BEGIN');
      this.inTx = true;
    }
    this.copy ??= await ShardCopy.open(client, this.o.ep, this.staged, this.columns, `loading table ${this.staged}`);
    await this.copy.write(body);
    this.rowsWritten += rows.length;
  }

  /** For another store's table: its rows as Postgres will print them (table-rows.ts). */
  private respelled: Respelled | null = null;
  /** Another store's JSON text in json/jsonb columns, parsed (a conversion only). */
  private jsonText: JsonText | null = null;

  async shardDone(shard: ShardRef): Promise<void> {
    if (this.ctx.dryRun) return;
    const q = await this.q(`loading table ${this.staged}`);
    if (this.copy) {
      const copy = this.copy;
      this.copy = null;
      await copy.end();
    }
    if (!this.inTx) await q('BEGIN');
    await q(`INSERT INTO ${qname(this.stage, '_memarc_shards')} (entry) VALUES ($1)`, [shard.entry]);
    await q('COMMIT');
    this.inTx = false;
    this.done.push(shard.entry);
    await this.cp?.save({ stage: this.stage, done: this.done });
  }

  /** Where a referenced table is now: the staging copy of a table created or replaced by this run, else the live table. */
  private refOf = (schema: string, table: string): string => {
    const r = this.o.run.byDataset.get(datasetName(schema, table));
    if (r && r.stage && (r.mode === 'create' || r.mode === 'replace')) return qname(r.stage, r.table);
    if (r) return qname(r.schema, r.table);
    return qname(schema, table);
  };

  async verify(expected: DatasetTotals): Promise<CommitReport> {
    const kind: RecordKind = this.vectors ? 'point' : 'row';
    const report = (digest: string): CommitReport => ({ dataset: this.descriptor.name, target: `${this.o.target.schema}.${this.o.target.table}`, records: { [kind]: expected.records[kind] ?? 0 }, digest, actions: [] });
    const check = (d: DatasetDigest, what: string): void => {
      const count = d.counts[kind] ?? 0;
      if (count !== (expected.records[kind] ?? 0) || d.hex() !== expected.digest) {
        throw new MemarcError('VERIFY_FAILED', `${what} of dataset "${this.descriptor.name}" holds ${count} ${kind}s with digest ${d.hex()}; the archive has ${expected.records[kind] ?? 0} with ${expected.digest}`, {
          hint: readBackHint(d, expected, [kind], true),
          context: { dataset: this.descriptor.name },
        });
      }
    };
    if (this.ctx.dryRun) {
      check(this.digest, 'the archive');
      const r = report(this.digest.hex());
      r.actions.push(`would ${this.mode === 'create' ? 'create' : this.mode} table ${this.target} (through a staging schema)`);
      if (this.vectors) r.actions.push(`vectors → table columns: ${this.vectors.map((v) => `"${v.vector}" → ${v.column}`).join(', ')}; point id → id (text); payload → payload (jsonb)`);
      for (const n of this.def.notRestored) r.actions.push(`not restored: ${n}`);
      return r;
    }
    if (this.inTx) throw new Error('a shard was left open before verify');
    const q = await this.q(`building table ${this.staged}`);
    await this.ensureKeys();
    for (const c of this.def.constraints) {
      if (c.type !== 'f' || !c.references) continue;
      const other = this.o.run.byDataset.get(datasetName(c.references.schema, c.references.table));
      if (other && other.ensureKeys && other.ensureKeys !== this.o.run.byDataset.get(this.descriptor.name)?.ensureKeys) await other.ensureKeys();
    }
    await this.longStatements(q, foreignKeyStatements(this.def, this.stage, this.o.target.table, this.refOf));
    const got = await readBackDigest({ client: await this.o.client(), ep: this.o.ep, staged: this.staged, columns: this.columns, vectors: this.vectors, ...(this.descriptor.formatMajor ? { formatMajor: this.descriptor.formatMajor } : {}) });
    if (this.respelled) {
      check(this.digest, 'the archive');
      const want = this.respelled.digest;
      if (got.hex() !== want.hex() || (got.counts.row ?? 0) !== (want.counts.row ?? 0)) {
        throw new MemarcError('VERIFY_FAILED', `the staging table ${this.staged} of dataset "${this.descriptor.name}" holds ${got.counts.row ?? 0} rows with digest ${got.hex()}; the archive's rows as Postgres prints them: ${want.counts.row ?? 0} with ${want.hex()}`, { context: { dataset: this.descriptor.name } });
      }
    } else check(got, `the staging table ${this.staged}`);
    if (this.mode === 'append') await this.refuseCollisions(q);
    const r = report(got.hex());
    r.actions.push(`loaded ${got.counts[kind] ?? 0} rows into ${this.staged}, read back: count and digest equal the archive's${this.respelled ? ' as Postgres prints its values' : ''}`);
    if (this.jsonText && this.jsonText.cells > 0) r.actions.push(this.jsonText.report());
    if (this.respelled && this.respelled.cells > 0) r.actions.push(`${this.respelled.cells} cell(s) are spelled otherwise by Postgres, with the same value (${this.respelled.first.join('; ')}); its digest is therefore ${got.hex()}, the archive's ${expected.digest}`);
    for (const n of this.def.notRestored) r.actions.push(`not restored: ${n}`);
    return r;
  }

  private keysDone: Promise<void> | null = null;

  /** Keys, checks and indexes of the staging table, once (another table's foreign key may need them first). */
  ensureKeys(): Promise<void> {
    this.keysDone ??= this.q(`building table ${this.staged}`).then((q) => this.longStatements(q, keyStatements(this.def, this.stage, this.o.target.table)));
    return this.keysDone;
  }

  /** Index builds may take far longer than a statement: a generous deadline of their own (60 × --pg-timeout). */
  private async longStatements(q: Query, statements: string[]): Promise<void> {
    await q(`SET statement_timeout = ${this.o.ep.timeoutMs * 60}`);
    try {
      for (const s of statements) await q(s);
    } finally {
      await q(`SET statement_timeout = ${this.o.ep.timeoutMs}`);
    }
  }

  private pk(): string[] {
    return this.def.constraints.find((c) => c.type === 'p')?.columns ?? [];
  }

  private pkMatch(a: string, b: string): string {
    return this.pk().map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(' AND ');
  }

  private async refuseCollisions(q: Query): Promise<void> {
    const pk = this.pk();
    if (pk.length === 0) return; // nothing identifies a row: an append adds
    const r = await q<{ n: string; first: string[] }>(`
      SELECT count(*)::text AS n, (array_agg(row(${pk.map((c) => `s.${ident(c)}`).join(', ')})::text))[1:10] AS first
      FROM ${this.staged} s WHERE EXISTS (SELECT 1 FROM ${this.target} t WHERE ${this.pkMatch('t', 's')})`);
    const n = Number(r.rows[0]?.n ?? 0);
    if (n > 0) {
      throw new MemarcError('TARGET_EXISTS', `table ${this.target} already holds ${n} ${this.vectors ? 'point id(s)' : 'row key(s)'} of the archive (${(r.rows[0]!.first ?? []).join(', ')}); an append never overwrites`, {
        hint: 'use --if-exists merge to overwrite them, or replace',
        context: { dataset: this.descriptor.name },
      });
    }
  }

  undoable(): boolean {
    return true;
  }

  private columnList(): string {
    return this.columns.map((c) => ident(c.name)).join(', ');
  }

  async publish(): Promise<PublishResult> {
    if (this.ctx.dryRun) return { actions: [], undoable: true };
    const q = await this.q(`publishing table ${this.target}`);
    const { schema, table } = this.o.target;
    await q('BEGIN');
    try {
      const actions: string[] = [];
      if (this.mode === 'create' || this.mode === 'replace') {
        await q(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
        const exists = await this.exists(q, schema, table);
        if (this.mode === 'create' && exists) throw new MemarcError('TARGET_EXISTS', `table ${this.target} was created by someone else during the restore`);
        if (exists) {
          await q(`CREATE SCHEMA ${ident(this.prev)}`);
          await q(`ALTER TABLE ${this.target} SET SCHEMA ${ident(this.prev)}`);
          actions.push(`replaced table ${this.target} (the previous one kept in ${this.prev} until the run finishes)`);
        } else actions.push(`created table ${this.target}`);
        for (const t of (await q<{ name: string }>(`SELECT t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype = 'e'`, [this.stage])).rows) {
          await q(`ALTER TYPE ${qname(this.stage, t.name)} SET SCHEMA ${ident(schema)}`);
          this.movedEnums.push(t.name);
          actions.push(`created enum type ${qname(schema, t.name)}`);
        }
        await q(`ALTER TABLE ${this.staged} SET SCHEMA ${ident(schema)}`);
      } else if (this.mode === 'append') {
        const r = await q(`INSERT INTO ${this.target} (${this.columnList()}) OVERRIDING SYSTEM VALUE SELECT ${this.columnList()} FROM ${this.staged}`);
        actions.push(`appended ${r.rowCount} rows to table ${this.target}`);
        actions.push(...(await this.advanceSequences(q)));
      } else {
        const pk = this.pk();
        const rest = this.columns.filter((c) => !pk.includes(c.name));
        await q(`CREATE TABLE ${qname(this.stage, '_memarc_overwritten')} AS SELECT t.* FROM ${this.target} t WHERE EXISTS (SELECT 1 FROM ${this.staged} s WHERE ${this.pkMatch('t', 's')})`);
        const r = await q(`INSERT INTO ${this.target} (${this.columnList()}) OVERRIDING SYSTEM VALUE SELECT ${this.columnList()} FROM ${this.staged}
          ON CONFLICT (${pk.map(ident).join(', ')}) DO ${rest.length > 0 ? `UPDATE SET ${rest.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')}` : 'NOTHING'}`);
        actions.push(`merged ${r.rowCount} rows into table ${this.target}`);
        actions.push(...(await this.advanceSequences(q)));
      }
      await q('COMMIT');
      this.published = true;
      return { actions, undoable: true };
    } catch (err) {
      await q('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /**
   * After an append or merge, the live table's own sequences are moved up to the archive's values
   * where they stood lower, so that the next default value never collides with an archived key.
   * (Sequences are not transactional: an undo leaves them where they are, which is harmless.)
   */
  private async advanceSequences(q: Query): Promise<string[]> {
    const out: string[] = [];
    for (const s of this.def.sequences) {
      if (s.lastValue === null) continue;
      const seq = (await q<{ s: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS s', [this.target, s.column])).rows[0]?.s;
      if (!seq) continue;
      const r = await q<{ v: string }>(`SELECT setval($1::regclass, GREATEST($2::bigint, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${seq})), true)::text AS v`, [seq, s.lastValue]);
      out.push(`sequence ${seq} at ${r.rows[0]!.v} (at least the archive's ${s.lastValue})`);
    }
    return out;
  }

  async undo(): Promise<string> {
    if (this.ctx.dryRun || !this.published) return 'nothing was published';
    const q = await this.q(`putting table ${this.target} back`);
    const { schema } = this.o.target;
    await q('BEGIN');
    try {
      let what: string;
      if (this.mode === 'create' || this.mode === 'replace') {
        await q(`ALTER TABLE ${this.target} SET SCHEMA ${ident(this.stage)}`);
        // Enum types this publish created go back with it (tables of the run still using them are undone too).
        for (const e of this.movedEnums) await q(`ALTER TYPE ${qname(schema, e)} SET SCHEMA ${ident(this.stage)}`);
        this.movedEnums = [];
        if (this.mode === 'replace') {
          await q(`ALTER TABLE ${qname(this.prev, this.o.target.table)} SET SCHEMA ${ident(schema)}`);
          await q(`DROP SCHEMA ${ident(this.prev)}`);
          what = `put the previous table ${this.target} back`;
        } else what = `removed the new table ${this.target}`;
      } else if (this.mode === 'append') {
        const r = await q(`DELETE FROM ${this.target} t USING ${this.staged} s WHERE ${this.pkMatch('t', 's')}`);
        what = `deleted the ${r.rowCount} appended rows from ${this.target}`;
      } else {
        await q(`DELETE FROM ${this.target} t USING ${this.staged} s WHERE ${this.pkMatch('t', 's')}`);
        const r = await q(`INSERT INTO ${this.target} OVERRIDING SYSTEM VALUE SELECT * FROM ${qname(this.stage, '_memarc_overwritten')}`);
        what = `removed the merged rows of ${this.target} and wrote back the ${r.rowCount} it overwrote`;
      }
      await q('COMMIT');
      this.published = false;
      await q(`DROP SCHEMA IF EXISTS ${ident(this.stage)} CASCADE`);
      await this.cp?.remove();
      return what;
    } catch (err) {
      await q('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async finish(): Promise<string[]> {
    if (this.ctx.dryRun) return [];
    const q = await this.q(`cleaning up after table ${this.target}`);
    await q(`DROP SCHEMA IF EXISTS ${ident(this.stage)} CASCADE`);
    await q(`DROP SCHEMA IF EXISTS ${ident(this.prev)} CASCADE`);
    await this.cp?.remove();
    return this.mode === 'replace' ? [`dropped the previous table (${this.prev})`] : [];
  }

  async abort(_err: unknown, keep?: boolean): Promise<AbortOutcome> {
    if (!this.ctx || this.ctx.dryRun || !this.ownsStage) return { kept: false, message: `nothing was written; table ${this.target || this.o.target.table} was not touched` };
    try {
      const q = await this.q(`rolling back table ${this.target}`);
      if (this.copy) {
        await this.copy.destroy();
        this.copy = null;
      }
      if (this.inTx) {
        await q('ROLLBACK').catch(() => {});
        this.inTx = false;
      }
      if (keep) return { kept: true, message: `kept the staging schema ${this.stage} (${this.done.length} shard(s) loaded) for ${this.target}; the target was not touched` };
      await q(`DROP SCHEMA IF EXISTS ${ident(this.stage)} CASCADE`);
      await this.cp?.remove();
      return { kept: false, message: `removed the staging schema ${this.stage}; table ${this.target} was not touched` };
    } catch (err) {
      return { kept: false, message: `could not remove the staging schema ${this.stage}: ${(err as Error).message}` };
    }
  }

  async discard(descriptor: DatasetDescriptor, ctx: SinkContext): Promise<string> {
    this.descriptor = descriptor;
    this.ctx = ctx;
    this.names(ctx);
    const q = await this.q(`rolling back table ${this.target}`);
    const what: string[] = [];
    if (await this.schemaExists(q, this.prev)) {
      // Published but not finished (a replace): the previous table goes back in place.
      await q('BEGIN');
      try {
        if (await this.exists(q, this.o.target.schema, this.o.target.table)) await q(`DROP TABLE ${this.target}`);
        await q(`ALTER TABLE ${qname(this.prev, this.o.target.table)} SET SCHEMA ${ident(this.o.target.schema)}`);
        await q(`DROP SCHEMA ${ident(this.prev)} CASCADE`);
        await q('COMMIT');
      } catch (err) {
        await q('ROLLBACK').catch(() => {});
        throw err;
      }
      what.push(`put the previous table ${this.target} back`);
    }
    if (await this.schemaExists(q, this.stage)) {
      await q(`DROP SCHEMA ${ident(this.stage)} CASCADE`);
      what.push(`dropped the staging schema ${this.stage}`);
    }
    await ctx.checkpoints?.for({ store: 'postgres', url: this.o.ep.safeUrl, target: this.o.targetName }).remove();
    return what.length > 0 ? what.join('; ') : `nothing of this archive to roll back for ${this.target}`;
  }
}

