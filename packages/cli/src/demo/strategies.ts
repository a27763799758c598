import {
  consensusEntropy,
  jensenShannon,
  meanPairwiseJs,
  proposerVsCritics,
  type CommitteeDetector,
} from '@dissonance/core';
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
  /** Window selection over this many recent items (0: per batch). */
  readonly window?: number;
  /** Share of the labels on random items (the control arm). */
  readonly controlFraction?: number;
  /** Runs only when named (`--strategies`), to keep the default run short. */
  readonly optIn?: boolean;
  /** Labels every streamed item (no budget). */
  readonly unlimited?: boolean;
}

const base = { detector: consensusEntropy, critics: 2 } as const;

/**
 * The strategies `demo` and `evaluate` compare, the product's default first. The default is what
 * `oracleLabels` does by default: the proposer's entropy, with 10 % of the labels on random items (the control
 * arm). Chosen on the bench/learning suite (docs/benchmarks.md) among the standard scores, not tuned: the
 * proposer's own uncertainty was the best or tied score on every pilot set, while the scores that average in
 * the critics (consensus entropy, committee margin, BALD) were diluted by critics refitted on few labels; the
 * random share is the usual guard against uncertainty sampling's bias (it keeps sampling the whole
 * distribution, so a region the model is wrongly sure about is still found) and measures the savings live.
 */
export const STRATEGIES: readonly Strategy[] = [
  {
    name: 'default',
    label: 'proposer entropy, 10 % random control arm (default)',
    kind: 'default',
    score: 'entropy',
    controlFraction: 0.1,
    ...base,
  },
  { name: 'random', label: 'random items', kind: 'baseline', score: 'random', ...base },
  { name: 'uncertainty', label: 'proposer entropy', kind: 'baseline', score: 'entropy', ...base },
  { name: 'margin', label: 'proposer margin (top-2 gap)', kind: 'baseline', score: 'margin', ...base },
  { name: 'ceiling', label: 'every stream label', kind: 'baseline', score: 'all', unlimited: true, ...base },
  {
    name: 'dissonance',
    label: 'consensus entropy of proposer + 2 critics (the old default)',
    kind: 'ablation',
    score: 'dissonance',
    ...base,
  },
  {
    name: 'least-confidence',
    label: 'proposer 1 − max p',
    kind: 'ablation',
    score: 'least-confidence',
    optIn: true,
    ...base,
  },
  { name: 'bald', label: 'committee mutual information (BALD)', kind: 'ablation', score: 'bald', optIn: true, ...base },
  {
    name: 'consensus-margin',
    label: 'committee margin, no control arm',
    kind: 'ablation',
    score: 'consensus-margin',
    optIn: true,
    ...base,
  },
  {
    name: 'entropy-window',
    label: 'proposer entropy over a window of 10 batches, 10 % control',
    kind: 'ablation',
    score: 'entropy',
    window: 320,
    controlFraction: 0.1,
    optIn: true,
    ...base,
  },
  {
    name: 'entropy-diverse',
    label: 'proposer entropy + k-center diversity, 10 % control',
    kind: 'ablation',
    score: 'entropy',
    diversity: 3,
    controlFraction: 0.1,
    optIn: true,
    ...base,
  },
  {
    name: 'margin-diverse',
    label: 'proposer margin + k-center diversity',
    kind: 'ablation',
    score: 'margin',
    diversity: 3,
    optIn: true,
    ...base,
  },
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

/** The `--strategies` help of `demo` and `evaluate`: what runs without the option, and what is opt-in. */
export const STRATEGIES_HELP = `strategies to run besides the default; without it: ${STRATEGIES.filter(
  (s) => s.kind !== 'default' && s.optIn !== true,
)
  .map((s) => s.name)
  .join(', ')}\n                        also: ${STRATEGIES.filter((s) => s.optIn === true)
  .map((s) => s.name)
  .join(', ')}`;
