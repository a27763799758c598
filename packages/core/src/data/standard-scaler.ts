import { DissonanceError } from '../errors.js';

/** Per-feature mean and standard deviation, fitted on chosen rows only. */
export interface StandardScaler {
  readonly width: number;
  readonly mean: Float64Array;
  /** Population standard deviation; a constant feature gets 1, so it maps to 0. */
  readonly scale: Float64Array;
  /** Returns `(x − mean) / scale` for every row of `x` (a new array). */
  transform(x: Float32Array, rows: number): Float32Array;
}

/**
 * Fits a standard scaler on the given rows of `x` only (`rowIndexes`), so that held-out rows never
 * influence it: fit on the training rows, then transform everything.
 *
 * @throws DissonanceError `E_INPUT` when `width` is not a positive integer, `x` is not `rows × width`,
 *   `rowIndexes` is empty or holds an index outside `[0, rows)`.
 */
export function fitStandardScaler(x: Float32Array, width: number, rowIndexes: readonly number[]): StandardScaler {
  if (!Number.isSafeInteger(width) || width < 1 || x.length % width !== 0) {
    throw new DissonanceError('E_INPUT', `scaler: x of ${x.length} values is not rows × width ${width}`);
  }
  const rows = x.length / width;
  if (rowIndexes.length === 0) throw new DissonanceError('E_INPUT', 'scaler: no rows to fit on');
  const mean = new Float64Array(width);
  const scale = new Float64Array(width);
  for (const r of rowIndexes) {
    if (!Number.isSafeInteger(r) || r < 0 || r >= rows)
      throw new DissonanceError('E_INPUT', `scaler: row ${r} is outside [0, ${rows})`);
    for (let c = 0; c < width; c++) mean[c]! += x[r * width + c]!;
  }
  for (let c = 0; c < width; c++) mean[c] = mean[c]! / rowIndexes.length;
  for (const r of rowIndexes) {
    for (let c = 0; c < width; c++) {
      const d = x[r * width + c]! - mean[c]!;
      scale[c]! += d * d;
    }
  }
  for (let c = 0; c < width; c++) {
    const sd = Math.sqrt(scale[c]! / rowIndexes.length);
    scale[c] = sd > 1e-12 ? sd : 1;
  }
  return {
    width,
    mean,
    scale,
    transform(input, n) {
      if (input.length !== n * width)
        throw new DissonanceError('E_INPUT', `scaler: expected ${n} × ${width} values, got ${input.length}`);
      const out = new Float32Array(input.length);
      for (let i = 0; i < input.length; i++) {
        const c = i % width;
        out[i] = (input[i]! - mean[c]!) / scale[c]!;
      }
      return out;
    },
  };
}
