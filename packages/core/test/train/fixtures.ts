import type { TrainingExample } from '../../src/ports/batch.js';
import { createPrng, type Prng } from '../../src/train/prng.js';

/** `rows × classes` random probability rows: softmax of normal logits times `spread`. */
export function randomProbs(prng: Prng, rows: number, classes: number, spread = 1.5): Float64Array {
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(spread * prng.normal());
      out[r * classes + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/** Gaussian blobs: one center per class on a circle of radius `radius` in the first two features. */
export function blobs(
  seed: number,
  rows: number,
  width: number,
  classes: number,
  radius = 3,
): { x: Float32Array; labels: Int32Array } {
  const prng = createPrng(seed);
  const x = new Float32Array(rows * width);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = r % classes;
    labels[r] = label;
    const angle = (2 * Math.PI * label) / classes;
    for (let i = 0; i < width; i++) x[r * width + i] = prng.normal() * 0.7;
    x[r * width] = x[r * width]! + radius * Math.cos(angle);
    x[r * width + 1] = x[r * width + 1]! + radius * Math.sin(angle);
  }
  return { x, labels };
}

/** Training examples with hard labels, weight 1. */
export function hardExamples(x: Float32Array, labels: Int32Array, width: number): TrainingExample[] {
  return Array.from(labels, (label, r) => ({
    id: `item-${r}`,
    x: x.slice(r * width, (r + 1) * width),
    target: { kind: 'hard' as const, label },
    weight: 1,
    provenance: { itemId: `item-${r}`, origin: 'oracle' as const, dissonance: 0, proposerVersion: '1', at: 0 },
  }));
}

/** Fraction of rows whose argmax of `probs` equals the label. */
export function accuracy(probs: Float32Array, labels: Int32Array, classes: number): number {
  let hits = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + best]!) best = c;
    if (best === labels[r]) hits++;
  }
  return hits / labels.length;
}
