import type { CommitteeDetector, Detector } from '../ports/detector.js';
import { checkCommittee } from './check-input.js';

/**
 * Applies a pairwise detector to a proposer (`members[0]`) and its critics: the mean over critics
 * `j ≥ 1` of `detector(members[0], members[j])`. With one critic it is the pairwise value exactly;
 * with none it is 0. Keeps the detector's name and bound.
 */
export function proposerVsCritics(detector: Detector): CommitteeDetector {
  const name = detector.name;
  const committee: CommitteeDetector = {
    kind: 'committee',
    name,
    upperBound: detector.upperBound,
    measure(members, rows, classes, out) {
      const result = checkCommittee(name, members, rows, classes, out);
      const proposer = members[0]!;
      const critics = members.length - 1;
      if (critics === 0) return result.fill(0, 0, rows);
      if (critics === 1) return detector.measure(proposer, members[1]!, rows, classes, result);
      const pair = new Float32Array(rows);
      const sum = new Float64Array(rows);
      for (let j = 1; j <= critics; j++) {
        detector.measure(proposer, members[j]!, rows, classes, pair);
        for (let r = 0; r < rows; r++) sum[r]! += pair[r]!;
      }
      for (let r = 0; r < rows; r++) result[r] = sum[r]! / critics;
      return result;
    },
  };
  pairwise.set(committee, detector);
  return committee;
}

const pairwise = new WeakMap<CommitteeDetector, Detector>();

/**
 * The pairwise detector a committee detector made by {@link proposerVsCritics} applies, else undefined: lets the
 * engine run a fused kernel for a known detector. Not part of the public API.
 */
export function pairwiseDetectorOf(committee: CommitteeDetector): Detector | undefined {
  return pairwise.get(committee);
}
