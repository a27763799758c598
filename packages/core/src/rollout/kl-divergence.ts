import type { LoadedModel } from '../ports/model.js';

/** Smoothing so that a zero probability in `new` does not make the divergence infinite. */
const EPSILON = 1e-12;

/** Mean over rows of `KL(p‖q)` in nats for two `rows × classes` probability arrays. */
export function meanKl(p: Float32Array, q: Float32Array, rows: number, classes: number): number {
  if (rows === 0) return 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    for (let c = 0; c < classes; c++) {
      const pv = p[o + c] ?? 0;
      if (pv > 0) total += pv * Math.log(pv / Math.max(q[o + c] ?? 0, EPSILON));
    }
  }
  return Math.max(0, total / rows);
}

/** `KL(old‖new)` averaged over the reference rows: how far an update moved the model's predictions. */
export async function modelKl(
  older: LoadedModel,
  newer: LoadedModel,
  reference: { readonly x: Float32Array; readonly rows: number },
): Promise<number> {
  if (reference.rows === 0) return 0;
  const [p, q] = await Promise.all([older.run(reference.x, reference.rows), newer.run(reference.x, reference.rows)]);
  return meanKl(p, q, reference.rows, older.classes);
}
