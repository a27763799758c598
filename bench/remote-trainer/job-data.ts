import type { TrainingJob } from '../../packages/adapters/remote-trainer/src/index.js';

/** Shape of the bench's job. */
export interface JobShape {
  readonly rows: number;
  readonly width: number;
  readonly classes: number;
  readonly critics: number;
  readonly referenceRows: number;
}

/** A deterministic PRNG (mulberry32): the same job on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `rows` probability rows of `classes` (softmax of random logits). */
function probabilities(random: () => number, rows: number, classes: number): Float32Array {
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(3 * random());
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

/**
 * A job as `buildJob` makes one from a replay buffer: `rows` examples (uuid-like ids, features, nine in ten
 * targets hard and one in ten soft, weights, the engine's provenance JSON), each critic's probabilities on
 * them, the reference rows and the champion's probabilities on those.
 */
export function benchJob(shape: JobShape): TrainingJob {
  const { rows, width, classes } = shape;
  const random = prng(17);
  const x = new Float32Array(rows * width);
  for (let i = 0; i < x.length; i++) x[i] = random() * 16;
  const labels: (number | null)[] = [];
  const targets = new Float32Array(rows * classes);
  const soft = probabilities(random, rows, classes);
  const weights = new Float64Array(rows);
  const ids: string[] = [];
  const provenance: string[] = [];
  for (let r = 0; r < rows; r++) {
    const id = `item-${r.toString(16).padStart(8, '0')}-${Math.floor(random() * 1e9).toString(36)}`;
    ids.push(id);
    if (r % 10 === 9) {
      labels.push(null);
      targets.set(soft.subarray(r * classes, (r + 1) * classes), r * classes);
    } else {
      const label = Math.floor(random() * classes);
      labels.push(label);
      targets[r * classes + label] = 1;
    }
    weights[r] = r % 10 === 9 ? 0.5 : 1;
    provenance.push(
      JSON.stringify({
        itemId: id,
        origin: r % 10 === 9 ? 'pseudo' : 'oracle',
        dissonance: random(),
        proposerVersion: '7',
        at: 1_733_000_000_000 + r,
      }),
    );
  }
  return {
    jobId: '6f1c2a8e-9b4d-4c1e-8f3a-2d5e7b9c0a14',
    model: 'digits-proposer',
    baseVersion: '7',
    baseSha256: 'ab'.repeat(32),
    width,
    classes,
    ids,
    x,
    labels,
    targets,
    weights,
    provenance,
    criticProbs: Array.from({ length: shape.critics }, () => probabilities(random, rows, classes)),
    reference: Float32Array.from({ length: shape.referenceRows * width }, () => random() * 16),
    referenceRows: shape.referenceRows,
    referenceProbs: probabilities(random, shape.referenceRows, classes),
    constraints: { dTarget: 0.12, lambdaMax: 0.05, klEps: 0.25, seed: 1, divergence: 'jensen-shannon' },
    deadlineMs: 1_733_000_600_000,
  };
}
