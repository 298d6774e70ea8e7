#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The memarc command line. It only parses and dispatches: every command is a library function of
 * the same name (src/index.ts), imported lazily so `memarc inspect` never loads an AWS or Qdrant
 * client.
 */
import { Command, Option } from 'commander';
import { EXIT_CODES, MemarcError, isMemarcError } from '../errors.ts';
import { countOption, sizeOption } from './numbers.ts';
import { addS3Options, addStoreOptions, list, renamePair } from './options.ts';
import { reportError, stdoutBroken, type GlobalOptions } from './output.ts';

export interface CommandContext {
  g: GlobalOptions;
  signal: AbortSignal;
}

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // A second signal is the user insisting: the only exit that skips cleanup, and it says so.
    if (++interrupts > 1) {
      process.stderr.write('memarc: interrupted again: quitting before cleanup finished (a temporary file, S3 upload or FalkorDB copy may be left; the next run or the bucket lifecycle rule removes it)\n');
      process.exit(EXIT_CODES.INTERRUPTED);
    }
    controller.abort(new MemarcError('INTERRUPTED', `interrupted by ${sig}`, { hint: 'nothing was left half-written; run the command again' }));
  });
}

function run<A extends unknown[]>(load: () => Promise<(ctx: CommandContext, ...args: A) => Promise<void>>) {
  return async (...args: A) => {
    const g = program.opts<GlobalOptions>();
    try {
      const fn = await load();
      await fn({ g, signal: controller.signal }, ...args);
      if (stdoutBroken()) process.exitCode = EXIT_CODES.BROKEN_PIPE;
    } catch (err) {
      // An import reports an interrupt itself, saying what it kept or rolled back.
      const reason = isMemarcError(err, 'INTERRUPTED') || !controller.signal.aborted ? err : controller.signal.reason;
      process.exitCode = reportError(g, reason instanceof MemarcError ? reason : err);
    }
  };
}

const program = new Command('memarc')
  .description('Portable, verifiable backups and migrations for AI-agent memory stores (Qdrant, FalkorDB).')
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
    .option('--max-shard-raw-bytes <n>', 'largest decompressed shard accepted (bytes): the decompression-bomb limit', sizeOption('--max-shard-raw-bytes'));

const withS3 = (cmd: Command) => addS3Options(cmd);
const verifyMode = () => new Option('--verify <mode>', 'Qdrant: readback proves every point as stored (default); count checks only the exact count and the archive digest, faster').choices(['readback', 'count']).default('readback');
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
  .description('export Qdrant collections and/or FalkorDB graphs into one archive')
  .option('-o, --output <location>', 'a path, - for stdout, or s3://bucket/key', '-')
  .option('--synthetic <count>', 'also export a synthetic memory store of <count> memories (trials and benchmarks)', countOption('--synthetic'))
  .option('--dim <n>', 'vector dimension of --synthetic', countOption('--dim', { min: 1, max: 65_536 }), 768)
  .option('--force', 'overwrite an existing archive')
  .option('--shard-max-bytes <size>', 'roll shards over at this many bytes of NDJSON (default 8MiB)', sizeOption('--shard-max-bytes'))
  .option('--shard-max-records <n>', 'roll shards over at this many records (default 100000)', countOption('--shard-max-records', { min: 1 }))
  .option('--gzip-level <n>', 'gzip level 1-9 (default 1)', countOption('--gzip-level', { min: 1, max: 9 }))
  .addOption(new Option('--snapshot <mode>', 'FalkorDB: none reads the live graph with read-only queries (fuzzy, no writes); copy reads a GRAPH.COPY (one point in time; needs write access and memory, and can deadlock FalkorDB 4.16 under concurrent writes)').choices(['none', 'copy']).default('none'))))
  .action(run(async () => (await import('./commands/export.ts')).exportCommand));

withS3(limitOptions(addStoreOptions(program.command('import')
  .description('restore an archive into Qdrant and/or FalkorDB, verified against the archive')
  .argument('<archive>', 'a path, - for stdin, or s3://bucket/key')
  .addOption(ifExists())
  .addOption(verifyMode())
  .option('--rename <old=new>', 'restore dataset old under the name new (repeatable)', renamePair)
  .option('--dry-run', 'read and validate everything, report what would be done, write nothing')
  .option('--resume', 'continue an interrupted import of the same archive into the same targets')
  .option('--rollback', 'drop what an interrupted import of the same archive left (staging targets, checkpoints); load nothing')
  .option('--state-dir <dir>', 'where resume checkpoints live (default: MEMARC_STATE_DIR, else $XDG_STATE_HOME/memarc, else ~/.local/state/memarc)'))))
  .action(run(async () => (await import('./commands/import.ts')).importCommand));

program.command('migrate')
  .description('stream datasets straight from one server to another (no intermediate file), with the same checks')
  .requiredOption('--from <url>', 'source: http(s):// Qdrant or redis:// FalkorDB (key: MEMARC_FROM_QDRANT_API_KEY, else QDRANT_API_KEY; password: MEMARC_FROM_FALKORDB_PASSWORD)')
  .requiredOption('--to <url>', 'target of the same kind (key: MEMARC_TO_QDRANT_API_KEY, else QDRANT_API_KEY; password: MEMARC_TO_FALKORDB_PASSWORD)')
  .option('--collections <names>', 'only these collections (comma-separated)', list)
  .option('--graphs <names>', 'only these graphs (comma-separated)', list)
  .addOption(ifExists())
  .addOption(verifyMode())
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

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(program.opts<GlobalOptions>(), err);
});
