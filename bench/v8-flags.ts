/**
 * The V8 flags the memarc CLI runs with (bin/memarc.js, package.json scripts). Benchmarks run
 * their measured children with the same flags, so their figures are the CLI's; `--v8-default`
 * on a benchmark's command line measures Node's defaults instead.
 */
export const CLI_V8_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=25'];

export function childV8Flags(argv: string[]): string[] {
  return argv.includes('--v8-default') ? [] : CLI_V8_FLAGS;
}

/**
 * The malloc settings on the bin's shebang (glibc: one arena, blocks of 128 KiB and more from
 * mmap), for measured children that run Node directly; `--v8-default` leaves them out too.
 */
export const CLI_MALLOC_ENV = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' };

export function childEnv(argv: string[]): NodeJS.ProcessEnv {
  return argv.includes('--v8-default') ? process.env : { ...process.env, ...CLI_MALLOC_ENV };
}
