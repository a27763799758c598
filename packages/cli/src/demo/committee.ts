import type { LoadedModel } from '@dissonance/core';
import { createPrng, deriveSeed, fitMlp, initMlp, mlpForward, type MlpWeights } from '@dissonance/core/mlp';
import type { LabelledRows } from './labelled-rows.js';

/** How one critic of the committee is built: its architecture and whether it sees a bootstrap resample. */
export interface CriticSpec {
  readonly name: string;
  /** Hidden layer widths (`[]`: logistic regression). */
  readonly hidden: readonly number[];
  /** Fit on a bootstrap resample of the labelled rows instead of the rows themselves. */
  readonly bootstrap: boolean;
  /** Optimizer steps per refit (whatever the number of rows, so a refit costs the same late as early). */
  readonly steps: number;
  readonly learningRate: number;
}

/**
 * The demo's committee: different architectures, seeds and bootstrap resamples of the same labelled rows.
 * (A logistic-regression third critic was tried: its disagreement mostly pointed at its own mistakes and
 * cost about a point of final accuracy on digits.)
 */
export const DEFAULT_CRITICS: readonly CriticSpec[] = [
  { name: 'mlp-32-bootstrap', hidden: [32], bootstrap: true, steps: 150, learningRate: 5e-3 },
  { name: 'mlp-64-bootstrap', hidden: [64], bootstrap: true, steps: 150, learningRate: 5e-3 },
];

/**
 * A critic that learns: a TypeScript MLP whose weights are replaced by {@link refit}, so the engine's
 * critic list stays the same object while the critics learn from the oracle's labels.
 */
export class LearningCritic implements LoadedModel {
  readonly name: string;
  readonly inputWidth: number;
  readonly classes: number;
  readonly spec: CriticSpec;
  readonly #seed: number;
  #weights: MlpWeights | undefined;
  #fits = 0;

  constructor(spec: CriticSpec, inputWidth: number, classes: number, seed: number) {
    this.spec = spec;
    this.name = `critic-${spec.name}`;
    this.inputWidth = inputWidth;
    this.classes = classes;
    this.#seed = seed;
  }

  /** `fit-<n>`: changes with every refit. */
  get version(): string {
    return `fit-${this.#fits}`;
  }

  /** Fits so far: the next fit's seed is derived from it. */
  get fits(): number {
    return this.#fits;
  }

  /**
   * Continues the fit count a previous process reached (a restarted stage), so the next fit draws the same seed as
   * in a process that never stopped. The current weights stay until that fit.
   */
  restoreFits(fits: number): void {
    if (Number.isSafeInteger(fits) && fits > this.#fits) this.#fits = fits;
  }

  /** Fits from scratch on `rows` (a bootstrap resample of them when the spec says so); deterministic per seed and fit. */
  refit(rows: LabelledRows): void {
    const seed = deriveSeed(this.#seed, this.#fits);
    const prng = createPrng(seed);
    const pick = this.spec.bootstrap ? Array.from({ length: rows.rows }, () => prng.int(rows.rows)) : undefined;
    const initial = initMlp({ inputWidth: this.inputWidth, hidden: this.spec.hidden, classes: this.classes, seed });
    const batchSize = 32;
    const epochs = Math.max(1, Math.round((this.spec.steps * batchSize) / rows.rows));
    this.#weights = fitMlp(initial, rows.data(pick), {
      epochs,
      batchSize,
      learningRate: this.spec.learningRate,
      l2: 1e-4,
      seed: deriveSeed(seed, 1),
    }).weights;
    this.#fits++;
  }

  run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#weights === undefined) return Promise.reject(new Error(`${this.name}: not fitted`));
    return Promise.resolve(mlpForward(this.#weights, x, rows));
  }
}
