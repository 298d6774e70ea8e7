/**
 * Postgres as a sink: one TableSink per selected dataset (table-sink.ts), sharing one connection
 * (the datasets of a run are loaded one after another) and what they know of each other (where
 * each table is staged, for foreign keys between tables of the same run).
 *
 * It takes table datasets of its own store (rebuilt from their native configuration), and, as a
 * conversion through the neutral schema (spec/FORMAT.md 4.6, 15.7), table datasets of other stores
 * and vectors datasets of any store.
 */
import type pg from 'pg';
import type { DatasetDescriptor, DatasetSink, IfExists, Sink } from '../../core/adapter.ts';
import { descriptorFamily, descriptorStore } from '../../core/adapter.ts';
import type { TableConfig } from './catalog.ts';
import { MemarcError } from '../../errors.ts';
import { connect, release, type PgEndpoint } from './connect.ts';
import { datasetName, tableOfName } from './neutral.ts';
import { TableSink, type RunTables } from './table-sink.ts';

export interface PostgresSinkOptions {
  endpoint: PgEndpoint;
  ifExists?: IfExists;
  /** Archive dataset name → target (`table` or `schema.table`). */
  rename?: Record<string, string>;
  /** Archive dataset names to restore (before renaming); all when absent. */
  tables?: string[];
  /**
   * Take every dataset of another store (migrate). Otherwise (import) another store's dataset is
   * converted only when `tables` names it, so that restoring one system's archive into Postgres
   * never turns its Qdrant collections into tables unasked.
   */
  convert?: boolean;
  log?: (m: string) => void;
}

export function postgresSink(opts: PostgresSinkOptions): Sink {
  const log = opts.log ?? (() => {});
  const ep = opts.endpoint;
  let client: Promise<pg.Client> | null = null;
  const getClient = (): Promise<pg.Client> => {
    client ??= connect(ep, 'memarc import').catch((err: unknown) => {
      client = null;
      throw err;
    });
    return client;
  };
  const selected = opts.tables && opts.tables.length > 0 ? new Set(opts.tables) : null;
  let starTaken: string | null = null;
  const run: RunTables = { byDataset: new Map(), targets: new Set(), enums: new Map() };
  return {
    async dataset(d: DatasetDescriptor): Promise<DatasetSink | null> {
      const family = descriptorFamily(d);
      if (family !== 'table' && family !== 'vectors') return null;
      if (selected && !selected.has(d.name)) return null;
      const foreign = family === 'vectors' || descriptorStore(d) !== 'postgres';
      if (foreign && !opts.convert && !selected) return null;
      const own = family === 'table' && descriptorStore(d) === 'postgres' ? (d.fingerprint as unknown as TableConfig) : null;
      const star = opts.rename?.[d.name] === undefined ? opts.rename?.['*'] : undefined;
      if (star !== undefined && starTaken !== null && starTaken !== d.name) {
        throw new MemarcError('USAGE', `?table=${star} on the target URL names the table of one dataset, and the source has several ("${starTaken}", "${d.name}", …)`, { hint: 'select one dataset on the source (--collections, --tables), or leave ?table= off the target' });
      }
      if (star !== undefined) starTaken = d.name;
      const targetName = opts.rename?.[d.name] ?? star ?? (own ? datasetName(own.schema, own.table) : d.name);
      const target = tableOfName(targetName);
      run.byDataset.set(d.name, { ...target, stage: null, mode: opts.ifExists ?? 'fail' });
      run.targets.add(`${target.schema}.${target.table}`);
      return new TableSink({ ep, client: getClient, target, targetName, ifExists: opts.ifExists ?? 'fail', run, log });
    },
    async close() {
      const c = client;
      client = null;
      const connected = c ? await c.catch(() => null) : null;
      if (connected) await release(connected, ep, false);
    },
  };
}
