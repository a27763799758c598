import { DissonanceError } from '../errors.js';
import type { LoadedModel } from '../ports/model.js';

/**
 * Checks that a critic has the model's shape.
 *
 * @throws DissonanceError `E_INPUT` when the critic's width or classes differ from the model's.
 */
export function checkCriticShape(critic: LoadedModel, inputWidth: number, classes: number): void {
  if (critic.inputWidth !== inputWidth || critic.classes !== classes) {
    const who = `critic ${critic.name}@${critic.version}`;
    throw new DissonanceError(
      'E_INPUT',
      `${who} is ${critic.inputWidth} features × ${critic.classes} classes, the model ${inputWidth} × ${classes}`,
    );
  }
}

/**
 * A critic's probabilities on `rows` rows in float64, checked: `rows × classes` finite values ≥ 0.
 *
 * @throws DissonanceError `E_MODEL` when the critic returned the wrong length or non-finite or negative values.
 */
export function checkedCriticRows(
  critic: LoadedModel,
  probs: Float32Array,
  rows: number,
  classes: number,
): Float64Array {
  const who = `critic ${critic.name}@${critic.version}`;
  if (probs.length !== rows * classes)
    throw new DissonanceError('E_MODEL', `${who} returned ${probs.length} values, expected ${rows} × ${classes}`);
  const out = new Float64Array(probs.length);
  for (let i = 0; i < probs.length; i++) {
    const v = probs[i]!;
    if (!(v >= 0 && v < Infinity)) throw new DissonanceError('E_MODEL', `${who} returned ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

/** A float64 probability array as float32 (what detectors take). */
export function float32Rows(values: Float64Array): Float32Array {
  return Float32Array.from(values);
}
