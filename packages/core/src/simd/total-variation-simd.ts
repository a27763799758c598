import { newKernelInstance, type KernelInstance } from './non-finite.js';

const PAGE_BYTES = 65536;
/** The kernel's memory (256 KiB, never more): larger batches go through it in chunks of rows. */
const MEMORY_BYTES = 4 * PAGE_BYTES;

/**
 * From this many values per array (rows × classes) the kernel runs, its copies included (`bench/inference/
 * detect-kernel.ts` times both: with 10 classes the kernel is the faster from 4 rows).
 */
export const TOTAL_VARIATION_SIMD_FROM = 32;

/** The kernel and its whole memory as float32 (it never grows once loaded); null where either is unavailable. */
interface Loaded {
  readonly kernel: KernelInstance;
  readonly floats: Float32Array;
}

/** Undefined until first use. */
let loaded: Loaded | null | undefined;

function load(): Loaded | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const kernel = newKernelInstance();
  if (kernel === null) return null;
  try {
    kernel.memory.grow(MEMORY_BYTES / PAGE_BYTES - kernel.memory.buffer.byteLength / PAGE_BYTES);
    loaded = { kernel, floats: new Float32Array(kernel.memory.buffer) };
  } catch {
    // No memory for it: the JavaScript loop serves.
  }
  return loaded;
}

/**
 * Total variation over `rows` pairs of probability rows: writes each row's `min(1, ½ Σ |pᵢ − qᵢ|)` into `values`.
 * Returns, per row, 1 where the row is not the common one (a value with its sign bit set, `|Σ p − 1|` or
 * `|Σ q − 1|` above `tolerance`, or a NaN distance), or undefined when no row is flagged. With `range`,
 * `range[0]` and `range[1]` receive the smallest and the largest value written when no row is flagged, else NaN.
 * From {@link TOTAL_VARIATION_SIMD_FROM} values per array it runs the WebAssembly SIMD kernel (`totalVariation` in
 * kernels.wat), else (or where the kernel is unavailable) {@link totalVariationJs}: both write the same bits. The
 * arguments are not checked: callers check them first. Not part of the public API.
 */
export function totalVariationMarks(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
  values: Float32Array,
  range?: Float64Array,
): Uint8Array | undefined {
  // Not `??`: undefined (no row marked) is the kernel's answer, only null sends the batch to the loop.
  const marks = totalVariationSimd(p, q, rows, classes, tolerance, values, range);
  return marks !== null ? marks : totalVariationJs(p, q, rows, classes, tolerance, values, range);
}

/**
 * {@link totalVariationMarks} through the kernel; null (nothing written) below {@link TOTAL_VARIATION_SIMD_FROM}
 * values per array, where the kernel is unavailable, or where one row does not fit its memory.
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
  // Per row: two probability rows in, a value and a flag byte out; then the chunk's smallest and largest value.
  const chunkRows = Math.floor((MEMORY_BYTES - 12) / (8 * classes + 5));
  const memory = load();
  if (memory === null || chunkRows === 0) return null;
  const { kernel, floats } = memory;
  let marks: Uint8Array | undefined;
  let min = Infinity;
  let max = -Infinity;
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
    const at = (flagsAt + count + 3) >> 2;
    min = Math.min(min, floats[at]!);
    max = Math.max(max, floats[at + 1]!);
  }
  setRange(range, marks, min, max);
  return marks;
}

/**
 * {@link totalVariationMarks} in JavaScript, in the kernel's float32 four-lane order: lane j takes a row's
 * classes 4m + j, a last pair goes to lanes 0 and 1 and a last class to lane 0, then (0 + 2) + (1 + 3).
 * `Math.fround` of a float64 sum or difference of two float32 values is their float32 sum or difference, so this
 * writes the kernel's bits and marks its rows (a value with its sign bit set, -0 included, marks its row).
 */
export function totalVariationJs(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
  values: Float32Array,
  range?: Float64Array,
): Uint8Array | undefined {
  const f = Math.fround;
  const inside = f(tolerance);
  let marks: Uint8Array | undefined;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    // Lane j of the sums of p, of q and of |p − q|.
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    let negative = false;
    const end = o + classes;
    let i = o;
    for (; i + 4 <= end; i += 4) {
      const a0 = p[i]!;
      const a1 = p[i + 1]!;
      const a2 = p[i + 2]!;
      const a3 = p[i + 3]!;
      const b0 = q[i]!;
      const b1 = q[i + 1]!;
      const b2 = q[i + 2]!;
      const b3 = q[i + 3]!;
      p0 = f(p0 + a0);
      p1 = f(p1 + a1);
      p2 = f(p2 + a2);
      p3 = f(p3 + a3);
      q0 = f(q0 + b0);
      q1 = f(q1 + b1);
      q2 = f(q2 + b2);
      q3 = f(q3 + b3);
      d0 = f(d0 + Math.abs(f(a0 - b0)));
      d1 = f(d1 + Math.abs(f(a1 - b1)));
      d2 = f(d2 + Math.abs(f(a2 - b2)));
      d3 = f(d3 + Math.abs(f(a3 - b3)));
      if (a0 <= 0 || a1 <= 0 || a2 <= 0 || a3 <= 0 || b0 <= 0 || b1 <= 0 || b2 <= 0 || b3 <= 0) {
        negative ||= signed(a0) || signed(a1) || signed(a2) || signed(a3);
        negative ||= signed(b0) || signed(b1) || signed(b2) || signed(b3);
      }
    }
    // A last pair goes to lanes 0 and 1, then a last single class to lane 0.
    for (let tail = 0; i < end; i++, tail++) {
      const a = p[i]!;
      const b = q[i]!;
      const d = Math.abs(f(a - b));
      if (tail === 1) {
        p1 = f(p1 + a);
        q1 = f(q1 + b);
        d1 = f(d1 + d);
      } else {
        p0 = f(p0 + a);
        q0 = f(q0 + b);
        d0 = f(d0 + d);
      }
      negative ||= signed(a) || signed(b);
    }
    const sumP = f(f(p0 + p2) + f(p1 + p3));
    const sumQ = f(f(q0 + q2) + f(q1 + q3));
    const tv = Math.min(1, f(0.5 * f(f(d0 + d2) + f(d1 + d3))));
    values[r] = tv;
    min = Math.min(min, tv);
    max = Math.max(max, tv);
    // The common row: finite, non-negative, both sums inside the tolerance (NaN fails every comparison).
    if (!negative && Math.abs(f(sumP - 1)) <= inside && Math.abs(f(sumQ - 1)) <= inside && tv === tv) continue;
    (marks ??= new Uint8Array(rows))[r] = 1;
  }
  setRange(range, marks, min, max);
  return marks;
}

/** True when `v`'s sign bit is set and it is a number: negative, or -0 (the kernel's test, NaN aside). */
function signed(v: number): boolean {
  return v < 0 || (v === 0 && 1 / v < 0);
}

function setRange(range: Float64Array | undefined, marks: Uint8Array | undefined, min: number, max: number): void {
  if (range === undefined) return;
  range[0] = marks === undefined ? min : NaN;
  range[1] = marks === undefined ? max : NaN;
}
