import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY, DissonanceError } from '@dissonance/core';
import type { Dataset } from '@dissonance/core/mlp';
import type { CsvReadOptions } from '../cli/evaluate-csv.js';
import { OnnxNodeRuntime } from '@dissonance/node';
import type { RegistryChoice } from '../registry-factory/index.js';
import { DEFAULT_CRITICS } from './committee.js';
import type { DemoResult, DissonanceRound, StrategyResult, VersionRecord } from './demo-result.js';
import { loadDataset } from './load-dataset.js';
import { DEFAULT_SETTINGS, type LoopSettings } from './loop-settings.js';
import { meanSd } from './mean-sd.js';
import { prepareSeed } from './seed-data.js';
import type { Strategy } from './strategies.js';
import type { StrategyRun } from './strategy-run.js';
import { runSeed, selectStrategies, type SeedInput } from './run-seed.js';
import { runSeedsInChildren } from './seed-workers.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** `digits` (default) or `breast_cancer`; with `data`, the name the run is reported under. */
  readonly dataset?: string;
  /** The data set itself (instead of `<dataDir>/<dataset>.csv`). */
  readonly data?: Dataset;
  /** Where child processes read `data` from (a CSV and how to read it); needed for `workers` with `data`. */
  readonly csv?: { readonly path: string; readonly options: CsvReadOptions };
  /** ONNX bytes of the user's first proposer (instead of an MLP fitted on the seed set); features are then not standardized. */
  readonly proposer?: Uint8Array;
  /** Directory holding `<dataset>.csv` (default: the data sets shipped in `@dissonance/cli`, its `data/`). */
  readonly dataDir?: string;
  /** Oracle label budget as a fraction of the stream (default 0.15). */
  readonly budget?: number;
  /** Number of seeds (default 5; seeds 1…n). */
  readonly seeds?: number;
  /** Directory for file registries and stores (default: a temporary one, removed afterwards). */
  readonly dir?: string;
  /** Train the default strategy's second candidate of the first seed on flipped labels. */
  readonly injectRegression?: boolean;
  /** Names of the strategies to run (default all; the default strategy always runs). */
  readonly strategies?: readonly string[];
  readonly settings?: LoopSettings;
  /** Progress: called after every streamed batch with the batches done and in total. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
  /** Receives the raw runs, for tests (strategy → per-seed runs). */
  readonly onRun?: (strategy: string, seed: number, run: StrategyRun) => void;
  /**
   * Run seeds in this many child processes (each seed is independent; results are identical to a
   * single-process run). Needs `workerCommand`. Default 1: in process.
   */
  readonly workers?: number;
  /** The command that starts this CLI (`[node, ...execArgv, cli]`); children run `… demo-worker JSON`. */
  readonly workerCommand?: readonly string[];
  /**
   * Where versions are registered (default: a file registry per run under `dir`). With MLflow each seed ×
   * strategy run gets its own model (prefix + data set + strategy + seed) and its retrains are recorded as runs.
   */
  readonly registry?: RegistryChoice;
}

/** What one seed produced: each strategy's run, in strategy order. */
export type SeedRuns = readonly (readonly [strategy: string, run: StrategyRun])[];

export { REGRESSION_AT } from './run-seed.js';

