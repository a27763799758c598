import type { Detector } from '../ports/detector.js';
import { totalVariationSimd } from '../simd/total-variation-simd.js';
import { checkPair } from './check-input.js';

/**
 * Total variation distance `½ Σᵢ |pᵢ − qᵢ|`: the largest difference in probability the two models
 * give any set of classes. Equals {@link absDiff} for two classes. Range [0, 1] (rounding clamped). Large
 * batches go through a WebAssembly SIMD kernel where the platform has one (same values, bit for bit).
 */
export const totalVariation: Detector = {
  kind: 'pairwise',
  name: 'total-variation',
  upperBound: 1,
  measure(p, q, rows, classes, out) {
    const result = checkPair('total-variation', p, q, rows, classes, out);
    // The kernel writes the same bits as the loop (its row screen is not needed here: no tolerance).
    if (totalVariationSimd(p, q, rows, classes, Infinity, result) !== null) return result;
    return fourLaneTotalVariation(p, q, rows, classes, result);
  },
};

/**
 * The loop apart from the argument checks: V8 compiles it about twice as fast in a function of its own. Float32 in
 * the WebAssembly SIMD kernel's order (kernels.wat): four lanes over a row's groups of four classes, a last pair
 * into lanes 0 and 1 and a last single class into lane 0, then (0 + 2) + (1 + 3); so both write the same bits.
 * `Math.fround` of a float64 sum or difference of two float32 values is their float32 sum or difference.
 */
function fourLaneTotalVariation(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  result: Float32Array,
): Float32Array {
  const f = Math.fround;
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    const end = o + classes;
    let i = o;
    for (; i + 4 <= end; i += 4) {
      d0 = f(d0 + Math.abs(f(p[i]! - q[i]!)));
      d1 = f(d1 + Math.abs(f(p[i + 1]! - q[i + 1]!)));
      d2 = f(d2 + Math.abs(f(p[i + 2]! - q[i + 2]!)));
      d3 = f(d3 + Math.abs(f(p[i + 3]! - q[i + 3]!)));
    }
    for (let tail = 0; i < end; i++, tail++) {
      if (tail === 1) d1 = f(d1 + Math.abs(f(p[i]! - q[i]!)));
      else d0 = f(d0 + Math.abs(f(p[i]! - q[i]!)));
    }
    result[r] = Math.min(1, f(0.5 * f(f(d0 + d2) + f(d1 + d3))));
  }
  return result;
}
