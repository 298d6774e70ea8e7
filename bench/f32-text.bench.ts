/**
 * float32 vectors as decimal text: what an upsert body costs to write (src/adapters/qdrant/f32-text.ts
 * against JSON.stringify of the values, what the upserts sent before), and what the emulator's
 * benchmark form costs to print (JSON.stringify of a plain array against Float32Array's join).
 * 2,000 random 768-dim vectors, components of a unit vector's size; ns and bytes a number, the
 * median of 5 rounds.
 *
 *   node bench/f32-text.bench.ts          the timings
 *   node bench/f32-text.bench.ts --all    also checks every one of the 2^32 bit patterns: each
 *                                         finite one must read back as itself, and the upserts'
 *                                         writer (WebAssembly, writeF32s) must write each as the
 *                                         JavaScript writeF32 does (about 20 minutes)
 */
import { parseArgs } from 'node:util';
import { F32_TEXT_MAX, writeF32, writeF32s, writeVector, vectorTextMax } from '../src/adapters/qdrant/f32-text.ts';
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
/** The JSON array text of the float32s whose bits are `bits`, by the JavaScript writeF32, at `to[0]`; its length. */
function referenceText(bits: Int32Array, to: Buffer): number {
  let at = 0;
  to[at++] = 91;
  for (let i = 0; i < bits.length; i++) {
    if (i > 0) to[at++] = 44;
    at = writeF32(bits[i]!, to, at);
  }
  to[at++] = 93;
  return at;
}

const ints = vectors.map((v) => new Int32Array(v.buffer));
measure('the same text by the JavaScript writeF32, the reference (the upserts before session 16)', () => {
  let bytes = 0;
  for (const v of ints) bytes += referenceText(v, out);
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
  // The upserts' writer (WebAssembly) against writeF32, 65,536 patterns at a time.
  const block = new Int32Array(65536);
  const wasmText = Buffer.alloc(block.length * F32_TEXT_MAX + 2);
  const jsText = Buffer.alloc(block.length * F32_TEXT_MAX + 2);
  let differ = 0;
  for (let hi = 0; hi < 65536; hi++) {
    for (let lo = 0; lo < 65536; lo++) block[lo] = (hi << 16) | lo;
    const end = writeF32s(block, wasmText, 0);
    const at = referenceText(block, jsText);
    if (end !== at || !wasmText.subarray(0, end).equals(jsText.subarray(0, at))) differ++;
  }
  console.log(`the upserts' writer (WebAssembly) and writeF32 differ in ${differ} of 65536 blocks of 65,536 bit patterns`);
  console.log(`\n${checked} finite bit patterns checked, ${bad.length} not read back as themselves${bad.length ? `: ${bad.join('; ')}` : ''}; the longest text ${longest} bytes`);
}
