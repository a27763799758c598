import type { LoadedModel } from '../ports/model.js';
import { yieldToEventLoop } from '../util/yield-to-loop.js';

/** Smoothing so that a zero probability in `new` does not make the divergence infinite. */
const EPSILON = 1e-12;

/** Mean over rows of `KL(p‖q)` in nats for two `rows × classes` probability arrays. */
export function meanKl(p: Float32Array, q: Float32Array, rows: number, classes: number): number {
  if (rows === 0) return 0;
  return Math.max(0, addKl(0, p, q, rows, classes) / rows);
}

/** `total` plus the sum over rows of `KL(p‖q)`, added row by row (chunks added in order sum exactly as one pass). */
function addKl(total: number, p: Float32Array, q: Float32Array, rows: number, classes: number): number {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    for (let c = 0; c < classes; c++) {
      const pv = p[o + c] ?? 0;
      if (pv > 0) total += pv * Math.log(pv / Math.max(q[o + c] ?? 0, EPSILON));
    }
  }
  return total;
}

/**
 * `KL(old‖new)` averaged over the reference rows: how far an update moved the model's predictions. Computed
 * `batchRows` rows at a time, yielding to the event loop between batches (validation runs beside serving).
 */
export async function modelKl(
  older: LoadedModel,
  newer: LoadedModel,
  reference: { readonly x: Float32Array; readonly rows: number },
  batchRows = 256,
): Promise<number> {
  if (reference.rows === 0) return 0;
  const width = older.inputWidth;
  let total = 0;
  for (let start = 0; start < reference.rows; start += batchRows) {
    if (start > 0) await yieldToEventLoop();
    const rows = Math.min(batchRows, reference.rows - start);
    const x = reference.x.subarray(start * width, (start + rows) * width);
    const [p, q] = await Promise.all([older.run(x, rows), newer.run(x, rows)]);
    total = addKl(total, p, q, rows, older.classes);
  }
  return Math.max(0, total / reference.rows);
}