/**
 * Runs the demo: for each seed, splits the data set (golden 20 %, seed set 5 %, stream), fits the proposer
 * on the seed set, then runs every strategy's loop over the same stream with the same budget, trainer and
 * critics, and gathers a {@link DemoResult}.
 *
 * @throws DissonanceError `E_INPUT` on a bad option or data set.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const dataset = options.dataset ?? 'digits';
  const budgetShare = options.budget ?? 0.15;
  const seedCount = options.seeds ?? 5;
  const settings = options.settings ?? DEFAULT_SETTINGS;
  if (!(budgetShare > 0 && budgetShare <= 1))
    throw new DissonanceError('E_INPUT', `budget must be in (0, 1], got ${budgetShare}`);
  if (!Number.isSafeInteger(seedCount) || seedCount < 1)
    throw new DissonanceError('E_INPUT', `seeds must be a positive integer, got ${seedCount}`);
  const wanted = options.strategies;
  const strategies = selectStrategies(wanted);
  const defaultStrategy = strategies[0]!;
  const data = options.data ?? loadDataset(dataset, options.dataDir);
  const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu', intraOpNumThreads: 1, interOpNumThreads: 1 });
  const tempDir = options.dir === undefined ? mkdtempSync(join(tmpdir(), 'dissonance-demo-')) : undefined;
  const root = options.dir ?? tempDir!;
  const runs = new Map<string, StrategyRun[]>(strategies.map((s) => [s.name, []]));
  let first: { versions: readonly VersionRecord[]; rounds: readonly DissonanceRound[]; champion: string } | undefined;
  const firstSeed = seeds[0]!;
  const bySeed = new Map<number, SeedRuns>();
  const order = strategies.map((st) => st.name);
  const record = (seed: number, seedRuns: SeedRuns): void => {
    const merged = [...(bySeed.get(seed) ?? []), ...seedRuns];
    bySeed.set(
      seed,
      merged.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])),
    );
  };
  const seedInput = (seed: number): SeedInput => ({
    data,
    dataset,
    seed,
    strategies,
    settings,
    budgetShare,
    root,
    injectRegression: seed === firstSeed && options.injectRegression === true,
    ...(options.proposer === undefined ? {} : { proposer: options.proposer }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  const total = strategies.length * seeds.length;
  let done = 0;
  try {
    const workers = Math.min(options.workers ?? 1, seeds.length * strategies.length);
    const childrenCanLoad = options.data === undefined || options.csv !== undefined;
    if (
      workers > 1 &&
      options.workerCommand !== undefined &&
      options.settings === undefined &&
      childrenCanLoad &&
      options.proposer === undefined
    ) {
      await runSeedsInChildren(
        options.workerCommand,
        seeds,
        workers,
        order,
        { ...options, dir: root },
        (seed, seedRuns) => {
          record(seed, seedRuns);
          done += seedRuns.length;
          options.onProgress?.(done, total, `seed ${seed}`);
        },
      );
    } else {
      for (const seed of seeds) {
        record(seed, await runSeed(seedInput(seed), runtime, (what) => options.onProgress?.(++done, total, what)));
      }
    }
  } finally {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
  for (const seed of seeds) {
    for (const [name, run] of bySeed.get(seed) ?? []) {
      runs.get(name)?.push(run);
      options.onRun?.(name, seed, run);
      if (seed === firstSeed && name === defaultStrategy.name)
        first = { versions: run.versions, rounds: run.rounds, champion: run.champion };
    }
  }
  const shape = prepareSeed(data, firstSeed, undefined, options.proposer === undefined);
  const split = {
    golden: shape.golden.rows,
    seedSet: shape.seedSet.rows,
    stream: shape.stream.rows,
    batch: settings.batch,
  };
  return {
    dataset,
    rows: data.rows,
    features: data.features.length,
    classes: data.classes,
    seeds,
    budget: budgetShare,
    split,
    proposer:
      options.proposer === undefined
        ? `MLP ${data.features.length}→${settings.hidden.join('→')}→${data.classes} (built-in trainer, served by ${runtime.name})`
        : `the given ONNX proposer (${data.features.length} inputs, ${data.classes} classes; served by ${runtime.name})`,
    critics: DEFAULT_CRITICS.slice(0, defaultStrategy.critics).map(
      (c) => `${c.name} (${c.hidden.length === 0 ? 'logistic regression' : `MLP ${c.hidden.join('→')}`})`,
    ),
    detector: defaultStrategy.detector.name,
    policy: { ...DEFAULT_POLICY, ...settings.policy },
    strategies: strategies.map((s) => summarize(s, runs.get(s.name)!)),
    rounds: first?.rounds ?? [],
    versions: first?.versions ?? [],
    injectRegression: options.injectRegression === true,
    champion: first?.champion ?? '',
    seconds: (performance.now() - started) / 1000,
  };
}

function summarize(strategy: Strategy, runs: readonly StrategyRun[]): StrategyResult {
  const points = runs[0]?.curve.length ?? 0;
  const curve = Array.from({ length: points }, (_, i) => ({
    labels: Math.round(runs.reduce((s, r) => s + r.curve[i]!.labels, 0) / runs.length),
    accuracy: meanSd(runs.map((r) => r.curve[i]!.accuracy)),
  }));
  return {
    name: strategy.name,
    label: strategy.label,
    kind: strategy.kind,
    seedOnly: meanSd(runs.map((r) => r.seedOnly)),
    final: meanSd(runs.map((r) => r.final)),
    labelsUsed: runs.reduce((s, r) => s + r.labelsUsed, 0) / Math.max(1, runs.length),
    perSeed: runs.map((r) => r.final),
    curve,
  };
}
