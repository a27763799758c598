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
  /** k-center diversity factor of the oracle (1: off). */
  readonly diversity?: number;
  /** Share of the labels on random items (the control arm). */
  readonly controlFraction?: number;
  /** Runs only when named (`--strategies`), to keep the default run short. */
  readonly optIn?: boolean;
  /** Labels every streamed item (no budget). */
  readonly unlimited?: boolean;
}

const base = { detector: consensusEntropy, critics: 2 } as const;

/**
 * The strategies `demo` and `evaluate` compare, the product's default first. The default is the committee's
 * margin (proposer + 2 critics, mean probabilities) with k-center diversity among the best 3k of a batch and
 * the 10 % random control arm that `oracleLabels` ships with: margin is the uncertainty score that does not
 * chase rare-class tails (entropy) or the critics' own mistakes (disagreement only), diversity keeps a quota
 * off near-duplicates, the control arm keeps exploring — see docs/benchmarks.md (bench/learning).
 */
export const STRATEGIES: readonly Strategy[] = [
  {
    name: 'default',
    label: 'committee margin, 10 % random control (default)',
    kind: 'default',
    score: 'consensus-margin',
    controlFraction: 0.1,
    ...base,
  },
  { name: 'random', label: 'random items', kind: 'baseline', score: 'random', ...base },
  { name: 'uncertainty', label: 'proposer entropy', kind: 'baseline', score: 'entropy', ...base },
  { name: 'margin', label: 'proposer margin (top-2 gap)', kind: 'baseline', score: 'margin', ...base },
  { name: 'ceiling', label: 'every stream label', kind: 'baseline', score: 'all', unlimited: true, ...base },
  { name: 'dissonance', label: 'consensus entropy of proposer + 2 critics (the old default)', kind: 'ablation', score: 'dissonance', ...base },
  { name: 'least-confidence', label: 'proposer 1 − max p', kind: 'ablation', score: 'least-confidence', optIn: true, ...base },
  { name: 'bald', label: 'committee mutual information (BALD)', kind: 'ablation', score: 'bald', optIn: true, ...base },
  { name: 'consensus-margin', label: 'committee margin, no control arm', kind: 'ablation', score: 'consensus-margin', optIn: true, ...base },
  { name: 'default-diverse', label: 'committee margin + k-center diversity, 10 % control', kind: 'ablation', score: 'consensus-margin', diversity: 3, controlFraction: 0.1, optIn: true, ...base },
  { name: 'margin-diverse', label: 'proposer margin + k-center diversity', kind: 'ablation', score: 'margin', diversity: 3, optIn: true, ...base },
  {
    name: 'js-one-critic',
    label: 'Jensen–Shannon, proposer vs one critic',
    kind: 'ablation',
    score: 'dissonance',
    detector: proposerVsCritics(jensenShannon),
    critics: 1,
    optIn: true,
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
