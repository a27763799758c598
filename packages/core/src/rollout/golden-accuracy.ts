import type { GoldenSet } from '../ports/batch.js';
import type { LoadedModel } from '../ports/model.js';
import { yieldToEventLoop } from '../util/yield-to-loop.js';

/** Index of the largest value among `classes` values of `probs` starting at `offset`. */
export function argmaxRow(probs: Float32Array, offset: number, classes: number): number {
  let best = 0;
  let bestValue = probs[offset] ?? Number.NEGATIVE_INFINITY;
  for (let c = 1; c < classes; c++) {
    const v = probs[offset + c] ?? Number.NEGATIVE_INFINITY;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/**
 * Fraction (0–1) of golden rows whose argmax equals the true label, computed in batches of `batchRows`,
 * yielding to the event loop between batches: validation runs beside serving, and one call over a large
 * golden set must not hold the loop (or a page's main thread) for long.
 */
export async function goldenAccuracy(model: LoadedModel, golden: GoldenSet, batchRows = 256): Promise<number> {
  const width = model.inputWidth;
  const k = model.classes;
  let correct = 0;
  for (let start = 0; start < golden.rows; start += batchRows) {
    if (start > 0) await yieldToEventLoop();
    const rows = Math.min(batchRows, golden.rows - start);
    const probs = await model.run(golden.x.subarray(start * width, (start + rows) * width), rows);
    for (let r = 0; r < rows; r++) {
      if (argmaxRow(probs, r * k, k) === golden.labels[start + r]) correct++;
    }
  }
  return golden.rows === 0 ? 0 : correct / golden.rows;
}
