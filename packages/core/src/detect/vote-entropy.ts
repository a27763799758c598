import type { CommitteeDetector } from '../ports/detector.js';
import { checkCommittee } from './check-input.js';
import { entropyBits, normalizeEntropy } from './entropy.js';

/**
 * Vote entropy: each member votes for its most probable class (ties go to the lowest class index);
 * the result is the entropy in bits of the vote shares, divided by `log₂(min(members, classes))`,
 * its largest possible value, so it lies in [0, 1]. 0 when all agree or with fewer than two members.
 */
export const voteEntropy: CommitteeDetector = {
  kind: 'committee',
  name: 'vote-entropy',
  upperBound: 1,
  measure(members, rows, classes, out) {
    const result = checkCommittee('vote-entropy', members, rows, classes, out);
    const count = members.length;
    const outcomes = Math.min(count, classes);
    if (outcomes < 2) return result.fill(0, 0, rows);
    const shares = new Float64Array(classes);
    const vote = 1 / count;
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      shares.fill(0);
      for (let j = 0; j < count; j++) {
        const member = members[j]!;
        let best = 0;
        let bestValue = member[o]!;
        for (let i = 1; i < classes; i++) {
          const value = member[o + i]!;
          if (value > bestValue) {
            best = i;
            bestValue = value;
          }
        }
        shares[best]! += vote;
      }
      result[r] = normalizeEntropy(entropyBits(shares, 0, classes), outcomes);
    }
    return result;
  },
};
