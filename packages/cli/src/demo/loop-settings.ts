import type { PolicyPatch } from '@dissonance/core';

/** The knobs of the demo's loop, the same for every strategy. */
export interface LoopSettings {
  /** Rows per streamed batch. */
  readonly batch: number;
  /** Hidden layers of the proposer. */
  readonly hidden: readonly number[];
  /** Fit of the first proposer on the seed set. */
  readonly seedEpochs: number;
  readonly seedLearningRate: number;
  /**
   * Fits of the built-in trainer: `createMlpTrainer`'s defaults refit from fresh weights for at least 600 steps
   * while the replay buffer holds fewer than 2,000 examples (every run of the suite), else warm-start from the
   * champion for `retrainEpochs`.
   */
  readonly retrainEpochs: number;
  readonly retrainLearningRate: number;
  readonly retrainBatchSize: number;
  /** Retrain (and refit the critics) after this many batches, and after the last. */
  readonly retrainEveryBatches: number;
  /** Policy of the loop (printed and recorded). */
  readonly policy: PolicyPatch;
}

/**
 * Defaults: a 64-unit MLP proposer; a retrain every 7 batches (6 per stream on digits), by the built-in
 * trainer's defaults (a refit from fresh weights to at least 600 steps while the buffer is under 2,000 examples);
 * `klEps` 0.25 (the POC's 0.02 lets a warm-started model move too little per round to learn from ~30 new
 * labels). Every other policy value is the engine's default: items above `maxDissonance` go to the oracle
 * first, the hourly bucket (10⁶) does not defer this stream, and the label budget is paced by the label
 * source (`oracleLabels({ budget, pace: { items } })`).
 */
export const DEFAULT_SETTINGS: LoopSettings = {
  batch: 32,
  hidden: [64],
  seedEpochs: 100,
  seedLearningRate: 5e-3,
  retrainEpochs: 10,
  retrainLearningRate: 5e-3,
  retrainBatchSize: 32,
  retrainEveryBatches: 7,
  policy: { klEps: 0.25, maxGoldenDrop: 0.015 },
};
