/**
 * The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
 * empty directory, then `npx memarc --help`, a TypeScript consumer type-checked against the
 * shipped declarations, and the same consumer run. Offline: the consumer's lockfile is the
 * project's lockfile minus its dev packages, so the tarballs come from the npm cache that `npm ci`
 * filled, and a runtime import of a dev-only package would fail here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.ts';

const run = promisify(execFile);
let dir: string;
let tarball: string;
let files: string[];
// Node 24 of the project first on PATH, for npm, npx and the bin's `env node`.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, npm_config_update_notifier: 'false' };

interface Lock {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean; [k: string]: unknown }>;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'memarc-pack-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env, maxBuffer: 16 << 20 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(dir, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);

  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
  const integrity = `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`;
  const packages: Lock['packages'] = {
    '': { name: 'consumer', dependencies: { memarc: `file:${tarball}` } },
    'node_modules/memarc': { version: pkg.version, resolved: `file:${tarball}`, integrity, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev || entry.devOptional || entry.link) continue;
    packages[key] = entry;
  }
  const app = path.join(dir, 'app');
  await mkdir(app);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { memarc: `file:${tarball}` } }));
  await writeFile(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the built library and the bin, not the sources or tests', () => {
    for (const f of ['bin/memarc.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'package.json', 'spec/FORMAT.md']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('npx memarc --help runs the compiled CLI from the installed package', async () => {
    const r = await run('npx', ['--offline', 'memarc', '--help'], { cwd: path.join(dir, 'app'), env });
    expect(r.stdout).toContain('Usage: memarc');
    for (const cmd of ['export', 'import', 'verify', 'inspect', 'migrate', 'ls', 'prune']) expect(r.stdout).toContain(cmd);
  });

  it('the installed bin runs with the malloc settings and V8 flags of its shebang', async () => {
    // A preload reports what the bin's process really got: its environment and V8 flags.
    const probe = path.join(dir, 'probe.mjs');
    const report = path.join(dir, 'probe.json');
    await writeFile(probe, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(report)}, JSON.stringify({ arena: process.env.MALLOC_ARENA_MAX ?? null, mmap: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, execArgv: process.execArgv }));\n`);
    const bin = path.join(dir, 'app/node_modules/.bin/memarc');
    const r = await run(bin, ['--version'], { env: { ...env, NODE_OPTIONS: `--import=${probe}` } });
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const got = JSON.parse(await readFile(report, 'utf8')) as { arena: string | null; mmap: string | null; execArgv: string[] };
    expect(got).toEqual({ arena: '1', mmap: '131072', execArgv: ['--max-semi-space-size=2', '--heap-growing-percent=25'] });
  });

  it('import { exportArchive, importArchive, verifyArchive } from "memarc" type-checks and runs', async () => {
    const app = path.join(dir, 'app');
    await writeFile(
      path.join(app, 'index.ts'),
      `import { exportArchive, importArchive, verifyArchive, syntheticSource, memorySink, MemarcError, type ArchiveSummary } from 'memarc';
import { createReadStream, createWriteStream } from 'node:fs';

const { trailer } = await exportArchive({ sources: [syntheticSource({ count: 10, dim: 4 })], output: createWriteStream('x.memarc') });
const summary: ArchiveSummary = await verifyArchive(createReadStream('x.memarc'));
const back = await importArchive({ input: createReadStream('x.memarc'), sink: memorySink() });
const usage: number = new MemarcError('USAGE', 'x').exitCode;
console.log(JSON.stringify({ records: trailer.totals.records, verified: summary.trailer.totals.records, datasets: back.datasets.length, usage }));
`,
    );
    // One tsc run over the consumer and a file with a deliberate type error: the check can fail,
    // and the only error it reports is that one (so index.ts and the shipped .d.ts are clean).
    await writeFile(path.join(app, 'bad.ts'), `import { verifyArchive } from 'memarc';\nconst n: string = await verifyArchive(process.stdin);\nexport { n };\n`);
    const compilerOptions = { target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] };
    await writeFile(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts', 'bad.ts'] }));
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const out = await run(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: app, env }).then(() => '', (e: { stdout: string }) => e.stdout);
    const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors, out).toHaveLength(1);
    expect(errors[0]).toMatch(/^bad\.ts\(2,7\): error TS2322: .*not assignable to type 'string'/);

    const r = await run(process.execPath, ['index.ts'], { cwd: app, env });
    expect(JSON.parse(r.stdout)).toEqual({ records: 40, verified: 40, datasets: 2, usage: 2 });
  });
});
