import { join } from 'node:path';
import type { Dataset } from '@dissonance/core/mlp';
import type { OnnxNodeRuntime } from '@dissonance/node';
import type { RegistryChoice } from '../registry-factory/index.js';
import type { LoopSettings } from './loop-settings.js';
import { prepareSeed } from './seed-data.js';
import { fitSeedProposer } from './seed-proposer.js';
import { STRATEGIES, type Strategy } from './strategies.js';
import { runStrategy, type StrategyRun } from './strategy-run.js';

/** Retrain number of the injected regression. */
export const REGRESSION_AT = 2;

/** Everything one seed's runs need. */
export interface SeedInput {
  readonly data: Dataset;
  readonly dataset: string;
  readonly seed: number;
  readonly strategies: readonly Strategy[];
  readonly settings: LoopSettings;
  readonly budgetShare: number;
  /** Directory under which each strategy gets its file registry and store. */
  readonly root: string;
  /** Train the default strategy's candidate number {@link REGRESSION_AT} on flipped labels. */
  readonly injectRegression: boolean;
  /** ONNX bytes of the first proposer (default: an MLP fitted on the seed set); features are then left unscaled. */
  readonly proposer?: Uint8Array;
  /** Registry of the runs (default: a file registry per strategy under `root`). */
  readonly registry?: RegistryChoice;
}

/** The strategies to run: the default always, the others as asked (all but opt-in ones by default). */
export function selectStrategies(wanted: readonly string[] | undefined): readonly Strategy[] {
  return STRATEGIES.filter(
    (s) => s.kind === 'default' || (wanted === undefined ? s.optIn !== true : wanted.includes(s.name)),
  );
}

/**
 * One seed: split, fit the seed-set proposer, then run every strategy on the same stream, budget, trainer
 * and critics. Calls `onStrategy` after each strategy.
 */
export async function runSeed(
  input: SeedInput,
  runtime: OnnxNodeRuntime,
  onStrategy?: (what: string) => void,
): Promise<readonly (readonly [string, StrategyRun])[]> {
  const { data, dataset, seed, settings } = input;
  const seedData = prepareSeed(data, seed, undefined, input.proposer === undefined);
  const budget = Math.round(input.budgetShare * seedData.stream.rows);
  const proposer = input.proposer ?? fitSeedProposer(seedData, settings, `${dataset}-proposer`);
  const runs: (readonly [string, StrategyRun])[] = [];
  for (const strategy of input.strategies) {
    const run = await runStrategy({
      dataset,
      data: seedData,
      strategy,
      settings,
      budget,
      proposer,
      runtime,
      dir: join(input.root, dataset, `seed-${seed}`, strategy.name),
      ...(input.registry === undefined ? {} : { registry: input.registry }),
      ...(input.injectRegression && strategy.kind === 'default' ? { regressionAt: REGRESSION_AT } : {}),
    });
    runs.push([strategy.name, run]);
    onStrategy?.(`seed ${seed} ${strategy.name}`);
  }
  return runs;
}
