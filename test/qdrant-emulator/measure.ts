/**
 * Measures the emulator with memarc-sized traffic (not a test): upserts N points of D dims in
 * batches of 256 from two parallel writers, then scrolls them back in pages of 256 with vectors.
 *   node test/qdrant-emulator/measure.ts [points=100000] [dims=768] [--double-floats]
 * The emulator runs in a child process, as a real server would.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const points = Number(process.argv[2] ?? 100_000);
const dims = Number(process.argv[3] ?? 768);
const BATCH = 256;

const child = spawn(process.execPath, [fileURLToPath(new URL('./main.ts', import.meta.url)), '--port', '0', ...process.argv.slice(4)], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const url = line.toString().trim();

const call = async (method: string, path: string, body?: string): Promise<any> => {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

await call('PUT', '/collections/bench', JSON.stringify({ vectors: { size: dims, distance: 'Cosine' } }));
const batches: string[] = [];
for (let start = 0; start < points; start += BATCH) {
  const list = [];
  for (let id = start; id < Math.min(points, start + BATCH); id++) {
    list.push({ id, vector: Array.from({ length: dims }, () => Math.random() - 0.5), payload: { id, text: `memory ${id}` } });
  }
  batches.push(JSON.stringify({ points: list }));
}
const bytes = batches.reduce((n, b) => n + b.length, 0);
let next = 0;
const t0 = performance.now();
const writer = async (): Promise<void> => {
  while (next < batches.length) await call('PUT', '/collections/bench/points?wait=true', batches[next++]);
};
await Promise.all([writer(), writer()]);
const upsertS = (performance.now() - t0) / 1000;

const t1 = performance.now();
let offset: unknown = null;
let seen = 0;
let received = 0;
do {
  const res = await fetch(`${url}/collections/bench/points/scroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ limit: BATCH, offset, with_vector: true, with_payload: true }),
  });
  const text = await res.text();
  received += text.length;
  const { result } = JSON.parse(text);
  seen += result.points.length;
  offset = result.next_page_offset;
} while (offset !== null);
const scrollS = (performance.now() - t1) / 1000;

const rss = Number((await import('node:fs')).readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
console.log(JSON.stringify({
  points, dims,
  upsert: { seconds: +upsertS.toFixed(2), pointsPerS: Math.round(points / upsertS), MBps: +(bytes / 1e6 / upsertS).toFixed(1) },
  scroll: { seconds: +scrollS.toFixed(2), pointsPerS: Math.round(seen / scrollS), MBps: +(received / 1e6 / scrollS).toFixed(1), seen },
  serverRssMiB: Math.round(rss),
}));
child.kill('SIGTERM');
