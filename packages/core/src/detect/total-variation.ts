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
    const result = checkPair('total-variation', p, q, rows, classes, out);
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      let sum = 0;
      for (let i = o, end = o + classes; i < end; i++) sum += Math.abs(p[i]! - q[i]!);
      result[r] = Math.min(1, 0.5 * sum);
    }
    return result;
  },
};
