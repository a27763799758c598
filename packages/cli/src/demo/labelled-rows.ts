import type { TrainingData } from '@dissonance/core/mlp';

/** Labelled rows accumulated for fitting models from scratch (the seed set, then oracle labels). */
export class LabelledRows {
  readonly width: number;
  readonly classes: number;
  readonly #x: number[] = [];
  readonly #y: number[] = [];

  constructor(width: number, classes: number) {
    this.width = width;
    this.classes = classes;
  }

  get rows(): number {
    return this.#y.length;
  }

  /** Appends one row (copied). */
  add(x: Float32Array, label: number): void {
    for (let i = 0; i < this.width; i++) this.#x.push(x[i]!);
    this.#y.push(label);
  }

  /**
   * Packs the rows (or the rows at `pick`, repeats allowed: a bootstrap resample) as hard-label training data.
   */
  data(pick?: readonly number[]): TrainingData {
    const indexes = pick ?? this.#y.map((_, i) => i);
    const { width, classes } = this;
    const x = new Float32Array(indexes.length * width);
    const targets = new Float64Array(indexes.length * classes);
    indexes.forEach((r, i) => {
      for (let c = 0; c < width; c++) x[i * width + c] = this.#x[r * width + c]!;
      targets[i * classes + this.#y[r]!] = 1;
    });
    return {
      rows: indexes.length,
      inputWidth: width,
      classes,
      x,
      targets,
      weights: new Float64Array(indexes.length).fill(1),
      critics: [],
    };
  }
}
