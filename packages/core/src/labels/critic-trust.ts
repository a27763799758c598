import type { LabelAnswer, LabelSource } from '../ports/label-source.js';
import { checkBound, checkWeight } from './check-options.js';

/** Options of {@link criticTrustLabels}. */
export interface CriticTrustOptions {
  /** Sample weight of a critic label, in (0, 1] (default 0.5). */
  readonly weight?: number;
  /** Answer only when the mean distribution's top probability is at least this (default 0). */
  readonly minConfidence?: number;
}

/**
 * Label source `critic`: trusts the critics. Answers a soft target, the mean of the critics' distributions
 * (a new `Float32Array`, safe to keep), origin `critic`; `undefined` when there is no critic, the critics'
 * rows differ in length from the proposer's, or the mean's top probability is below `minConfidence` (compared in Float32, like the probabilities).
 *
 * @throws DissonanceError `E_CONFIG` on a bad option.
 */
export function criticTrustLabels(options: CriticTrustOptions = {}): LabelSource {
  const weight = options.weight ?? 0.5;
  const minConfidence = options.minConfidence ?? 0;
  checkWeight('critic', weight);
  checkBound('critic', 'minConfidence', minConfidence);
  // Probabilities are Float32: compare with the Float32 nearest the bound, so 0.9 means Math.fround(0.9).
  const bound = Math.fround(minConfidence);
  return {
    name: 'critic',
    label(requests) {
      const answers = requests.map((request): LabelAnswer | undefined => {
        const { critics } = request;
        const classes = request.proposer.length;
        if (critics.length === 0 || classes === 0) return undefined;
        const probs = new Float32Array(classes);
        for (const critic of critics) {
          if (critic.length !== classes) return undefined;
          for (let i = 0; i < classes; i++) probs[i]! += critic[i]!;
        }
        let max = -Infinity;
        for (let i = 0; i < classes; i++) {
          probs[i]! /= critics.length;
          if (probs[i]! > max) max = probs[i]!;
        }
        if (!(max >= bound)) return undefined;
        return { target: { kind: 'soft', probs }, weight, origin: 'critic' };
      });
      return Promise.resolve(answers);
    },
  };
}
