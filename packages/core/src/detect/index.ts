/** Detectors: how far apart a proposer's and its critics' outputs are, row by row. */
export { absDiff } from './abs-diff.js';
export { totalVariation } from './total-variation.js';
export { jensenShannon } from './jensen-shannon.js';
export { symmetricKl, createSymmetricKl, type SymmetricKlOptions } from './symmetric-kl.js';
export { hellinger } from './hellinger.js';
export { entropyBits, normalizeEntropy } from './entropy.js';
export { meanPairwise, meanPairwiseJs, type MeanPairwiseOptions } from './mean-pairwise.js';
export { proposerVsCritics } from './proposer-vs-critics.js';
export { voteEntropy } from './vote-entropy.js';
export { consensusEntropy } from './consensus-entropy.js';
export {
  DETECTOR_NAMES,
  COMMITTEE_DETECTOR_NAMES,
  detectorByName,
  committeeDetectorByName,
  asCommittee,
  type DetectorName,
  type CommitteeDetectorName,
} from './by-name.js';
