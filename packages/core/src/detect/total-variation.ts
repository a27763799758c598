import type { Detector } from '../ports/detector.js';
import { checkPair } from './check-input.js';

/**
 * Total variation distance `½ Σᵢ |pᵢ − qᵢ|`: the largest difference in probability the two models
 * give any set of classes. Equals {@link absDiff} for two classes. Range [0, 1] (rounding clamped).
 */
export const totalVariation: Detector = {
  kind: 'pairwise',
  name: 'total-variation',
  upperBound: 1,
  measure(p, q, rows, classes, out) {
    return measureTotalVariation(p, q, rows, classes, checkPair('total-variation', p, q, rows, classes, out));
  },
};

/**
 * The loop apart from the argument checks: V8 compiles it about twice as fast in a function of its own (10
 * against 17 µs over 1,024 × 10 measured).
 */
function measureTotalVariation(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  result: Float32Array,
): Float32Array {
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let sum = 0;
    for (let i = o, end = o + classes; i < end; i++) sum += Math.abs(p[i]! - q[i]!);
    result[r] = Math.min(1, 0.5 * sum);
  }
  return result;
}
