/**
 * The V8 flags and malloc settings the memarc CLI runs with, read from the one place that sets
 * them: the shebang of bin/memarc.js (`#!/usr/bin/env -S NAME=value … node --flag …`).
 * Benchmarks run their measured children with the same, so their figures are the CLI's;
 * `--v8-default` on a benchmark's command line measures Node's and glibc's defaults instead.
 */
import { readFileSync } from 'node:fs';

const SHEBANG = readFileSync(new URL('../bin/memarc.js', import.meta.url), 'utf8').split('\n')[0]!;
const WORDS = SHEBANG.replace(/^#!\S*env -S /, '').split(/\s+/);

export const CLI_V8_FLAGS = WORDS.filter((w) => w.startsWith('--'));

/** glibc: one arena, blocks of 128 KiB and more from mmap (the shebang's NAME=value words). */
export const CLI_MALLOC_ENV: Record<string, string> = Object.fromEntries(WORDS.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=', 2) as [string, string]));

export function childV8Flags(argv: string[]): string[] {
  return argv.includes('--v8-default') ? [] : CLI_V8_FLAGS;
}

export function childEnv(argv: string[]): NodeJS.ProcessEnv {
  return argv.includes('--v8-default') ? process.env : { ...process.env, ...CLI_MALLOC_ENV };
}
