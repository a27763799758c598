import { DissonanceError } from '../errors.js';
import type { LoadedModel } from '../ports/model.js';

/**
 * Runs every critic once on `rows × inputWidth` features and returns their probabilities in float64,
 * checked: the critic's shape must match, and its outputs must be `rows × classes` finite values ≥ 0.
 *
 * @throws DissonanceError `E_INPUT` when a critic's width or classes differ from the model's;
 *   `E_MODEL` when a critic returns the wrong length or non-finite or negative values.
 */
export async function criticOutputs(
  critics: readonly LoadedModel[],
  x: Float32Array,
  rows: number,
  inputWidth: number,
  classes: number,
): Promise<Float64Array[]> {
  const outputs: Float64Array[] = [];
  for (const critic of critics) {
    const who = `critic ${critic.name}@${critic.version}`;
    if (critic.inputWidth !== inputWidth || critic.classes !== classes) {
      throw new DissonanceError(
        'E_INPUT',
        `${who} is ${critic.inputWidth} features × ${critic.classes} classes, the model ${inputWidth} × ${classes}`,
      );
    }
    const probs = await critic.run(x, rows);
    if (probs.length !== rows * classes) {
      throw new DissonanceError('E_MODEL', `${who} returned ${probs.length} values, expected ${rows} × ${classes}`);
    }
    const out = new Float64Array(probs.length);
    for (let i = 0; i < probs.length; i++) {
      const v = probs[i]!;
      if (!(v >= 0 && v < Infinity)) throw new DissonanceError('E_MODEL', `${who} returned ${v} at index ${i}`);
      out[i] = v;
    }
    outputs.push(out);
  }
  return outputs;
}

/** A float64 probability array as float32 (what detectors take). */
export function float32Rows(values: Float64Array): Float32Array {
  return Float32Array.from(values);
}
