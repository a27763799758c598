import { decodeBase64 } from '../util/base64.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** Values per call into the kernel: its memory is one 64 KiB page, never grown (no view is ever detached). */
const CHUNK = 16384;
/** Below this many values the JavaScript loop is as fast as copying into the kernel's memory. */
export const KERNEL_FROM = 512;

/** One instance of the kernels: its own memory (one 64 KiB page to start) and the scan over it. */
export interface KernelInstance {
  readonly memory: WebAssembly.Memory;
  /** 1 when any of the `count` float32 at `byteOffset` of {@link memory} is NaN or ±Infinity, else 0. */
  readonly nonFinite: (byteOffset: number, count: number) => number;
  /**
   * Total variation of `rows` pairs of probability rows of `classes` float32 at byte offsets `p` and `q` of
   * {@link memory}: writes each row's `min(1, ½ Σ |pᵢ − qᵢ|)` as float32 at `out`, and a byte at `flags` (1: a
   * value with its sign bit set, a sum off 1 by more than `tolerance`, or a NaN distance; else 0), then the
   * smallest and the largest value written at the next multiple of 4. Returns the rows flagged. Float32 in four
   * lanes, in the order `totalVariationJs` (total-variation-simd.ts) follows.
   */
  readonly totalVariation: (
    p: number,
    q: number,
    rows: number,
    classes: number,
    tolerance: number,
    out: number,
    flags: number,
  ) => number;
}

interface Kernels {
  readonly scratch: Float32Array;
  nonFinite(byteOffset: number, count: number): number;
}

let kernels: Kernels | null | undefined;
let compiled: WebAssembly.Module | null | undefined;

/**
 * A new instance of the WebAssembly SIMD kernels (the module is compiled on first use); null where WebAssembly or
 * its SIMD is unavailable (an old engine, or a page whose Content-Security-Policy forbids WebAssembly), or where
 * no memory can be had for another instance: callers then use plain JavaScript.
 */
export function newKernelInstance(): KernelInstance | null {
  if (compiled === undefined) {
    compiled = null;
    try {
      compiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as Uint8Array<ArrayBuffer>);
    } catch {
      // No WebAssembly SIMD here.
    }
  }
  if (compiled === null) return null;
  try {
    return new WebAssembly.Instance(compiled, {}).exports as unknown as KernelInstance;
  } catch {
    return null;
  }
}

/** The kernels' shared instance (its memory is the chunked scan's scratch), or null as {@link newKernelInstance}. */
function loadKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  const instance = newKernelInstance();
  kernels =
    instance === null
      ? null
      : { scratch: new Float32Array(instance.memory.buffer, 0, CHUNK), nonFinite: instance.nonFinite };
  return kernels;
}

/**
 * True when any value of `x` is NaN or ±Infinity. Large arrays go through a WebAssembly SIMD kernel in chunks of
 * 16,384 values (about 3× the JavaScript loop's speed, copy included); small ones, or every one where WebAssembly
 * SIMD is unavailable, through a branch-free JavaScript loop. Both give the same answer for every input.
 */
export function anyNonFinite(x: Float32Array): boolean {
  const n = x.length;
  const k = n >= KERNEL_FROM ? loadKernels() : null;
  if (k === null) return anyNonFiniteJs(x);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    k.scratch.set(start === 0 && end === n ? x : x.subarray(start, end));
    if (k.nonFinite(0, end - start) !== 0) return true;
  }
  return false;
}

/**
 * The index of the first NaN or ±Infinity in `x`, or -1: one {@link anyNonFinite} pass, and a second, stopping at
 * the value, only when there is one (what an input check needs to name the row and column).
 */
export function firstNonFinite(x: Float32Array): number {
  if (!anyNonFinite(x)) return -1;
  // v − v is 0 for every finite v and NaN for NaN and ±Infinity.
  for (let i = 0; i < x.length; i++) if (x[i]! - x[i]! !== 0) return i;
  return -1;
}

/** {@link anyNonFinite} in plain JavaScript: `v * 0` is 0 for finite `v` and NaN otherwise, summed in four lanes. */
export function anyNonFiniteJs(x: Float32Array): boolean {
  const n = x.length;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a0 += x[i]! * 0;
    a1 += x[i + 1]! * 0;
    a2 += x[i + 2]! * 0;
    a3 += x[i + 3]! * 0;
  }
  for (; i < n; i++) a0 += x[i]! * 0;
  return a0 + a1 + a2 + a3 !== 0;
}

/** Whether {@link anyNonFinite} runs its WebAssembly SIMD kernel here (for benchmarks and diagnostics). */
export function simdKernelsAvailable(): boolean {
  return loadKernels() !== null;
}
