import { DissonanceError } from '../errors.js';
import { createPrng } from './prng.js';
import type { DenseLayer, MlpWeights } from './mlp-weights.js';

/** Options of {@link initMlp}. */
export interface InitMlpOptions {
  /** Features per row. */
  readonly inputWidth: number;
  /** Hidden layer widths; `[]` gives logistic regression. */
  readonly hidden: readonly number[];
  /** Number of classes (≥ 2). */
  readonly classes: number;
  /** Seed of the initial weights. */
  readonly seed: number;
}

/**
 * Fresh MLP weights: ReLU hidden layers with He-normal weights (`σ = √(2 / fan_in)`), the output layer
 * with Glorot-normal weights (`σ = √(2 / (fan_in + fan_out))`), all biases 0. Deterministic in `seed`.
 *
 * @throws DissonanceError `E_CONFIG` when a width is not a positive integer or `classes` < 2.
 */
export function initMlp(options: InitMlpOptions): MlpWeights {
  const { inputWidth, hidden, classes, seed } = options;
  const positive = (value: number): boolean => Number.isSafeInteger(value) && value >= 1;
  if (!positive(inputWidth))
    throw new DissonanceError('E_CONFIG', `initMlp: inputWidth must be a positive integer, got ${inputWidth}`);
  if (!positive(classes) || classes < 2)
    throw new DissonanceError('E_CONFIG', `initMlp: classes must be an integer ≥ 2, got ${classes}`);
  if (!hidden.every(positive))
    throw new DissonanceError(
      'E_CONFIG',
      `initMlp: hidden widths must be positive integers, got [${hidden.join(', ')}]`,
    );
  const prng = createPrng(seed);
  const widths = [inputWidth, ...hidden, classes];
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    const last = l + 2 === widths.length;
    const std = last ? Math.sqrt(2 / (inputs + outputs)) : Math.sqrt(2 / inputs);
    const weight = new Float32Array(inputs * outputs);
    for (let i = 0; i < weight.length; i++) weight[i] = std * prng.normal();
    layers.push({ inputs, outputs, weight, bias: new Float32Array(outputs), activation: last ? 'none' : 'relu' });
  }
  return { inputWidth, classes, layers };
}
