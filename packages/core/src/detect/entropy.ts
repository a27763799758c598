/**
 * Shannon entropy in bits, `−Σᵢ pᵢ log₂ pᵢ`, of the `classes` probabilities starting at `offset`.
 * Zero (and negative) probabilities contribute 0 (`0 · log 0 = 0`). Reads in place: no allocation.
 */
export function entropyBits(probs: ArrayLike<number>, offset: number, classes: number): number {
  let sum = 0;
  for (let i = offset, end = offset + classes; i < end; i++) {
    const pi = probs[i]!;
    if (pi > 0) sum -= pi * Math.log(pi);
  }
  return sum / Math.LN2;
}

/**
 * `entropy / log₂(outcomes)` clamped to [0, 1]: entropy as a fraction of its largest possible value.
 * Returns 0 when fewer than two outcomes are possible (there is nothing to be uncertain about).
 */
export function normalizeEntropy(entropy: number, outcomes: number): number {
  if (outcomes < 2) return 0;
  const fraction = entropy / Math.log2(outcomes);
  return fraction <= 0 ? 0 : fraction >= 1 ? 1 : fraction;
}
