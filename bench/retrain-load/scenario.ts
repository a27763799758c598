import {
  createEngine,
  oracleLabels,
  type Engine,
  type LoadedModel,
  type ModelRuntime,
  type Trainer,
} from '@dissonance/core';
import { createPrng, fitMlp, initMlp, MlpModel, type TrainingData } from '@dissonance/core/mlp';

/** The scenario: 32 features, 4 classes, batches of 64, a retrain every 2,000 examples. */
export const WIDTH = 32;
export const CLASSES = 4;
export const BATCH = 64;
export const EVERY = 2000;

/** Four Gaussian blobs in 32 dimensions (seeded): `rows × WIDTH` features and a label per row. */
export function blobs32(seed: number, rows: number): { x: Float32Array; labels: Int32Array } {
  const prng = createPrng(seed);
  const centers = Array.from({ length: CLASSES }, (_, c) =>
    Float32Array.from({ length: WIDTH }, (_, i) => Math.sin(c * 7.3 + i * 1.7) * 1.2),
  );
  const x = new Float32Array(rows * WIDTH);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(prng.next() * CLASSES) % CLASSES;
    labels[r] = c;
    for (let i = 0; i < WIDTH; i++) x[r * WIDTH + i] = centers[c]![i]! + 1.5 * prng.normal();
  }
  return { x, labels };
}

/** An MLP 32→32→4 fitted for a couple of epochs on its own seed's rows. */
export function smallMlp(name: string, seed: number): MlpModel {
  const { x, labels } = blobs32(seed, 600);
  const targets = new Float64Array(600 * CLASSES);
  labels.forEach((label, r) => (targets[r * CLASSES + label] = 1));
  const data: TrainingData = {
    rows: 600,
    inputWidth: WIDTH,
    classes: CLASSES,
    x,
    targets,
    weights: new Float64Array(600).fill(1),
    critics: [],
  };
  const fitted = fitMlp(initMlp({ inputWidth: WIDTH, hidden: [32], classes: CLASSES, seed }), data, {
    epochs: 2,
    seed,
  });
  return new MlpModel(fitted.weights, { name, version: '1' });
}

/** The stream: a fixed pool of rows cycled through, item ids carrying the row index. */
export const STREAM_ROWS = 64_000;
export const stream = blobs32(1, STREAM_ROWS);
export const golden = blobs32(2, 1000);

/** Batch `i` of the stream (ids unique across cycles, so every item is new). */
export function batch(i: number): { x: Float32Array; rows: number; ids: string[] } {
  const start = (i * BATCH) % STREAM_ROWS;
  return {
    x: stream.x.subarray(start * WIDTH, (start + BATCH) * WIDTH),
    rows: BATCH,
    ids: Array.from({ length: BATCH }, (_, r) => `${i}:${start + r}`),
  };
}

/** An engine on the scenario: every item labelled (oracle, no budget), the built-in thresholds opened up. */
export function scenarioEngine(
  proposer: LoadedModel,
  trainer: Trainer | undefined,
  runtime: ModelRuntime | undefined,
  canaryFraction = 0.1,
): Engine {
  return createEngine({
    modelName: 'load',
    proposer,
    critics: [smallMlp('critic-a', 4), smallMlp('critic-b', 5)],
    labels: oracleLabels(
      async (requests) => requests.map((r) => stream.labels[Number(r.itemId.slice(r.itemId.indexOf(':') + 1))]),
      {
        budget: Number.MAX_SAFE_INTEGER,
        pace: 'greedy',
      },
    ),
    ...(trainer === undefined ? {} : { trainer }),
    ...(runtime === undefined ? {} : { runtime }),
    golden: { x: golden.x, rows: 1000, labels: golden.labels },
    policy: { dissonanceThreshold: 0, maxDissonance: 1, dBudgetPerHour: 1e12, maxGoldenDrop: 0.05, klEps: 0.05 },
    retrain: { everyExamples: trainer === undefined ? 0 : EVERY },
    rollout: { canaryFraction },
    maxQueue: 1024,
  });
}
