import type { CommitteeDetector, Detector } from '../ports/detector.js';
import { checkCommittee } from './check-input.js';
import { jensenShannon } from './jensen-shannon.js';

/** Options of {@link meanPairwise}. */
export interface MeanPairwiseOptions {
  /** Name of the committee detector (default `mean-pairwise-<detector.name>`). */
  readonly name?: string;
}

/**
 * Committee disagreement as the mean of `detector` over all unordered pairs of members, proposer
 * included: `M(M − 1)/2` pairs for `M` members. A committee of one scores 0. Same bound as `detector`.
 */
export function meanPairwise(detector: Detector, options: MeanPairwiseOptions = {}): CommitteeDetector {
  const name = options.name ?? `mean-pairwise-${detector.name}`;
  return {
    kind: 'committee',
    name,
    upperBound: detector.upperBound,
    measure(members, rows, classes, out) {
      const result = checkCommittee(name, members, rows, classes, out);
      const count = members.length;
      if (count < 2) return result.fill(0, 0, rows);
      const pair = new Float32Array(rows);
      const sum = new Float64Array(rows);
      for (let a = 0; a < count - 1; a++) {
        for (let b = a + 1; b < count; b++) {
          detector.measure(members[a]!, members[b]!, rows, classes, pair);
          for (let r = 0; r < rows; r++) sum[r]! += pair[r]!;
        }
      }
      const pairs = (count * (count - 1)) / 2;
      for (let r = 0; r < rows; r++) result[r] = sum[r]! / pairs;
      return result;
    },
  };
}

/** Mean pairwise Jensen–Shannon divergence over the committee, in bits, range [0, 1]. */
export const meanPairwiseJs: CommitteeDetector = meanPairwise(jensenShannon, { name: 'mean-pairwise-js' });
