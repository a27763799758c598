import type { EngineConfig, TrainingExample } from '@dissonance/core';
import { createMlpTrainer } from '@dissonance/core/mlp';
import type { OnnxNodeRuntime } from '@dissonance/node';
import { DEFAULT_CRITICS, LearningCritic } from './committee.js';
import { LabelledRows } from './labelled-rows.js';
import type { LoopSettings } from './loop-settings.js';
import { quotaOracle, type QuotaOracle } from './quota-labels.js';
import type { SeedData } from './seed-data.js';
import { servedTrainer } from './served-trainer.js';
import type { Strategy } from './strategies.js';

/**
 * The pieces one run of the demo's loop is built from, shared by the in-process run (`runStrategy`) and the
 * stages of the distributed run, so both make the same decisions.
 */

/** The seed set as labelled rows (what the critics are first fitted on) and as the replay buffer's first examples. */
export function seedSetParts(data: SeedData): { labelled: LabelledRows; seedExamples: TrainingExample[] } {
  const { width, classes } = data;
  const labelled = new LabelledRows(width, classes);
  const seedExamples: TrainingExample[] = [];
  for (let r = 0; r < data.seedSet.rows; r++) {
    const x = data.seedSet.x.slice(r * width, (r + 1) * width);
    labelled.add(x, data.seedSet.labels[r]!);
    const id = data.seedSet.ids[r]!;
    seedExamples.push({
      id,
      x,
      target: { kind: 'hard', label: data.seedSet.labels[r]! },
      weight: 1,
      provenance: { itemId: id, origin: 'feedback', dissonance: 0, proposerVersion: 'seed-set', at: 0 },
    });
  }
  return { labelled, seedExamples };
}

/** The strategy's committee of learning critics, seeded per data seed and fitted on `labelled`. */
export function fittedCritics(data: SeedData, strategy: Strategy, labelled: LabelledRows): LearningCritic[] {
  const critics = DEFAULT_CRITICS.slice(0, strategy.critics).map(
    (spec, i) => new LearningCritic(spec, data.width, data.classes, data.seed * 101 + i),
  );
  critics.forEach((c) => c.refit(labelled));
  return critics;
}

/** Stream row of each item id. */
export function streamRows(data: SeedData): Map<string, number> {
  const rows = new Map<string, number>();
  data.stream.ids.forEach((id, r) => rows.set(id, r));
  return rows;
}

/** The paced oracle of the strategy over the stream (its seed derived from the data seed). */
export function strategyOracle(
  data: SeedData,
  strategy: Strategy,
  options: {
    budget: number;
    batches: number;
    streamRow: ReadonlyMap<string, number>;
    onLabel: (ids: readonly string[]) => void;
  },
): QuotaOracle {
  return quotaOracle({
    score: strategy.score,
    budget: strategy.unlimited === true ? Infinity : options.budget,
    items: data.stream.rows,
    ...(strategy.diversity === undefined ? {} : { diversity: strategy.diversity }),
    ...(strategy.controlFraction === undefined ? {} : { controlFraction: strategy.controlFraction }),
    ...(strategy.window === undefined ? {} : { window: strategy.window }),
    truth: (id) => data.stream.labels[options.streamRow.get(id)!]!,
    seed: data.seed * 7919 + 17,
    onLabel: options.onLabel,
  });
}

/**
 * The demo's trainer: the built-in MLP trainer with its defaults for `refitBelow` and `minSteps` (a refit from
 * fresh weights while the buffer is small, else a warm start from the champion), candidates served by
 * onnxruntime-node.
 */
export function loopTrainer(
  settings: LoopSettings,
  runtime: OnnxNodeRuntime,
  regressionAt?: number,
): ReturnType<typeof servedTrainer> {
  return servedTrainer({
    inner: createMlpTrainer({
      hidden: settings.hidden,
      epochs: settings.retrainEpochs,
      batchSize: settings.retrainBatchSize,
      learningRate: settings.retrainLearningRate,
      warmStart: true,
    }),
    runtime,
    ...(regressionAt === undefined ? {} : { regressionAt }),
  });
}

/**
 * The engine settings every run of the demo's loop shares: validation on the golden holdout, the KL guard's
 * reference set (the seed set), the policy, inline retrains only when asked (`retrainNow`), no canary, one batch
 * at a time.
 */
export function loopEngineSettings(
  data: SeedData,
  settings: LoopSettings,
): Pick<EngineConfig, 'golden' | 'reference' | 'policy' | 'retrain' | 'rollout' | 'concurrency'> {
  return {
    golden: data.golden,
    reference: { x: data.seedSet.x, rows: data.seedSet.rows },
    policy: settings.policy,
    retrain: { everyExamples: 0, minExamples: 1, mode: 'inline', seed: data.seed },
    rollout: { canaryFraction: 0 },
    concurrency: 1,
  };
}
