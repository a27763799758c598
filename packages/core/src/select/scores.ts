import { entropyBits } from '../detect/entropy.js';
import type { LabelRequest } from '../ports/label-source.js';

/**
 * How a label source ranks items for the oracle (higher first):
 * - `dissonance`: the engine's dissonance of the item (whatever detector the engine runs);
 * - `entropy`: entropy of the proposer's probabilities;
 * - `margin`: `1 − (p₁ − p₂)` of the proposer (top two classes): small margins first;
 * - `least-confidence`: `1 − max p` of the proposer;
 * - `consensus-margin`: `margin` of the committee's mean (proposer and critics);
 * - `bald`: committee mutual information, consensus entropy minus the mean member entropy (BALD);
 * - `random`: a seeded uniform draw;
 * - `first`: arrival order (no ranking).
 */
export type SelectionScore =
  'dissonance' | 'entropy' | 'margin' | 'least-confidence' | 'consensus-margin' | 'bald' | 'random' | 'first';

/** Every {@link SelectionScore}, for validation and help texts. */
export const SELECTION_SCORES: readonly SelectionScore[] = [
  'dissonance',
  'entropy',
  'margin',
  'least-confidence',
  'consensus-margin',
  'bald',
  'random',
  'first',
];

/** `1 − (p₁ − p₂)` of one probability row: 1 when the top two tie, 0 when one class has all the mass. */
export function marginScore(p: ArrayLike<number>): number {
  let a = -Infinity;
  let b = -Infinity;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  if (p.length < 2) return 0;
  return 1 - (a - b);
}

/** `1 − max p` of one probability row. */
export function leastConfidenceScore(p: ArrayLike<number>): number {
  let a = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > a) a = p[i]!;
  return 1 - a;
}

/** The mean of the proposer's and the critics' probability rows. */
export function committeeMean(request: LabelRequest): Float64Array {
  const k = request.proposer.length;
  const members = [request.proposer, ...request.critics];
  const mean = new Float64Array(k);
  for (const m of members) for (let c = 0; c < k; c++) mean[c]! += m[c]! / members.length;
  return mean;
}

/** BALD: entropy of the committee's mean minus the mean entropy of its members (bits, ≥ 0). */
export function baldScore(request: LabelRequest): number {
  const k = request.proposer.length;
  const members = [request.proposer, ...request.critics];
  let memberEntropy = 0;
  for (const m of members) memberEntropy += entropyBits(m, 0, k) / members.length;
  return Math.max(0, entropyBits(committeeMean(request), 0, k) - memberEntropy);
}

/**
 * The score of one request under `score` (`random` and `first` have no per-item score here: 0).
 * NaN dissonance scores as `-Infinity`, so such items are never preferred.
 */
export function scoreRequest(score: SelectionScore, request: LabelRequest): number {
  switch (score) {
    case 'dissonance':
      return Number.isNaN(request.dissonance) ? -Infinity : request.dissonance;
    case 'entropy':
      return entropyBits(request.proposer, 0, request.proposer.length);
    case 'margin':
      return marginScore(request.proposer);
    case 'least-confidence':
      return leastConfidenceScore(request.proposer);
    case 'consensus-margin':
      return marginScore(committeeMean(request));
    case 'bald':
      return baldScore(request);
    default:
      return 0;
  }
}
