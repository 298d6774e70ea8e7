/**
 * Hostile-archive benchmark (bench/RESULTS.md, "Hostile archives"): the peak RSS of reading each
 * archive of fixtures/hostile.ts (at or past a default reader limit), each read in its own child
 * process, and how `verify` time grows with the number of datasets. Every figure is measured in
 * this run:
 *
 * - `verify` and `inspect --json` through the CLI (src/cli/main.ts, with the CLI's V8 flags);
 * - `read`: the library reader handing every record on and dropping it (what a dry-run import
 *   does to the archive), through readArchive in a child;
 * - datasets: `verify` of N one-point datasets; linear means time per dataset stays flat.
 *
 *   node bench/hostile.bench.ts [--scale 1] [--cases huge-line,raw-shard] [--datasets 10000,20000,40000] [--v8-default]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileCases, manyDatasets } from '../fixtures/hostile.ts';
import { readArchive } from '../src/format/reader.ts';
import { childV8Flags } from './v8-flags.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const CLI = path.join(ROOT, 'src/cli/main.ts');
const args = process.argv.slice(2);
const arg = (name: string, dflt?: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/**
 * Printed by every child at exit: its peak RSS (KiB), VmHWM from /proc. Not
 * process.resourceUsage().maxRSS: on Linux that survives execve, so a child reports at least the
 * RSS its parent had when it spawned it (here, the archive just built).
 */
const PROBE = `data:text/javascript,import fs from "node:fs";process.on("exit",()=>{let k=process.resourceUsage().maxRSS;try{k=Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/status","utf8"))[1])}catch{}process.stderr.write("\\nMAXRSS "+k+"\\n")})`;

interface Run {
  code: number | null;
  seconds: number;
  rssMiB: number;
  error: string;
}

function run(argv: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...childV8Flags(args), '--import', PROBE, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  const error = /error ([A-Z_]+)/.exec(r.stderr)?.[1] ?? (/internal error/.test(r.stderr) ? 'INTERNAL' : '');
  return { code: r.status, seconds, rssMiB: m ? Number(m[1]) / 1024 : NaN, error };
}

/** Child mode: read an archive as an import does (every record handed on), keeping nothing. */
async function readChild(file: string): Promise<void> {
  let records = 0;
  try {
    for await (const ev of readArchive(createReadStream(file, { highWaterMark: 1 << 20 }))) if (ev.type === 'records') records += ev.records.length;
    process.stdout.write(`read ${records} records\n`);
  } catch (err) {
    process.stderr.write(`memarc: error ${(err as { code?: string }).code ?? 'INTERNAL'}: ${(err as Error).message.slice(0, 200)}\n`);
    process.exitCode = 9;
  }
}

const mib = (n: number) => n.toFixed(0);

async function main(): Promise<void> {
  if (args[0] === '--child-read') return readChild(args[1]!);
  const scale = Number(arg('scale', '1'));
  const only = arg('cases')?.split(',');
  const counts = (arg('datasets', '10000,20000,40000') ?? '').split(',').filter(Boolean).map(Number);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memarc-hostile-'));
  const golden = readFileSync(path.join(ROOT, 'fixtures/v1/golden.memarc'));
  try {
    console.log(`Node ${process.version}, ${os.cpus().length} cores, V8 flags: ${childV8Flags(args).join(' ') || '(defaults)'}, scale ${scale}\n`);
    console.log('| case | archive | expected | verify (exit, code) | verify s | verify RSS MiB | inspect RSS MiB | read (import path) RSS MiB |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const c of hostileCases(golden, scale)) {
      if (only && !only.includes(c.name)) continue;
      const file = path.join(dir, `${c.name}.memarc`);
      const bytes = await c.build();
      await writeFile(file, bytes);
      const v = run([CLI, 'verify', file]);
      const i = run([CLI, 'inspect', '--json', file]);
      const r = run([SELF, '--child-read', file]);
      console.log(`| ${c.name} | ${(bytes.length / 1048576).toFixed(1)} MiB | ${c.expect} | ${v.code}, ${v.error || 'OK'} | ${v.seconds.toFixed(1)} | ${mib(v.rssMiB)} | ${mib(i.rssMiB)} | ${mib(r.rssMiB)}${r.error ? ` (${r.error})` : ''} |`);
      await rm(file);
    }
    if (counts.length) {
      // The same run's baseline: verify of the golden archive (3 datasets), i.e. the CLI's start-up.
      const base = run([CLI, 'verify', path.join(ROOT, 'fixtures/v1/golden.memarc')]).seconds;
      console.log(`\nBaseline (same run): verify of the golden archive ${base.toFixed(2)} s, subtracted below.\n`);
      console.log('| datasets | archive | verify s | per dataset ms (start-up subtracted) | ratio to the first row | verify RSS MiB |');
      console.log('|---|---|---|---|---|---|');
      let first = 0;
      for (const n of counts) {
        const file = path.join(dir, `datasets-${n}.memarc`);
        const bytes = await manyDatasets(n);
        await writeFile(file, bytes);
        const v = run([CLI, 'verify', file]);
        if (v.code !== 0) throw new Error(`verify of ${n} datasets exited ${v.code} (${v.error})`);
        const per = ((v.seconds - base) * 1000) / n;
        first ||= per;
        console.log(`| ${n} | ${(bytes.length / 1048576).toFixed(0)} MiB | ${v.seconds.toFixed(1)} | ${per.toFixed(3)} | ${(per / first).toFixed(2)} | ${mib(v.rssMiB)} |`);
        await rm(file);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
