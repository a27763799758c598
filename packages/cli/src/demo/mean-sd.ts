import type { MeanSd } from './demo-result.js';

/** Mean and sample standard deviation (0 for fewer than two values). */
export function meanSd(values: readonly number[]): MeanSd {
  if (values.length === 0) return { mean: Number.NaN, sd: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/** A paired difference over seeds: mean, sample sd and the mean over its standard error. */
export interface PairedDifference extends MeanSd {
  /**
   * `mean / (sd / √n)`; `null` when there is no standard error to divide by (one seed, or a nonzero difference
   * that is the same on every seed), 0 when every one of two or more differences is 0. A winner is called only
   * when it is above 2.
   */
  readonly z: number | null;
}

/** The {@link PairedDifference} of per-seed differences `diffs` (at least one). */
export function pairedDifference(diffs: readonly number[]): PairedDifference {
  const { mean, sd } = meanSd(diffs);
  const se = sd / Math.sqrt(diffs.length);
  // Below 1e-12 the spread is rounding (the same difference on every seed, summed in another order).
  const z = diffs.length < 2 ? null : se > 1e-12 ? mean / se : Math.abs(mean) <= 1e-12 ? 0 : null;
  return { mean, sd, z };
}

/** Whether a paired difference is over two standard errors, and which way: `1` better, `-1` worse, `0` neither. */
export function verdictOf(difference: PairedDifference): -1 | 0 | 1 {
  const { z } = difference;
  return z === null || Math.abs(z) <= 2 ? 0 : z > 0 ? 1 : -1;
}
