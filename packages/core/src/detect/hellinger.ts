import type { Detector } from '../ports/detector.js';
import { checkPair } from './check-input.js';

/**
 * Hellinger distance `(1/√2) ‖√p − √q‖₂`, which is `√(1 − Σᵢ √(pᵢqᵢ))` for normalized rows.
 * Computed in the first form: exactly 0 for identical rows, with no cancellation near 0.
 * Symmetric; range [0, 1] (rounding clamped).
 */
export const hellinger: Detector = {
  kind: 'pairwise',
  name: 'hellinger',
  upperBound: 1,
  measure(p, q, rows, classes, out) {
    const result = checkPair('hellinger', p, q, rows, classes, out);
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      let sum = 0;
      for (let i = o, end = o + classes; i < end; i++) {
        const diff = Math.sqrt(p[i]!) - Math.sqrt(q[i]!);
        sum += diff * diff;
      }
      const squared = 0.5 * sum;
      result[r] = squared >= 1 ? 1 : Math.sqrt(squared);
    }
    return result;
  },
};
