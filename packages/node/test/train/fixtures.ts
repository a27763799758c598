import type { TrainingExample } from '@dissonance/core';
import { createPrng, fitMlp, initMlp, MlpModel, type TrainingData } from '@dissonance/core/mlp';

/** Features and classes of the retrain-load scenario: 32 features, 4 classes. */
export const WIDTH = 32;
export const CLASSES = 4;

/** Four Gaussian blobs in 32 dimensions: rows × WIDTH features and one label per row (seeded). */
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
    for (let i = 0; i < WIDTH; i++) x[r * WIDTH + i] = centers[c]![i]! + prng.normal();
  }
  return { x, labels };
}

function oneHot(x: Float32Array, labels: Int32Array): TrainingData {
  const targets = new Float64Array(labels.length * CLASSES);
  labels.forEach((label, r) => (targets[r * CLASSES + label] = 1));
  return {
    rows: labels.length,
    inputWidth: WIDTH,
    classes: CLASSES,
    x,
    targets,
    weights: new Float64Array(labels.length).fill(1),
    critics: [],
  };
}

/** An MLP 32→32→4 fitted for a few epochs on `rows` rows of seed `seed`. */
export function smallMlp(name: string, seed: number, rows = 400): MlpModel {
  const { x, labels } = blobs32(seed, rows);
  const fitted = fitMlp(initMlp({ inputWidth: WIDTH, hidden: [32], classes: CLASSES, seed }), oneHot(x, labels), {
    epochs: 3,
    seed,
  });
  return new MlpModel(fitted.weights, { name, version: '1' });
}

/** Hard-labelled training examples from seed `seed`. */
export function examples(seed: number, rows: number): TrainingExample[] {
  const { x, labels } = blobs32(seed, rows);
  return Array.from(
    { length: rows },
    (_, r) =>
      ({
        id: `e-${seed}-${r}`,
        x: x.slice(r * WIDTH, (r + 1) * WIDTH),
        target: { kind: 'hard', label: labels[r]! },
        weight: 1,
        provenance: { itemId: `e-${seed}-${r}`, origin: 'oracle', dissonance: 0.1, proposerVersion: '1', at: 0 },
      }) as TrainingExample,
  );
}
