#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2 --heap-growing-percent=25
// memarc allocates many short-lived strings of a few KiB (NDJSON lines, base64 vectors); a small
// young generation keeps peak RSS flat as archives grow, and an old generation grown by only 25%
// over what survived each major collection (instead of up to 4x) keeps its garbage from filling
// the heap between collections (bench/RESULTS.md, "V8 flags" and "The whole job").
// glibc's malloc (Linux) gets one arena rather than one per thread, and serves blocks of 128 KiB
// and more (shard buffers, zlib and HTTP bodies) straight from mmap, so they go back to the system
// when freed instead of staying in the arenas: the whole job's peak RSS fell by 15-25 MiB (bench/
// RESULTS.md, "The whole job"). Other C libraries ignore both variables. They are set here, on the
// command line of `env`, because malloc reads them once, before any JavaScript runs.
// In a checkout it runs the TypeScript sources (Node >= 22.18 strips types), so a stale dist/ is
// never run by mistake; an installed package ships no src/ and runs the compiled dist/ (Node
// refuses to strip types under node_modules).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
await import(existsSync(fileURLToPath(source)) ? source.href : compiled.href);
