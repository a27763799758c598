import { checkPair } from '../detect/check-input.js';
import { totalVariationJs, totalVariationMarks } from '../simd/total-variation-simd.js';
import { NAN_DISSONANCE, NON_FINITE_OUTPUT, SUSPECT } from './gate-rows.js';

/**
 * The default detector (total variation, proposer vs one critic) and {@link screenRows} in one pass over the
 * two probability arrays: writes each row's `½ Σ |pᵢ − qᵢ|` (clamped to 1, exactly what `totalVariation.measure`
 * writes) into `out` and returns the flags that `screenRows(p, [q], out, rows, classes, tolerance)` (gate-rows.ts)
 * returns. Reading each value once instead of twice halves the engine's detect stage at large batches; from
 * 32 values per array a WebAssembly SIMD kernel halves it again (`totalVariationMarks`: the JavaScript loop
 * below that or where WebAssembly SIMD is missing; both write the same bits).
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
  const marks = totalVariationMarks(p, q, rows, classes, screenTolerance(tolerance, classes), values, range);
  return { values, flags: flagsOf(p, q, rows, classes, values, marks), min: range[0]!, max: range[1]! };
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
 * {@link measureAndScreenTotalVariation}'s flags through the JavaScript loop alone (`inside`: {@link
 * screenTolerance}), without the argument checks: what it gives where WebAssembly SIMD is missing. For tests.
 */
export function screenTotalVariationJs(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  inside: number,
  values: Float32Array,
): Uint8Array | undefined {
  return flagsOf(p, q, rows, classes, values, totalVariationJs(p, q, rows, classes, inside, values));
}

/** The flag of each row `marks` marks (see {@link rowFlag}), or undefined when none is marked. */
function flagsOf(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  values: Float32Array,
  marks: Uint8Array | undefined,
): Uint8Array | undefined {
  if (marks === undefined) return undefined;
  const flags = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) if (marks[r] !== 0) flags[r] = rowFlag(p, q, r * classes, classes, values[r]!);
  return flags;
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
