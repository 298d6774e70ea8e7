/**
 * The SQLite adapter as the CLI sees it (src/core/descriptor.ts): `--sqlite <path>` and
 * `--tables` for export and import, `sqlite:PATH` and `file:PATH` locations for migrate. It
 * restores table datasets of other stores too (a conversion through the neutral schema,
 * spec/FORMAT.md 4.6, 15.5). The factories load node:sqlite lazily.
 */
import type { SinkRequest, StoreDescriptor, StoreRequest } from '../../core/descriptor.ts';

async function pathOf(req: StoreRequest): Promise<string | null> {
  const { sqlitePath } = await import('./location.ts');
  if (req.endpoint) return sqlitePath(req.endpoint.url);
  const flag = req.options.sqlite;
  if (typeof flag !== 'string') return null;
  return sqlitePath(flag);
}

function tablesOf(req: StoreRequest): { tables?: string[] } {
  const t = req.options.tables as string[] | undefined;
  return t ? { tables: t } : {};
}

export const sqliteDescriptor: StoreDescriptor = {
  name: 'sqlite',
  title: 'SQLite',
  schemes: ['sqlite', 'file'],
  env: [],
  datasets: [{ kind: 'sqlite.table', family: 'table', noun: 'tables', reads: true, writes: true, fromOtherStores: true }],
  flag: '--sqlite <path>',
  selection: '--tables <names>',
  options: [
    { flags: '--sqlite <path>', help: 'a SQLite database file (export: read in one read-only transaction; import: created through a temporary file, or restored into table by table)', commands: ['export', 'import'] },
    {
      flags: '--sqlite-snapshot <mode>',
      help: 'SQLite: auto reads a copy made in one read transaction when the file is in rollback-journal mode (writers wait only for the copy; needs free space in the temporary directory) and the live file in WAL mode; transaction always reads the live file (in rollback-journal mode writers wait until every table is read); copy always copies',
      commands: ['export', 'migrate'],
      value: { type: 'choice', choices: ['auto', 'transaction', 'copy'] },
      default: 'auto',
    },
    { flags: '--tables <names>', help: 'only these SQLite tables (comma-separated)', commands: ['export', 'import', 'migrate'], value: { type: 'list' } },
  ],
  async source(req: StoreRequest) {
    const path = await pathOf(req);
    if (!path) return null;
    const { sqliteSource } = await import('./source.ts');
    const snapshot = req.options.sqliteSnapshot as 'auto' | 'transaction' | 'copy' | undefined;
    return sqliteSource({ path, ...tablesOf(req), ...(snapshot ? { snapshot } : {}), log: req.log });
  },
  async sink(req: SinkRequest) {
    const path = await pathOf(req);
    if (!path) return null;
    const { sqliteSink } = await import('./sink.ts');
    return sqliteSink({ path, ...tablesOf(req), ifExists: req.ifExists, ...(req.rename ? { rename: req.rename } : {}), log: req.log });
  },
};
