import { DissonanceError } from '../errors.js';
import type { MlpWeights } from './mlp-weights.js';

/**
 * Forward pass of an MLP in float32 storage with float64 accumulation: `rows × classes` softmax
 * probabilities. Allocates one buffer per layer.
 */
export function mlpForward(weights: MlpWeights, x: Float32Array, rows: number): Float32Array {
  if (x.length < rows * weights.inputWidth) {
    throw new DissonanceError(
      'E_INPUT',
      `mlpForward: x has ${x.length} values, expected ${rows} × ${weights.inputWidth}`,
    );
  }
  let input: Float32Array = x;
  for (const layer of weights.layers) {
    const { inputs, outputs, weight, bias } = layer;
    const out = new Float32Array(rows * outputs);
    const acc = new Float64Array(outputs);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outputs; o++) acc[o] = bias[o] ?? 0;
      const xo = r * inputs;
      for (let i = 0; i < inputs; i++) {
        const xv = input[xo + i] ?? 0;
        if (xv === 0) continue;
        const wo = i * outputs;
        for (let o = 0; o < outputs; o++) acc[o] = (acc[o] ?? 0) + xv * (weight[wo + o] ?? 0);
      }
      const oo = r * outputs;
      if (layer.activation === 'relu') {
        for (let o = 0; o < outputs; o++) out[oo + o] = Math.max(0, acc[o] ?? 0);
      } else {
        for (let o = 0; o < outputs; o++) out[oo + o] = acc[o] ?? 0;
      }
    }
    input = out;
  }
  const k = weights.classes;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, input[o + c] ?? 0);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((input[o + c] ?? 0) - max);
    for (let c = 0; c < k; c++) input[o + c] = Math.exp((input[o + c] ?? 0) - max) / sum;
  }
  return input;
}
