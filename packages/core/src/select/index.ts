export {
  SELECTION_SCORES,
  scoreRequest,
  marginScore,
  leastConfidenceScore,
  baldScore,
  committeeMean,
  type SelectionScore,
} from './scores.js';
export { kCenterGreedy } from './diverse-pick.js';
