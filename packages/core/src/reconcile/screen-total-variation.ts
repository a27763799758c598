import { checkPair } from '../detect/check-input.js';
import { totalVariationSimd } from '../simd/total-variation-simd.js';
import { NAN_DISSONANCE, NON_FINITE_OUTPUT, SUSPECT } from './gate-rows.js';

/**
 * The default detector (total variation, proposer vs one critic) and {@link screenRows} in one pass over the
 * two probability arrays: writes each row's `½ Σ |pᵢ − qᵢ|` (clamped to 1, exactly what `totalVariation.measure`
 * writes) into `out` and returns the flags that `screenRows(p, [q], out, rows, classes, tolerance)` (gate-rows.ts)
 * returns. Reading each value once instead of twice halves the engine's detect stage at large batches; from
 * 512 values per array a WebAssembly SIMD kernel halves it again (the JavaScript loop where
 * WebAssembly SIMD is missing; both write the same bits).
 *
 * The row sums here add a row's even and odd classes apart, where `screenRows` adds them in order; the two differ
 * by at most `classes · 2⁻⁵¹`. So a row passes unflagged here only when its sums are inside
 * {@link screenTolerance} (the tolerance less twice that): a row within that band of the tolerance is flagged
 * `SUSPECT` (the validate gate then decides on it exactly) where `screenRows` may pass it. Not part of the public
 * API.
 */
export function measureAndScreenTotalVariation(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
  out?: Float32Array,
): { readonly values: Float32Array; readonly flags: Uint8Array | undefined } {
  const values = checkPair('total-variation', p, q, rows, classes, out);
  const inside = screenTolerance(tolerance, classes);
  const marks = totalVariationSimd(p, q, rows, classes, inside, values);
  if (marks === null) return { values, flags: screenTotalVariationJs(p, q, rows, classes, inside, values) };
  if (marks === undefined) return { values, flags: undefined };
  const flags = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) if (marks[r] !== 0) flags[r] = rowFlag(p, q, r * classes, classes, values[r]!);
  return { values, flags };
}

/** The tolerance a row's two-lane sums must be inside to pass the screen unflagged: `tolerance − classes · 2⁻⁵⁰`. */
export function screenTolerance(tolerance: number, classes: number): number {
  return tolerance - classes * 2 ** -50;
}

/**
 * The JavaScript loop of {@link measureAndScreenTotalVariation} (`inside`: {@link screenTolerance}), apart from
 * the argument checks: V8 compiles a loop in a function of its own about twice as fast. Exported for tests.
 */
export function screenTotalVariationJs(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  inside: number,
  values: Float32Array,
): Uint8Array | undefined {
  let flags: Uint8Array | undefined;
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let sumP0 = 0;
    let sumP1 = 0;
    let sumQ0 = 0;
    let sumQ1 = 0;
    let distance0 = 0;
    let distance1 = 0;
    let negative = 0;
    const end = o + classes;
    let i = o;
    for (; i + 1 < end; i += 2) {
      const a0 = p[i]!;
      const b0 = q[i]!;
      const a1 = p[i + 1]!;
      const b1 = q[i + 1]!;
      sumP0 += a0;
      sumQ0 += b0;
      distance0 += Math.abs(a0 - b0);
      sumP1 += a1;
      sumQ1 += b1;
      distance1 += Math.abs(a1 - b1);
      if (a0 < 0 || b0 < 0 || a1 < 0 || b1 < 0) negative = 1;
    }
    if (i < end) {
      const a = p[i]!;
      const b = q[i]!;
      sumP0 += a;
      sumQ0 += b;
      distance0 += Math.abs(a - b);
      if (a < 0 || b < 0) negative = 1;
    }
    const tv = Math.min(1, 0.5 * (distance0 + distance1));
    values[r] = tv;
    // The common row: finite, non-negative, both sums inside the tolerance (NaN fails every comparison).
    if (negative === 0 && Math.abs(sumP0 + sumP1 - 1) <= inside && Math.abs(sumQ0 + sumQ1 - 1) <= inside && tv === tv)
      continue;
    (flags ??= new Uint8Array(rows))[r] = rowFlag(p, q, o, classes, tv);
  }
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
