/** Replaces each `classes`-wide row of `values` with its softmax, in place (max-subtracted, float64 sums). */
export function softmaxRows(values: Float32Array, rows: number, classes: number): Float32Array {
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = o, end = o + classes; i < end; i++) if (values[i]! > max) max = values[i]!;
    let sum = 0;
    for (let i = o, end = o + classes; i < end; i++) {
      const e = Math.exp(values[i]! - max);
      values[i] = e;
      sum += e;
    }
    for (let i = o, end = o + classes; i < end; i++) values[i] = values[i]! / sum;
  }
  return values;
}

/**
 * True when every row of `values` already is a probability distribution: finite values in [0, 1] summing to 1
 * within `tolerance` (default 1e-4).
 */
export function looksLikeProbabilities(values: Float32Array, rows: number, classes: number, tolerance = 1e-4): boolean {
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let sum = 0;
    for (let i = o, end = o + classes; i < end; i++) {
      const v = values[i]!;
      if (!(v >= -1e-6 && v <= 1 + 1e-6)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > tolerance) return false;
  }
  return true;
}
