import { checkPair } from '../detect/check-input.js';
import { totalVariationSimd } from '../simd/total-variation-simd.js';
import { NAN_DISSONANCE, NON_FINITE_OUTPUT, SUSPECT } from './gate-rows.js';

/**
 * The default detector (total variation, proposer vs one critic) and {@link screenRows} in one pass over the
 * two probability arrays: writes each row's `½ Σ |pᵢ − qᵢ|` (clamped to 1, exactly what `totalVariation.measure`
 * writes) into `out` and returns the flags that `screenRows(p, [q], out, rows, classes, tolerance)` (gate-rows.ts)
 * returns. Reading each value once instead of twice halves the engine's detect stage at large batches; from
 * 32 values per array a WebAssembly SIMD kernel halves it again (the JavaScript loop where
 * WebAssembly SIMD is missing; both write the same bits).
 *
 * The row sums here are float32 in four lanes (the order of the kernel in kernels.wat), where
 * `screenRows` adds in order in float64; for a row of non-negative values the two differ by less than
 * `classes · 2⁻²⁴ · (1 + tolerance)` when the float32 sum is within the tolerance. So a row passes unflagged here
 * only when its sums are inside {@link screenTolerance} (the tolerance less four times that): a row within that
 * band of the tolerance is flagged `SUSPECT` (the validate gate then decides on it exactly) where `screenRows` may
 * pass it. Not part of the public API.
 */
export function measureAndScreenTotalVariation(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
  out?: Float32Array,
): TotalVariationScreen {
  const values = checkPair('total-variation', p, q, rows, classes, out);
  const inside = screenTolerance(tolerance, classes);
  const marks = totalVariationSimd(p, q, rows, classes, inside, values, range);
  if (marks === null) {
    const flags = screenTotalVariationJs(p, q, rows, classes, inside, values, range);
    return { values, flags, min: range[0]!, max: range[1]! };
  }
  if (marks === undefined) return { values, flags: undefined, min: range[0]!, max: range[1]! };
  const flags = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) if (marks[r] !== 0) flags[r] = rowFlag(p, q, r * classes, classes, values[r]!);
  return { values, flags, min: range[0]!, max: range[1]! };
}

/** What {@link measureAndScreenTotalVariation} found. */
export interface TotalVariationScreen {
  /** Each row's total variation. */
  readonly values: Float32Array;
  /** Each row's flag (see `screenRows`), or undefined when no row is flagged. */
  readonly flags: Uint8Array | undefined;
  /** The smallest and the largest of `values` when no row is flagged (±Infinity for no rows), else NaN. */
  readonly min: number;
  readonly max: number;
}

/** The kernel's or the loop's range of values, read right after the call that wrote it. */
const range = new Float64Array(2);

/**
 * The tolerance a row's four-lane float32 sums must be inside to pass the screen unflagged:
 * `tolerance − classes · 2⁻²² · (1 + tolerance)`, as a float32 (what the kernel compares with).
 */
export function screenTolerance(tolerance: number, classes: number): number {
  return Math.fround(tolerance - classes * 2 ** -22 * (1 + tolerance));
}

/**
 * The JavaScript loop of {@link measureAndScreenTotalVariation} (`inside`: {@link screenTolerance}), apart from
 * the argument checks, in the kernel's float32 four-lane order (kernels.wat): both write the same
 * bits and flag the same rows (a value with its sign bit set, -0 included, flags its row). With `range`, writes
 * there the smallest and the largest value written when no row is flagged, else NaN, as the kernel does. Exported
 * for tests.
 */
export function screenTotalVariationJs(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  inside: number,
  values: Float32Array,
  range?: Float64Array,
): Uint8Array | undefined {
  const f = Math.fround;
  let flags: Uint8Array | undefined;
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
    (flags ??= new Uint8Array(rows))[r] = rowFlag(p, q, o, classes, tv);
  }
  if (range !== undefined) {
    range[0] = flags === undefined ? min : NaN;
    range[1] = flags === undefined ? max : NaN;
  }
  return flags;
}

/** True when `v`'s sign bit is set and it is a number: negative, or -0 (the kernel's test, NaN aside). */
function signed(v: number): boolean {
  return v < 0 || (v === 0 && 1 / v < 0);
}

/** The flag of a row that is not the common one: its outputs not finite, else its dissonance NaN, else suspect. */
function rowFlag(p: Float32Array, q: Float32Array, offset: number, classes: number, tv: number): number {
  let sumP = 0;
  let sumQ = 0;
  for (let i = offset; i < offset + classes; i++) {
    sumP += p[i]!;
    sumQ += q[i]!;
  }
  // A float64 sum of float32 values cannot overflow: it is finite exactly when every value is.
  return sumP - sumP !== 0 || sumQ - sumQ !== 0 ? NON_FINITE_OUTPUT : tv !== tv ? NAN_DISSONANCE : SUSPECT;
}
