/** Activation after a dense layer. The last layer has none: it emits logits and softmax follows. */
export type Activation = 'relu' | 'none';

/** One dense layer `y = act(x · W + b)`. */
export interface DenseLayer {
  /** Inputs per row. */
  readonly inputs: number;
  /** Outputs per row. */
  readonly outputs: number;
  /** `inputs × outputs`, row-major: `weight[i * outputs + o]` connects input `i` to output `o`. */
  readonly weight: Float32Array;
  /** `outputs` biases. */
  readonly bias: Float32Array;
  readonly activation: Activation;
}

/**
 * A multi-layer perceptron (logistic regression is the one-layer case): the weights the built-in trainer
 * fits, the ONNX writer writes and the ONNX reader reads back from this SDK's files and standard exporters.
 * Output probabilities are `softmax(logits of the last layer)`.
 */
export interface MlpWeights {
  readonly inputWidth: number;
  readonly classes: number;
  readonly layers: readonly DenseLayer[];
}
