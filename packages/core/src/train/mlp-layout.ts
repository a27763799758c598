import { DissonanceError } from '../errors.js';
import type { Activation, MlpWeights } from './mlp-weights.js';

/**
 * Where each layer's weights and biases sit in one flat parameter vector: layer by layer, the
 * `inputs × outputs` weight matrix (row-major, like {@link DenseLayer.weight}) followed by its biases.
 */
export interface ParamLayout {
  /** Layer widths, input first: `[inputWidth, hidden…, classes]`. */
  readonly widths: readonly number[];
  /** Activation of each layer. */
  readonly activations: readonly Activation[];
  /** Offset of each layer's weight matrix. */
  readonly weightOffsets: readonly number[];
  /** Offset of each layer's biases. */
  readonly biasOffsets: readonly number[];
  /** Total number of parameters. */
  readonly size: number;
}

/**
 * The layout of an MLP with the given widths (`[inputWidth, hidden…, classes]`): ReLU after every
 * hidden layer, none after the last. Logistic regression is `[inputWidth, classes]`.
 */
export function layoutForWidths(widths: readonly number[]): ParamLayout {
  const activations: Activation[] = [];
  for (let l = 0; l + 1 < widths.length; l++) activations.push(l + 2 < widths.length ? 'relu' : 'none');
  return buildLayout(widths, activations);
}

/** The layout of `weights` (widths and activations as the layers say). */
export function layoutOf(weights: MlpWeights): ParamLayout {
  const widths = [weights.inputWidth, ...weights.layers.map((layer) => layer.outputs)];
  return buildLayout(
    widths,
    weights.layers.map((layer) => layer.activation),
  );
}

function buildLayout(widths: readonly number[], activations: readonly Activation[]): ParamLayout {
  const weightOffsets: number[] = [];
  const biasOffsets: number[] = [];
  let size = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    weightOffsets.push(size);
    size += inputs * outputs;
    biasOffsets.push(size);
    size += outputs;
  }
  return { widths: [...widths], activations: [...activations], weightOffsets, biasOffsets, size };
}

/** Copies `weights` into one flat vector laid out as {@link layoutOf} says. */
export function flattenMlp(weights: MlpWeights, out?: Float64Array): Float64Array {
  const layout = layoutOf(weights);
  const params = out ?? new Float64Array(layout.size);
  if (params.length !== layout.size) {
    throw new DissonanceError('E_INPUT', `flattenMlp: out has ${params.length} values, expected ${layout.size}`);
  }
  weights.layers.forEach((layer, l) => {
    params.set(layer.weight, layout.weightOffsets[l]);
    params.set(layer.bias, layout.biasOffsets[l]);
  });
  return params;
}

/** Builds MLP weights (float32, rounded to nearest) from a flat parameter vector laid out as `layout`. */
export function unflattenMlp(layout: ParamLayout, params: Float64Array | Float32Array): MlpWeights {
  if (params.length !== layout.size) {
    throw new DissonanceError('E_INPUT', `unflattenMlp: params has ${params.length} values, expected ${layout.size}`);
  }
  const { widths } = layout;
  const layers = layout.activations.map((activation, l) => {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    const w = layout.weightOffsets[l]!;
    const b = layout.biasOffsets[l]!;
    return {
      inputs,
      outputs,
      weight: Float32Array.from(params.subarray(w, w + inputs * outputs)),
      bias: Float32Array.from(params.subarray(b, b + outputs)),
      activation,
    };
  });
  return { inputWidth: widths[0]!, classes: widths[widths.length - 1]!, layers };
}
