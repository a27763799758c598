import type { GoldenSet, TrainingExample } from '@dissonance/core';
import {
  deriveSeed,
  fitMlp,
  fitStandardScaler,
  initMlp,
  MlpModel,
  seededSplit,
  writeOnnxMlp,
  type Dataset,
  type MlpWeights,
  type StandardScaler,
} from '@dissonance/core/mlp';
import { LabelledRows } from '../demo/labelled-rows.js';
import { DEFAULT_SETTINGS } from '../demo/loop-settings.js';

/** Raw-feature rows of one part of the split, with labels and ids. */
export interface RawPart {
  readonly x: Float32Array;
  readonly rows: number;
  readonly labels: Int32Array;
  readonly ids: readonly string[];
}

/** What `dissonance serve` starts from: a champion, a critic and the data around them. */
export interface ServeModels {
  readonly width: number;
  readonly classes: number;
  /** ONNX bytes of the proposer; it takes raw features (the scaler is folded into its first layer). */
  readonly proposer: Uint8Array;
  /** The critic, raw features too. */
  readonly critic: MlpModel;
  /** Golden holdout (raw features). */
  readonly golden: GoldenSet;
  /** Rows both models were fitted on (raw features): the KL reference and the first replay buffer. */
  readonly seedSet: RawPart;
  /** The remaining rows (raw features), never seen by the models. */
  readonly stream: RawPart;
}

/** Options of {@link buildServeModels}. */
export interface ServeModelsOptions {
  /** Registered model name, e.g. `digits-proposer`. */
  readonly name: string;
  readonly seed?: number;
  /** Shares of the rows held out as golden set and used to fit the models (defaults 0.2 and 0.3). */
  readonly golden?: number;
  readonly seedSet?: number;
}

/**
 * Fits the proposer and one critic the way the demo does (the demo's MLP settings and its first committee
 * critic, on a seeded stratified split, standardized features), then folds the standardization into each
 * model's first layer, so both — and every candidate the trainer fine-tunes from them — take the data set's
 * raw features: HTTP clients and browsers send rows exactly as they are in the CSV.
 */
export function buildServeModels(data: Dataset, options: ServeModelsOptions): ServeModels {
  const seed = options.seed ?? 1;
  const width = data.features.length;
  const split = seededSplit(data.rows, {
    seed,
    golden: options.golden ?? 0.2,
    seedSet: options.seedSet ?? 0.3,
    labels: data.labels,
  });
  const scaler = fitStandardScaler(data.x, width, [...split.seedSet, ...split.stream]);
  const part = (indexes: readonly number[]): RawPart => {
    const x = new Float32Array(indexes.length * width);
    indexes.forEach((r, i) => x.set(data.x.subarray(r * width, (r + 1) * width), i * width));
    return {
      x,
      rows: indexes.length,
      labels: Int32Array.from(indexes, (r) => data.labels[r]!),
      ids: indexes.map((r) => `row-${r}`),
    };
  };
  const seedSet = part(split.seedSet);
  const golden = part(split.golden);
  const rows = new LabelledRows(width, data.classes);
  const scaled = scaler.transform(seedSet.x, seedSet.rows);
  for (let r = 0; r < seedSet.rows; r++) rows.add(scaled.subarray(r * width, (r + 1) * width), seedSet.labels[r]!);
  const settings = DEFAULT_SETTINGS;
  const fit = (hidden: readonly number[], salt: number): MlpWeights => {
    const s = deriveSeed(seed, salt);
    const initial = initMlp({ inputWidth: width, hidden, classes: data.classes, seed: s });
    const { weights } = fitMlp(initial, rows.data(), {
      epochs: settings.seedEpochs,
      batchSize: 16,
      learningRate: settings.seedLearningRate,
      l2: 1e-4,
      seed: deriveSeed(s, 1),
    });
    return foldScaler(weights, scaler);
  };
  const proposer = writeOnnxMlp(fit(settings.hidden, 11), {
    graphName: options.name,
    metadata: { 'dissonance.trained_on': 'seed-set' },
  });
  const critic = new MlpModel(fit([32], 23), { name: `${options.name}-critic`, version: 'seed-set' });
  return {
    width,
    classes: data.classes,
    proposer,
    critic,
    golden: { x: golden.x, rows: golden.rows, labels: golden.labels, ids: golden.ids },
    seedSet,
    stream: part(split.stream),
  };
}

/** The seed set as hard-label training examples (origin `oracle`: labelled data the operator trusts). */
export function seedExamples(part: RawPart, width: number): TrainingExample[] {
  return Array.from({ length: part.rows }, (_, r) => ({
    id: part.ids[r]!,
    x: part.x.slice(r * width, (r + 1) * width),
    target: { kind: 'hard', label: part.labels[r]! },
    weight: 1,
    provenance: { itemId: part.ids[r]!, origin: 'oracle', dissonance: 0, proposerVersion: 'seed-set', at: 0 },
  }));
}

/**
 * Folds `z = (x − mean) / scale` into the first dense layer: `W' = W / scale` (per input row), `b' = b − Σ W'·mean`,
 * so the model computes the same function of raw `x`.
 */
export function foldScaler(weights: MlpWeights, scaler: StandardScaler): MlpWeights {
  const [first, ...rest] = weights.layers;
  if (first === undefined) return weights;
  const weight = new Float32Array(first.weight.length);
  const bias = Float64Array.from(first.bias);
  for (let i = 0; i < first.inputs; i++) {
    const scale = scaler.scale[i]!;
    const mean = scaler.mean[i]!;
    for (let o = 0; o < first.outputs; o++) {
      const w = first.weight[i * first.outputs + o]! / scale;
      weight[i * first.outputs + o] = w;
      bias[o] = bias[o]! - w * mean;
    }
  }
  return { ...weights, layers: [{ ...first, weight, bias: Float32Array.from(bias) }, ...rest] };
}
