import type { LabelAnswer, LabelSource } from '../ports/label-source.js';
import { argmax } from './argmax.js';
import { checkBound, checkWeight } from './check-options.js';

/** Options of {@link agreementPseudoLabels}. */
export interface AgreementOptions {
  /** Each model's top probability must be at least this (default 0.9). */
  readonly minConfidence?: number;
  /** Sample weight of a pseudo-label, in (0, 1] (default 0.3). */
  readonly weight?: number;
}

/**
 * Label source `agreement`: when the proposer and every critic (at least one) pick the same class, each
 * with top probability ≥ `minConfidence`, answers that class as a hard pseudo-label (origin `pseudo`);
 * otherwise `undefined`. Ties for the top class go to the lowest index. The bound is compared in Float32
 * (`Math.fround(minConfidence)`), like the probabilities, so a Float32 `0.9` meets the default.
 *
 * @throws DissonanceError `E_CONFIG` on a bad option.
 */
export function agreementPseudoLabels(options: AgreementOptions = {}): LabelSource {
  const minConfidence = options.minConfidence ?? 0.9;
  const weight = options.weight ?? 0.3;
  checkBound('agreement', 'minConfidence', minConfidence);
  // Probabilities are Float32: compare with the Float32 nearest the bound, so 0.9 means Math.fround(0.9).
  const bound = Math.fround(minConfidence);
  checkWeight('agreement', weight);
  return {
    name: 'agreement',
    label(requests) {
      const answers = requests.map((request): LabelAnswer | undefined => {
        if (request.critics.length === 0) return undefined;
        const label = confidentClass(request.proposer, bound);
        if (label < 0) return undefined;
        for (const critic of request.critics) {
          if (critic.length !== request.proposer.length || confidentClass(critic, bound) !== label) return undefined;
        }
        return { target: { kind: 'hard', label }, weight, origin: 'pseudo' };
      });
      return Promise.resolve(answers);
    },
  };
}

/** The top class of `p` when its probability is ≥ `minConfidence`, else -1. */
function confidentClass(p: Float32Array, minConfidence: number): number {
  const top = argmax(p);
  return top >= 0 && p[top]! >= minConfidence ? top : -1;
}
