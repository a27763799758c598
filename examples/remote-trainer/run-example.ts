import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DissonanceError } from '@dissonance/core';
import { OnnxNodeRuntime } from '@dissonance/node';
import type { VersionRecord } from '../../packages/cli/src/demo/demo-result.js';
import { loadDataset } from '../../packages/cli/src/demo/load-dataset.js';
import { DEFAULT_SETTINGS } from '../../packages/cli/src/demo/loop-settings.js';
import { prepareSeed } from '../../packages/cli/src/demo/seed-data.js';
import { fitSeedProposer } from '../../packages/cli/src/demo/seed-proposer.js';
import { STRATEGIES } from '../../packages/cli/src/demo/strategies.js';
import { runStrategy, type StrategyRun } from '../../packages/cli/src/demo/strategy-run.js';
import { startPythonWorker } from './python-worker.js';
import { seedModelFromWorker } from './seed-model.js';
import { trainerForVia, workerArgsForVia, type Via, type ViaTrainer } from './trainer-for-via.js';

/** The proposer the worker retrains. */
export type ExampleModel = 'cnn' | 'sklearn';

/** Every `--model` value, with the handler the worker runs and how the tables name it. */
export const MODELS: Readonly<Record<ExampleModel, { readonly handler: string; readonly label: string }>> = {
  cnn: { handler: 'cnn_handler:handle', label: 'PyTorch CNN on [N, 1, 8, 8] (python/examples/cnn_handler.py)' },
  sklearn: {
    handler: 'example_handlers:gradient_boosting',
    label: 'scikit-learn gradient boosting, refitted (examples/remote-trainer/example_handlers.py)',
  },
};

/** Options of {@link runExample}. */
export interface ExampleOptions {
  readonly via: Via;
  readonly model: ExampleModel;
  /** Data seeds (each: its own split, seed set, stream and oracle). */
  readonly seeds: readonly number[];
  /** Oracle labels as a share of the stream (default 0.15, the demo's). */
  readonly budget?: number;
  /** Stream only the first this many rows of each seed's stream (default: all); for quick runs and tests. */
  readonly streamRows?: number;
  /** One attempt's limit in ms (default 300 000); the worker gets `retries` more attempts with the same job id. */
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Progress lines (default: none). */
  readonly onProgress?: (line: string) => void;
}

/** One path's runs, in seed order. */
export interface PathRuns {
  readonly runs: readonly StrategyRun[];
}

/** What {@link runExample} measured. */
export interface ExampleResult {
  readonly via: Via;
  readonly model: ExampleModel;
  readonly seeds: readonly number[];
  readonly budget: number;
  readonly split: {
    readonly golden: number;
    readonly seedSet: number;
    readonly stream: number;
    readonly batch: number;
  };
  /** The proposer retrained by the Python worker through `remoteTrainer`. */
  readonly remote: PathRuns;
  /** The demo's default path: the built-in MLP trainer, on the same seeds, stream and label budget. */
  readonly builtin: PathRuns;
  /** The remote trainer's job counts over the whole run (one seed-model job per seed included). */
  readonly jobs: {
    readonly sent: number;
    readonly completed: number;
    readonly retried: number;
    readonly timedOut: number;
    readonly refused: number;
  };
  readonly seconds: number;
}

/** How many versions of `runs` ended with `decision`. */
export function countDecisions(runs: readonly StrategyRun[], decision: VersionRecord['decision']): number {
  return runs.reduce((n, run) => n + run.versions.filter((v) => v.decision === decision).length, 0);
}

/**
 * Runs digits under the demo's protocol (golden 20 %, seed set 5 %, the rest streamed in batches of 32, 15 %
 * of the stream labelled by the paced oracle, the default selection strategy, a retrain every 7 batches) twice
 * per seed: with the proposer retrained by a Python worker it starts itself (through `remoteTrainer`, over
 * `via`), and with the built-in MLP trainer — the same split, critics, oracle and label budget. Every
 * candidate of both paths is validated on the golden set by the engine, as usual.
 * @throws DissonanceError `E_TRAINER` when the worker does not start, the transport's error when the broker
 * cannot be reached, and whatever a run throws (an engine `error` event fails the run).
 */
export async function runExample(options: ExampleOptions): Promise<ExampleResult> {
  const started = Date.now();
  const channelArgs = workerArgsForVia(options.via);
  const spec = MODELS[options.model];
  if (spec === undefined) throw new DissonanceError('E_CONFIG', `--model ${String(options.model)}: cnn or sklearn`);
  const budgetShare = options.budget ?? 0.15;
  const settings = DEFAULT_SETTINGS;
  const strategy = STRATEGIES.find((s) => s.kind === 'default')!;
  const dataset = loadDataset('digits');
  const runtime = new OnnxNodeRuntime({ executionProvider: 'cpu' });
  const checkpoints = mkdtempSync(join(tmpdir(), 'remote-trainer-example-'));
  const progress = options.onProgress ?? (() => undefined);
  progress(`starting the Python worker (${spec.handler}, --via ${options.via})`);
  const worker = await startPythonWorker({
    handler: spec.handler,
    channelArgs,
    env: { DISSONANCE_TRAINER_CHECKPOINTS: checkpoints },
  });
  let channel: ViaTrainer | undefined;
  try {
    channel = await trainerForVia(options.via, worker, {
      runtime,
      timeoutMs: options.timeoutMs ?? 300_000,
      retries: options.retries ?? 2,
      retryDelayMs: 1000,
    });
    const trainer = channel.trainer;
    const remote: StrategyRun[] = [];
    const builtin: StrategyRun[] = [];
    let split = { golden: 0, seedSet: 0, stream: 0, batch: settings.batch };
    for (const seed of options.seeds) {
      const full = prepareSeed(dataset, seed);
      const data =
        options.streamRows === undefined || options.streamRows >= full.stream.rows
          ? full
          : {
              ...full,
              stream: {
                x: full.stream.x.slice(0, options.streamRows * full.width),
                rows: options.streamRows,
                labels: full.stream.labels.slice(0, options.streamRows),
                ids: full.stream.ids.slice(0, options.streamRows),
              },
            };
      split = { golden: data.golden.rows, seedSet: data.seedSet.rows, stream: data.stream.rows, batch: settings.batch };
      const budget = Math.round(budgetShare * data.stream.rows);
      const name = 'digits-proposer';
      const common = { dataset: 'digits', data, strategy, settings, budget, runtime } as const;

      builtin.push(await runStrategy({ ...common, proposer: fitSeedProposer(data, settings, name) }));
      progress(`seed ${seed}: built-in MLP final ${(builtin.at(-1)!.final * 100).toFixed(2)}%`);

      const seedModel = await seedModelFromWorker(trainer, data, settings, strategy.detector, name);
      remote.push(await runStrategy({ ...common, proposer: seedModel, trainer }));
      progress(
        `seed ${seed}: remote ${options.model} seed set ${(remote.at(-1)!.seedOnly * 100).toFixed(2)}%, final ${(remote.at(-1)!.final * 100).toFixed(2)}% (${trainer.jobs.completed} jobs so far)`,
      );
    }
    const { sent, completed, retried, timedOut, refused } = trainer.jobs;
    return {
      via: options.via,
      model: options.model,
      seeds: options.seeds,
      budget: budgetShare,
      split,
      remote: { runs: remote },
      builtin: { runs: builtin },
      jobs: { sent, completed, retried, timedOut, refused },
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await channel?.close();
    await worker.stop();
    rmSync(checkpoints, { recursive: true, force: true });
  }
}
