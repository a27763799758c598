import type { CommitteeDetector } from '../ports/detector.js';
import { checkCommittee } from './check-input.js';
import { entropyBits, normalizeEntropy } from './entropy.js';

/**
 * Consensus entropy: the entropy in bits of the committee's mean distribution, divided by
 * `log₂(classes)`, so it lies in [0, 1]. It measures the committee's joint uncertainty: it is 0 only
 * when every member puts all its mass on the same class, and high both when members disagree and
 * when they agree on an uncertain answer.
 */
export const consensusEntropy: CommitteeDetector = {
  kind: 'committee',
  name: 'consensus-entropy',
  upperBound: 1,
  measure(members, rows, classes, out) {
    const result = checkCommittee('consensus-entropy', members, rows, classes, out);
    if (classes < 2) return result.fill(0, 0, rows);
    const count = members.length;
    const mean = new Float64Array(classes);
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      for (let i = 0; i < classes; i++) {
        let sum = 0;
        for (let j = 0; j < count; j++) sum += members[j]![o + i]!;
        mean[i] = sum / count;
      }
      result[r] = normalizeEntropy(entropyBits(mean, 0, classes), classes);
    }
    return result;
  },
};
