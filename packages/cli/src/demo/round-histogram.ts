import type { DissonanceRound } from './demo-result.js';

/** Bins of a round's dissonance histogram. */
export const HISTOGRAM_BINS = 10;

/** Histogram of `values` over `[0, upper]` (values above `upper` go to the last bin). */
export function roundHistogram(round: number, values: readonly number[], upper: number): DissonanceRound {
  const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
  let sum = 0;
  for (const v of values) {
    sum += v;
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((v / upper) * HISTOGRAM_BINS)));
    bins[bin]!++;
  }
  return { round, bins, upper, mean: values.length === 0 ? 0 : sum / values.length, items: values.length };
}
