/**
 * The WebAssembly module of vector-text.as.ts (compiled into vector-text.wasm.ts by `npm run
 * build:wasm`): a read-back point's vector read from its text into float32s (point-scan.ts), and
 * float32s written as an upsert body's text (f32-text.ts). One instance, made on first use; its
 * memory is scratch space from `base()` on, grown to what a call needs and never shrunk (one
 * vector's text, a few tens of KB, in the common case).
 *
 * Both uses copy their input into the module's memory and their output out of it: a few
 * microseconds a vector against the tens its numbers take in JavaScript (bench/RESULTS.md,
 * "Session 16").
 */
import { WASM_BASE64 } from './vector-text.wasm.ts';

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export interface VectorText {
  /** The first byte of scratch space (16-aligned). */
  base(): number;
  scanPoint(t: number, n: number, out: number, cap: number): number;
  start(): number;
  end(): number;
  numbers(): number;
  writeF32s(src: number, n: number, dst: number): number;
}

const PAGE = 65536;
type Instance = VectorText & { memory: { buffer: ArrayBuffer; grow(pages: number): number } };
let instance: Instance | null = null;
let view = Buffer.alloc(0);

function module(): Instance {
  if (instance === null) {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const m = new api.Module(Buffer.from(WASM_BASE64, 'base64'));
    instance = new api.Instance(m, { env: { abort: () => { throw new Error('vector-text: abort'); } } }).exports as Instance;
    view = Buffer.from(instance.memory.buffer);
  }
  return instance;
}

/** The module, with at least `bytes` bytes of memory after `base()`; `memory()` is valid until the next call. */
export function vectorText(bytes: number): VectorText {
  const w = module();
  const need = w.base() + bytes;
  if (need > view.length) {
    w.memory.grow(Math.ceil((need - view.length) / PAGE));
    view = Buffer.from(w.memory.buffer);
  }
  return w;
}

/** The module's memory as a Buffer (a new view after it grows). */
export function memory(): Buffer {
  return view;
}
