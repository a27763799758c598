import { DissonanceError } from '../errors.js';
import type { Detector } from '../ports/detector.js';
import { checkPair } from './check-input.js';

/** Options of {@link createSymmetricKl}. */
export interface SymmetricKlOptions {
  /** Smoothing added to every probability before renormalizing, > 0 (default `1e-6`). */
  readonly epsilon?: number;
}

/**
 * Builds a symmetric Kullback–Leibler detector: `KL(p′‖q′) + KL(q′‖p′)` in nats, where
 * `p′ = (p + ε) / (1 + kε)` over `k` classes keeps every logarithm finite. Unbounded above.
 *
 * @throws DissonanceError `E_CONFIG` when `epsilon` is not a finite number > 0.
 */
export function createSymmetricKl(options: SymmetricKlOptions = {}): Detector {
  const epsilon = options.epsilon ?? 1e-6;
  if (!Number.isFinite(epsilon) || epsilon <= 0) {
    throw new DissonanceError('E_CONFIG', `symmetric-kl: epsilon must be a finite number > 0, got ${epsilon}`, {
      details: { detector: 'symmetric-kl', option: 'epsilon', actual: String(epsilon) },
    });
  }
  return {
    kind: 'pairwise',
    name: 'symmetric-kl',
    upperBound: Infinity,
    measure(p, q, rows, classes, out) {
      const result = checkPair('symmetric-kl', p, q, rows, classes, out);
      const scale = 1 / (1 + classes * epsilon);
      for (let r = 0, o = 0; r < rows; r++, o += classes) {
        let sum = 0;
        for (let i = o, end = o + classes; i < end; i++) {
          const pi = (p[i]! + epsilon) * scale;
          const qi = (q[i]! + epsilon) * scale;
          // p′ ln(p′/q′) + q′ ln(q′/p′) = (p′ − q′)(ln p′ − ln q′): one term, exactly symmetric, ≥ 0.
          sum += (pi - qi) * (Math.log(pi) - Math.log(qi));
        }
        result[r] = sum > 0 ? sum : 0;
      }
      return result;
    },
  };
}

/** Symmetric KL with the default smoothing `ε = 1e-6`; see {@link createSymmetricKl}. */
export const symmetricKl: Detector = createSymmetricKl();
