/**
 * The commands, their options and help. The stores' options and the words naming them come from
 * the registry given, so the help lists exactly the stores of this build.
 */
import { Command, Option } from 'commander';
import type { StoreDescriptor } from '../core/descriptor.ts';
import { describeSchemes, type Registry } from '../core/stores.ts';
import { EXIT_CODES } from '../errors.ts';
import type { CommandContext } from './main.ts';
import { countOption, sizeOption } from './numbers.ts';
import { addS3Options, addStoreOptions, renamePair } from './options.ts';

/** Wraps a lazily loaded command function into a commander action. */
export type Runner = <A extends unknown[]>(load: () => Promise<(ctx: CommandContext, ...args: A) => Promise<void>>) => (...args: A) => Promise<void>;

/** `<Store> <datasets> and/or …`: the stores with servers that read (or write) datasets. */
function holdings(registry: Registry, has: 'source' | 'sink', withNouns: boolean): string {
  const stores = registry.filter((s) => s.schemes.length > 0 && s[has]);
  const name = (s: StoreDescriptor) => (withNouns ? `${s.title} ${[...new Set(s.datasets.map((d) => d.noun))].join(' and ')}` : s.title);
  return stores.map(name).join(' and/or ');
}

/** Per store, the credentials `migrate` reads for one side. */
function credentials(registry: Registry, side: 'from' | 'to'): string {
  const vars = registry.flatMap((s) => s.env.filter((e) => e.side === side).map((e) => (e.fallback ? `${e.name}, else ${e.fallback}` : e.name)));
  return vars.length ? `; credentials: ${vars.join('; ')}` : '';
}

