import { DissonanceError } from '../errors.js';
import { anyNonFinite } from '../simd/non-finite.js';
import type { MlpWeights } from '../train/mlp-weights.js';

/**
 * Checks that `weights` describe a consistent MLP: at least one layer, each layer's `inputs` equal to the
 * previous `outputs` (the first to `inputWidth`, the last's `outputs` to `classes`), positive integer sizes,
 * Float32Array weights and biases of the right length holding finite values, a known activation.
 * Throws `DissonanceError(code)` naming the first problem.
 */
export function checkMlpWeights(weights: MlpWeights, code: 'E_INPUT' | 'E_MODEL', context: string): void {
  const fail = (problem: string): DissonanceError => new DissonanceError(code, `${context}: ${problem}`);
  if (typeof weights !== 'object' || weights === null) throw fail('weights must be an object');
  const { inputWidth, classes, layers } = weights;
  if (!isSize(inputWidth)) throw fail(`inputWidth must be a positive integer, got ${String(inputWidth)}`);
  if (!isSize(classes)) throw fail(`classes must be a positive integer, got ${String(classes)}`);
  if (!Array.isArray(layers) || layers.length === 0) throw fail('layers must be a non-empty array');
  let width = inputWidth;
  layers.forEach((layer, index) => {
    const at = `layer ${index}`;
    if (typeof layer !== 'object' || layer === null) throw fail(`${at} must be an object`);
    const { inputs, outputs, weight, bias, activation } = layer;
    if (inputs !== width) throw fail(`${at} has ${String(inputs)} inputs, expected ${width}`);
    if (!isSize(outputs)) throw fail(`${at} outputs must be a positive integer, got ${String(outputs)}`);
    if (!(weight instanceof Float32Array) || weight.length !== inputs * outputs) {
      throw fail(`${at} weight must be a Float32Array of ${inputs} × ${outputs} values`);
    }
    if (!(bias instanceof Float32Array) || bias.length !== outputs)
      throw fail(`${at} bias must be a Float32Array of ${outputs} values`);
    if (activation !== 'relu' && activation !== 'none')
      throw fail(`${at} activation must be 'relu' or 'none', got ${String(activation)}`);
    if (anyNonFinite(weight)) throw fail(`${at} weight holds a non-finite value`);
    if (anyNonFinite(bias)) throw fail(`${at} bias holds a non-finite value`);
    width = outputs;
  });
  if (width !== classes) throw fail(`the last layer has ${width} outputs, expected ${classes} classes`);
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
