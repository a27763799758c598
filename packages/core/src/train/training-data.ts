import { DissonanceError } from '../errors.js';
import type { TrainingExample } from '../ports/batch.js';

/** Examples packed for training: features, dense targets, weights and critic outputs, row-major. */
export interface TrainingData {
  /** Number of rows. */
  readonly rows: number;
  /** Features per row. */
  readonly inputWidth: number;
  /** Classes per row. */
  readonly classes: number;
  /** `rows × inputWidth` features. */
  readonly x: Float32Array;
  /** `rows × classes` target distributions (hard labels as one-hot rows). */
  readonly targets: Float64Array;
  /** `rows` sample weights, each > 0. */
  readonly weights: Float64Array;
  /** Each critic's `rows × classes` probabilities on `x` (empty without critics). */
  readonly critics: readonly Float64Array[];
}

function inputError(index: number, id: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `training example ${index} (${id}): ${problem}`, { details: { index, id } });
}

/**
 * Packs examples into {@link TrainingData} (without critics), checking every one: features of length
 * `inputWidth`, all finite; a hard label that is an integer in [0, classes); a soft target of `classes`
 * finite, non-negative values with a positive sum; a finite weight > 0.
 *
 * @throws DissonanceError `E_INPUT` naming the first bad example and the problem;
 *   `E_TRAINER` when there are no examples.
 */
export function packExamples(examples: readonly TrainingExample[], inputWidth: number, classes: number): TrainingData {
  const rows = examples.length;
  if (rows === 0) throw new DissonanceError('E_TRAINER', 'no training examples: nothing to fit');
  const x = new Float32Array(rows * inputWidth);
  const targets = new Float64Array(rows * classes);
  const weights = new Float64Array(rows);
  examples.forEach((example, r) => {
    const id = String(example.id);
    if (!(example.x instanceof Float32Array) || example.x.length !== inputWidth) {
      const got = example.x instanceof Float32Array ? `${example.x.length} features` : typeof example.x;
      throw inputError(r, id, `x has ${got}, expected a Float32Array of ${inputWidth}`);
    }
    for (let i = 0; i < inputWidth; i++) {
      if (!Number.isFinite(example.x[i]!)) throw inputError(r, id, `x[${i}] is ${example.x[i]}`);
    }
    x.set(example.x, r * inputWidth);
    const target = example.target;
    if (target.kind === 'hard') {
      const label = target.label;
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw inputError(r, id, `label ${label} is not an integer in [0, ${classes})`);
      }
      targets[r * classes + label] = 1;
    } else if (target.kind === 'soft') {
      const probs = target.probs;
      if (!(probs instanceof Float32Array) || probs.length !== classes) {
        throw inputError(r, id, `soft target must be a Float32Array of ${classes} probabilities`);
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const v = probs[c]!;
        if (!Number.isFinite(v) || v < 0)
          throw inputError(r, id, `soft target[${c}] is ${v}, expected a finite value ≥ 0`);
        sum += v;
      }
      if (!(sum > 0)) throw inputError(r, id, 'soft target sums to 0');
      targets.set(probs, r * classes);
    } else {
      throw inputError(r, id, `unknown target kind ${String((target as { kind?: unknown }).kind)}`);
    }
    const weight = example.weight;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw inputError(r, id, `weight ${String(weight)} is not a finite number > 0`);
    }
    weights[r] = weight;
  });
  return { rows, inputWidth, classes, x, targets, weights, critics: [] };
}

/** {@link TrainingData} from plain arrays: `rows × inputWidth` features and one hard label per row, weight 1. */
export function hardLabelData(
  x: Float32Array,
  labels: ArrayLike<number>,
  inputWidth: number,
  classes: number,
): TrainingData {
  const rows = labels.length;
  if (x.length !== rows * inputWidth) {
    throw new DissonanceError('E_INPUT', `hardLabelData: x has ${x.length} values, expected ${rows} × ${inputWidth}`);
  }
  const targets = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new DissonanceError(
        'E_INPUT',
        `hardLabelData: label ${label} of row ${r} is not an integer in [0, ${classes})`,
      );
    }
    targets[r * classes + label] = 1;
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new DissonanceError('E_INPUT', `hardLabelData: x[${i}] is ${x[i]}`);
  }
  return { rows, inputWidth, classes, x, targets, weights: new Float64Array(rows).fill(1), critics: [] };
}
