import { consensusEntropy, jensenShannon, meanPairwiseJs, proposerVsCritics, type CommitteeDetector } from '@dissonance/core';
import type { ItemScore } from './quota-labels.js';

/** One way of choosing which items the oracle labels. */
export interface Strategy {
  readonly name: string;
  readonly label: string;
  readonly kind: 'default' | 'baseline' | 'ablation';
  readonly score: ItemScore;
  /** How dissonance is measured (members: the proposer, then the critics). */
  readonly detector: CommitteeDetector;
  /** Critics of the committee used (the first `critics` of it). */
  readonly critics: number;
  /** Runs only when named (`--strategies`), to keep the default run short. */
  readonly optIn?: boolean;
  /** Labels every streamed item (no budget). */
  readonly unlimited?: boolean;
}

/** The strategies the demo compares, the product's default first. */
export const STRATEGIES: readonly Strategy[] = [
  {
    name: 'dissonance',
    label: 'consensus entropy of proposer + 2 critics (default)',
    kind: 'default',
    score: 'dissonance',
    detector: consensusEntropy,
    critics: 2,
  },
  { name: 'random', label: 'random items', kind: 'baseline', score: 'random', detector: consensusEntropy, critics: 2 },
  { name: 'uncertainty', label: 'proposer entropy', kind: 'baseline', score: 'uncertainty', detector: consensusEntropy, critics: 2 },
  { name: 'ceiling', label: 'every stream label', kind: 'baseline', score: 'all', detector: consensusEntropy, critics: 2, unlimited: true },
  {
    name: 'js-one-critic',
    label: 'Jensen–Shannon, proposer vs one critic',
    kind: 'ablation',
    score: 'dissonance',
    detector: proposerVsCritics(jensenShannon),
    critics: 1,
  },
  {
    name: 'committee-js',
    label: 'mean pairwise JS of the committee (disagreement only)',
    kind: 'ablation',
    score: 'dissonance',
    detector: meanPairwiseJs,
    critics: 2,
    optIn: true,
  },
];
