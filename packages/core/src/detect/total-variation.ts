import type { Detector } from '../ports/detector.js';
import { totalVariationMarks } from '../simd/total-variation-simd.js';
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
    // No tolerance: the rows it marks (a negative or NaN value) are of no interest here.
    totalVariationMarks(p, q, rows, classes, Infinity, result);
    return result;
  },
};
