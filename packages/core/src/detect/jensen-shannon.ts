import type { Detector } from '../ports/detector.js';
import { checkPair } from './check-input.js';

/**
 * Jensen–Shannon divergence in bits: `½ KL(p‖m) + ½ KL(q‖m)` with `m = ½(p + q)`, base-2 logarithms.
 * Terms with a zero probability contribute 0 (`0 · log 0 = 0`). Symmetric; range [0, 1] (rounding clamped).
 */
export const jensenShannon: Detector = {
  kind: 'pairwise',
  name: 'jensen-shannon',
  upperBound: 1,
  measure(p, q, rows, classes, out) {
    const result = checkPair('jensen-shannon', p, q, rows, classes, out);
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      let sum = 0; // in nats, times 2
      for (let i = o, end = o + classes; i < end; i++) {
        const pi = p[i]!;
        const qi = q[i]!;
        const mi = 0.5 * (pi + qi);
        // Sum each class's two terms before adding, so swapping p and q gives the same bits.
        sum += (pi > 0 ? pi * Math.log(pi / mi) : 0) + (qi > 0 ? qi * Math.log(qi / mi) : 0);
      }
      const bits = (0.5 * sum) / Math.LN2;
      result[r] = bits <= 0 ? 0 : bits >= 1 ? 1 : bits;
    }
    return result;
  },
};
