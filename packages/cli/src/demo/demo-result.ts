import type { Policy } from '@dissonance/core';

/** Mean and sample standard deviation over seeds. */
export interface MeanSd {
  readonly mean: number;
  readonly sd: number;
}

/** One point of a learning curve: labels the oracle gave so far and golden accuracy then. */
export interface CurvePoint {
  /** Oracle labels used so far (the seed set not counted). */
  readonly labels: number;
  /** Golden accuracy (0–1) of the serving champion, mean ± sd over seeds. */
  readonly accuracy: MeanSd;
}

/** One strategy's results over all seeds. */
export interface StrategyResult {
  /** Machine name: `dissonance` (the product's default), `random`, `uncertainty`, `ceiling`, ablations… */
  readonly name: string;
  /** Words for a person. */
  readonly label: string;
  /** `default`, `baseline` or `ablation`. */
  readonly kind: 'default' | 'baseline' | 'ablation';
  /** Golden accuracy of the champion trained on the seed set only (same for every strategy of a seed). */
  readonly seedOnly: MeanSd;
  /** Final golden accuracy of the champion at the end of the stream. */
  readonly final: MeanSd;
  /** Oracle labels used (mean over seeds). */
  readonly labelsUsed: number;
  /** Final accuracy per seed, in seed order. */
  readonly perSeed: readonly number[];
  readonly curve: readonly CurvePoint[];
}

/** The dissonance values seen in one round (between two retrains) of the default strategy, first seed. */
export interface DissonanceRound {
  readonly round: number;
  /** Histogram over [0, upper] in `bins.length` equal bins (counts of items). */
  readonly bins: readonly number[];
  readonly upper: number;
  readonly mean: number;
  readonly items: number;
}

/** One model version of the default strategy's run on the first seed. */
export interface VersionRecord {
  readonly version: string;
  readonly parent?: string;
  /** Round (retrain count) at which it was made; 0 for the seed-set model. */
  readonly round: number;
  readonly goldenAccuracy: number;
  readonly labelsUsed: number;
  readonly dissonanceMean: number;
  readonly kl: number;
  /** What happened to it. */
  readonly decision: 'initial' | 'promoted' | 'rejected' | 'rolled-back';
  readonly reason: string;
}

/** Everything the demo measured: printed by `--json`, rendered by the HTML report. */
export interface DemoResult {
  readonly dataset: string;
  readonly rows: number;
  readonly features: number;
  readonly classes: number;
  readonly seeds: readonly number[];
  /** Label budget as a fraction of the stream. */
  readonly budget: number;
  readonly split: {
    readonly golden: number;
    readonly seedSet: number;
    readonly stream: number;
    readonly batch: number;
  };
  readonly proposer: string;
  readonly critics: readonly string[];
  readonly detector: string;
  readonly policy: Policy;
  readonly strategies: readonly StrategyResult[];
  readonly rounds: readonly DissonanceRound[];
  readonly versions: readonly VersionRecord[];
  /** True when `--inject-regression` was given; the versions then include the caught regression. */
  readonly injectRegression: boolean;
  /** Registry champion at the end of the first seed's default run. */
  readonly champion: string;
  readonly seconds: number;
}
