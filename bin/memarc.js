#!/usr/bin/env -S node --max-semi-space-size=2
// memarc allocates many short-lived strings of a few KiB (NDJSON lines, base64 vectors); a small
// young generation keeps peak RSS flat as archives grow (bench/RESULTS.md, "V8 flags").
// Runs the compiled CLI when the package is installed; in a checkout (Node >= 22.18 strips types)
// it falls back to the TypeScript sources.
import { existsSync } from 'node:fs';
const compiled = new URL('../dist/cli/main.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