export function buildProgram(registry: Registry, run: Runner): Command {
  const servers = registry.filter((s) => s.schemes.length > 0).map((s) => s.title).join(', ');
  const program = new Command('memarc')
    .description(`Portable, verifiable backups and migrations for AI-agent memory stores${servers ? ` (${servers})` : ''}.`)
    .version('0.1.0')
    .option('--json', 'print one machine-readable JSON document on stdout')
    .addOption(new Option('--progress', 'show progress on stderr even when it is not a terminal'))
    .addOption(new Option('--no-progress', 'never show progress'))
    .option('-q, --quiet', 'no logs on stderr (errors still)')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_CODES.USAGE);
    });

  const limitOptions = (cmd: Command) =>
    cmd
      .option('--max-shard-bytes <n>', 'largest shard entry accepted (bytes)', sizeOption('--max-shard-bytes'))
      .option('--max-shard-raw-bytes <n>', 'largest decompressed shard accepted (bytes): the decompression-bomb limit', sizeOption('--max-shard-raw-bytes'))
      .option('--max-meta-bytes <n>', 'largest header.json, CHECKSUMS.sha256 or trailer.json accepted (bytes, default 16MiB)', sizeOption('--max-meta-bytes'))
      .option('--max-meta-values <n>', 'most JSON values in header.json and trailer.json together (default 786432)', countOption('--max-meta-values', { min: 1 }))
      .option('--max-line-bytes <n>', 'longest record line accepted (bytes, default 4MiB)', sizeOption('--max-line-bytes'))
      .option('--max-line-values <n>', 'most JSON values in one record line (default 262144)', countOption('--max-line-values', { min: 1 }));

  const withS3 = (cmd: Command) => addS3Options(cmd);
  const ifExists = () => new Option('--if-exists <mode>', 'when a target exists: fail; append (refuses ids the target holds); merge (overwrites them); replace (load into staging, verify, then switch)').choices(['fail', 'append', 'merge', 'replace']).default('fail');

  withS3(limitOptions(
    program.command('inspect')
      .description('list an archive: datasets, counts, fingerprints and sizes (checks checksums, does not decode)')
      .argument('<archive>', 'a path, - for stdin, or s3://bucket/key'),
  )).action(run(async () => (await import('./commands/inspect.ts')).inspect));

  withS3(limitOptions(
    program.command('verify')
      .description('full integrity check: every checksum, record, count and content digest')
      .argument('<archive>', 'a path, - for stdin, or s3://bucket/key'),
  )).action(run(async () => (await import('./commands/verify.ts')).verify));

  program.command('demo')
    .description('end-to-end demo with no server: synthetic memories → archive → verify → inspect → read back → compare digests')
    .option('--count <n>', 'memories to generate', countOption('--count'), 2000)
    .option('--dim <n>', 'vector dimension', countOption('--dim', { min: 1, max: 65_536 }), 768)
    .option('--out <file>', 'keep the archive at this path (default: a temporary file, removed afterwards)')
    .action(run(async () => (await import('./commands/demo.ts')).demo));

  withS3(addStoreOptions(program.command('export')
    .description(`export ${holdings(registry, 'source', true)} into one archive`)
    .option('-o, --output <location>', 'a path, - for stdout, or s3://bucket/key', '-'), registry, 'export')
    .option('--force', 'overwrite an existing archive')
    .option('--shard-max-bytes <size>', 'roll shards over at this many bytes of NDJSON (default 4MiB)', sizeOption('--shard-max-bytes'))
    .option('--shard-max-records <n>', 'roll shards over at this many records (default 100000)', countOption('--shard-max-records', { min: 1 }))
    .option('--gzip-level <n>', 'gzip level 1-9 (default 1)', countOption('--gzip-level', { min: 1, max: 9 })))
    .action(run(async () => (await import('./commands/export.ts')).exportCommand));

  withS3(limitOptions(addStoreOptions(program.command('import')
    .description(`restore an archive into ${holdings(registry, 'sink', false)}, verified against the archive`)
    .argument('<archive>', 'a path, - for stdin, or s3://bucket/key'), registry, 'import')
    .addOption(ifExists())
    .option('--rename <old=new>', 'restore dataset old under the name new (repeatable)', renamePair)
    .option('--dry-run', 'read and validate everything, report what would be done, write nothing')
    .option('--resume', 'continue an interrupted import of the same archive into the same targets')
    .option('--rollback', 'drop what an interrupted import of the same archive left (staging targets, checkpoints); load nothing')
    .option('--state-dir <dir>', 'where resume checkpoints live (default: MEMARC_STATE_DIR, else $XDG_STATE_HOME/memarc, else ~/.local/state/memarc)')
    .option('--reader-thread', 'read and check the archive on a second thread: faster when the servers run on other machines, about 30 MiB more memory')))
    .action(run(async () => (await import('./commands/import.ts')).importCommand));

  addStoreOptions(program.command('migrate')
    .description('stream datasets straight from one server to another (no intermediate file), with the same checks')
    .requiredOption('--from <url>', `source: ${describeSchemes(registry)}${credentials(registry, 'from')}`)
    .requiredOption('--to <url>', `target, of the same kind${credentials(registry, 'to')}`), registry, 'migrate')
    .addOption(ifExists())
    .option('--rename <old=new>', 'migrate dataset old under the name new (repeatable)', renamePair)
    .option('--dry-run', 'read and validate everything, report what would be done, write nothing')
    .action(run(async () => (await import('./commands/migrate.ts')).migrateCommand));

  withS3(program.command('ls')
    .description('list the archives in a directory or under an S3 prefix, newest first (by the time in their headers), each complete or incomplete (read from its end)')
    .argument('<location>', 'a directory or s3://bucket/prefix'))
    .action(run(async () => (await import('./commands/retention.ts')).ls));

  withS3(program.command('prune')
    .description('delete complete archives outside a retention policy (by the creation time in their headers); incomplete ones never count and are deleted only with --delete-incomplete')
    .argument('<location>', 'a directory or s3://bucket/prefix')
    .option('--keep <n>', 'keep the n newest complete archives', countOption('--keep', { min: 1 }))
    .option('--max-age <duration>', 'keep archives younger than this, e.g. 14d, 12h, 30m')
    .option('--delete-incomplete', 'also delete incomplete archives (no trailer or end-of-archive marker: an interrupted write or copy)')
    .option('--dry-run', 'show what would be deleted, delete nothing'))
    .action(run(async () => (await import('./commands/retention.ts')).prune));

  return program;
}
