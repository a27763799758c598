import type { Detector } from '../ports/detector.js';
import { checkPair } from './check-input.js';

/**
 * The proof of concept's `d = |p₀ − q₀|`: disagreement on the probability of class 0 only.
 * Reproduces the POC exactly (the result is `Math.fround(Math.abs(p0 - q0))`). Range [0, 1].
 */
export const absDiff: Detector = {
  kind: 'pairwise',
  name: 'abs-diff',
  upperBound: 1,
  measure(p, q, rows, classes, out) {
    const result = checkPair('abs-diff', p, q, rows, classes, out);
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      result[r] = Math.abs(p[o]! - q[o]!);
    }
    return result;
  },
};
