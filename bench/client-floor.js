/**
 * The memory floor of an HTTP client in Node: a process that makes 50 small requests to a server
 * of its own, with fetch (undici, built into Node) or with node:http, and prints its peak RSS.
 * Each client runs in its own child process with the CLI's V8 flags and malloc settings, twice.
 * Why the Qdrant client is on node:http (src/adapters/qdrant/http.ts; bench/RESULTS.md, "Session 7").
 *
 *   node bench/client-floor.js
 *
 * Plain JavaScript, so that Node's TypeScript stripper is not in the children's figures (the
 * parent reads the CLI's flags from bench/v8-flags.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const which = process.argv[2];
if (which === 'fetch' || which === 'http') {
  const srv = http.createServer((_q, r) => r.end('{"result":1}')).listen(0, '127.0.0.1');
  await new Promise((r) => srv.on('listening', r));
  const url = `http://127.0.0.1:${srv.address().port}/`;
  for (let i = 0; i < 50; i++) {
    if (which === 'fetch') await (await fetch(url)).text();
    else await new Promise((res, rej) => http.get(url, (r) => r.resume().on('end', res).on('error', rej)).on('error', rej));
  }
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
  console.log(Math.round(Number(hwm) / 1024));
  srv.close();
} else {
  // Only this parent loads the TypeScript module; the measured children never do.
  const { CLI_V8_FLAGS: flags, CLI_MALLOC_ENV } = await import('./v8-flags.ts');
  const env = { ...process.env, ...CLI_MALLOC_ENV };
  console.log(`Peak RSS of a Node ${process.version} process making 50 requests (the CLI's flags: ${flags.join(' ')})\n`);
  console.log('| client | run 1 | run 2 |');
  console.log('|---|---:|---:|');
  for (const client of ['fetch', 'http']) {
    const runs = [0, 1].map(() => spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), client], { env, encoding: 'utf8' }).stdout.trim());
    console.log(`| ${client === 'fetch' ? 'fetch (undici)' : 'node:http'} | ${runs[0]} MiB | ${runs[1]} MiB |`);
  }
}
