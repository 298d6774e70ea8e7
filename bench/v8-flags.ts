/**
 * The V8 flags the memarc CLI runs with (bin/memarc.js, package.json scripts). Benchmarks run
 * their measured children with the same flags, so their figures are the CLI's; `--v8-default`
 * on a benchmark's command line measures Node's defaults instead.
 */
export const CLI_V8_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=25'];

export function childV8Flags(argv: string[]): string[] {
  return argv.includes('--v8-default') ? [] : CLI_V8_FLAGS;
}
