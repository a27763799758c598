import { newKernelInstance, type KernelInstance } from './non-finite.js';

const PAGE_BYTES = 65536;
/** The kernel's memory (256 KiB, never more): larger batches go through it in chunks of rows. */
const MEMORY_BYTES = 4 * PAGE_BYTES;

/**
 * From this many values per array (rows × classes) the kernel is faster than JavaScript, its copies included
 * (measured with 10 classes: 0.15 against 0.22 µs at 4 rows, 0.13 against 0.09 µs at one row).
 */
export const TOTAL_VARIATION_SIMD_FROM = 32;

/** Undefined until first use; null where WebAssembly SIMD or its memory is unavailable. */
let instance: KernelInstance | null | undefined;
/** The kernel's whole memory as float32 (it never grows once loaded). */
let kernelFloats: Float32Array | undefined;

function load(): KernelInstance | null {
  if (instance !== undefined) return instance;
  instance = newKernelInstance();
  if (instance !== null) {
    try {
      instance.memory.grow(MEMORY_BYTES / PAGE_BYTES - instance.memory.buffer.byteLength / PAGE_BYTES);
      kernelFloats = new Float32Array(instance.memory.buffer);
    } catch {
      instance = null;
    }
  }
  return instance;
}

/**
 * Total variation over `rows` pairs of probability rows through the WebAssembly SIMD kernel (`totalVariation` in
 * kernels.wat): writes each row's `min(1, ½ Σ |pᵢ − qᵢ|)` into `values`, bit for bit what the JavaScript loops of
 * total-variation.ts and screen-total-variation.ts write. Returns, per row, 1 where the row is not the common one
 * (a value with its sign bit set, `|Σ p − 1|` or `|Σ q − 1|` above `tolerance`, or a NaN distance), or undefined when no row is
 * flagged; null (nothing written) below {@link TOTAL_VARIATION_SIMD_FROM} values per array, where the kernel is
 * unavailable, or where one row does not fit its memory: the caller then runs its JavaScript loop. When it
 * returns non-null and `range` is given, `range[0]` and `range[1]` hold the smallest and the largest value written
 * when no row is flagged, else NaN. The arguments are not checked: callers check them first. Not part of the
 * public API.
 */
export function totalVariationSimd(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
  values: Float32Array,
  range?: Float64Array,
): Uint8Array | undefined | null {
  if (rows * classes < TOTAL_VARIATION_SIMD_FROM) return null;
  const kernel = load();
  // Per row: two probability rows in, a value and a flag byte out; then the chunk's smallest and largest value.
  const chunkRows = Math.floor((MEMORY_BYTES - 12) / (8 * classes + 5));
  if (kernel === null || chunkRows === 0) return null;
  let marks: Uint8Array | undefined;
  let min = Infinity;
  let max = -Infinity;
  const floats = kernelFloats!;
  for (let start = 0; start < rows; start += chunkRows) {
    const count = Math.min(chunkRows, rows - start);
    const n = count * classes;
    const from = start * classes;
    // The common batch is one chunk of whole arrays: no views to make then.
    floats.set(from === 0 && n === p.length ? p : p.subarray(from, from + n), 0);
    floats.set(from === 0 && n === q.length ? q : q.subarray(from, from + n), n);
    const flagsAt = n * 8 + count * 4;
    const flagged = kernel.totalVariation(0, n * 4, count, classes, tolerance, n * 8, flagsAt);
    values.set(floats.subarray(2 * n, 2 * n + count), start);
    if (flagged > 0) (marks ??= new Uint8Array(rows)).set(new Uint8Array(kernel.memory.buffer, flagsAt, count), start);
    if (range !== undefined) {
      const at = (flagsAt + count + 3) >> 2;
      min = Math.min(min, floats[at]!);
      max = Math.max(max, floats[at + 1]!);
    }
  }
  if (range !== undefined) {
    range[0] = marks === undefined ? min : NaN;
    range[1] = marks === undefined ? max : NaN;
  }
  return marks;
}
