/** Index of the largest value of `p` (the first on a tie); -1 when `p` is empty. Not part of the public API. */
export function argmax(p: Float32Array): number {
  let best = -1;
  let max = -Infinity;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v > max) {
      max = v;
      best = i;
    }
  }
  return best;
}
