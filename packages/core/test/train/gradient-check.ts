import { lossAndGradient, type DissonanceTerm, type LossBatch } from '../../src/train/mlp-gradients.js';
import type { ParamLayout } from '../../src/train/mlp-layout.js';

/** Largest gaps between an analytic gradient and float64 central finite differences. */
export interface GradientGap {
  /** max_k |g_k − fd_k| / max(|g_k|, |fd_k|, floor). */
  readonly maxRelative: number;
  /** max_k |g_k − fd_k|. */
  readonly maxAbsolute: number;
  /** ‖g − fd‖ / ‖fd‖. */
  readonly normRelative: number;
}

/**
 * Compares {@link lossAndGradient}'s gradient with central differences `(L(θ + h·e_k) − L(θ − h·e_k)) / 2h`
 * for every parameter, in float64.
 */
export function gradientGap(
  layout: ParamLayout,
  params: Float64Array,
  batch: LossBatch,
  term: DissonanceTerm,
  h = 1e-6,
  floor = 1e-3,
): GradientGap {
  const grad = new Float64Array(layout.size);
  lossAndGradient(layout, params, batch, term, grad);
  const scratch = new Float64Array(layout.size);
  const probe = Float64Array.from(params);
  let maxRelative = 0;
  let maxAbsolute = 0;
  let diffSq = 0;
  let fdSq = 0;
  for (let k = 0; k < layout.size; k++) {
    const original = probe[k]!;
    probe[k] = original + h;
    const up = lossAndGradient(layout, probe, batch, term, scratch).loss;
    probe[k] = original - h;
    const down = lossAndGradient(layout, probe, batch, term, scratch).loss;
    probe[k] = original;
    const fd = (up - down) / (2 * h);
    const g = grad[k]!;
    const gap = Math.abs(g - fd);
    maxAbsolute = Math.max(maxAbsolute, gap);
    maxRelative = Math.max(maxRelative, gap / Math.max(Math.abs(g), Math.abs(fd), floor));
    diffSq += gap * gap;
    fdSq += fd * fd;
  }
  return { maxRelative, maxAbsolute, normRelative: Math.sqrt(diffSq / fdSq) };
}
