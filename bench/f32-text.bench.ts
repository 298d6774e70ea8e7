/**
 * float32 vectors as decimal text: what an upsert body costs to write (src/adapters/qdrant/f32-text.ts
 * against JSON.stringify of the values, what the upserts sent before), and what the emulator's
 * benchmark form costs to print (JSON.stringify of a plain array against Float32Array's join).
 * 2,000 random 768-dim vectors, components of a unit vector's size; ns and bytes a number, the
 * median of 5 rounds.
 *
 *   node bench/f32-text.bench.ts          the timings
 *   node bench/f32-text.bench.ts --all    also checks every one of the 2^32 bit patterns: each
 *                                         finite one must read back as itself (about 15 minutes)
 */
import { parseArgs } from 'node:util';
import { writeF32, writeVector, vectorTextMax } from '../src/adapters/qdrant/f32-text.ts';
import { encodeF32 } from '../src/format/records.ts';

const { values } = parseArgs({ options: { all: { type: 'boolean', default: false } } });
const N = 2000;
const DIM = 768;

const vectors = Array.from({ length: N }, () => Float32Array.from({ length: DIM }, () => (Math.random() * 2 - 1) / 27));
const b64 = vectors.map(encodeF32);
const numbers = N * DIM;

function measure(name: string, run: () => number): void {
  const ns: number[] = [];
  let bytes = 0;
  for (let round = 0; round < 6; round++) {
    const t = performance.now();
    bytes = run();
    if (round > 0) ns.push(((performance.now() - t) * 1e6) / numbers); // round 0 warms up
  }
  ns.sort((a, b) => a - b);
  console.log(`| ${name} | ${ns[2]!.toFixed(0)} ns | ${(bytes / numbers).toFixed(1)} |`);
}

const out = Buffer.allocUnsafe(vectorTextMax(b64[0]!.length));
console.log('| how | a number | bytes a number |');
console.log('|---|---:|---:|');
measure('upsert: f32-text.ts writeVector (from base64)', () => {
  let bytes = 0;
  for (const v of b64) bytes += writeVector(v, out, 0);
  return bytes;
});
measure('upsert before, and the emulator now: JSON.stringify of the values as a plain array', () => {
  let bytes = 0;
  for (const f of vectors) {
    const plain = new Array<number>(f.length);
    for (let i = 0; i < f.length; i++) plain[i] = f[i]!;
    bytes += JSON.stringify(plain).length;
  }
  return bytes;
});
measure('emulator before: Float32Array.prototype.join', () => {
  let bytes = 0;
  for (const f of vectors) bytes += f.join(',').length + 2;
  return bytes;
});

if (values.all) {
  const bits = new Int32Array(1);
  const f = new Float32Array(bits.buffer);
  const text = Buffer.alloc(32);
  let checked = 0;
  let longest = 0;
  const bad: string[] = [];
  for (let b = 0; b < 2 ** 32; b++) {
    bits[0] = b | 0;
    const x = f[0]!;
    if (!Number.isFinite(x)) continue;
    const end = writeF32(bits[0]!, text, 0);
    longest = Math.max(longest, end);
    const s = text.toString('latin1', 0, end);
    const back = Math.fround(JSON.parse(s) as number);
    if (!Object.is(back, x) && bad.push(`${x} as ${s}`) >= 10) break;
    checked++;
  }
  console.log(`\n${checked} finite bit patterns checked, ${bad.length} not read back as themselves${bad.length ? `: ${bad.join('; ')}` : ''}; the longest text ${longest} bytes`);
}
