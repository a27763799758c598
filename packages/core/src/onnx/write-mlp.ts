import { DissonanceError } from '../errors.js';
import type { MlpWeights } from '../train/mlp-weights.js';
import { checkMlpWeights } from './check-weights.js';
import { encodeOnnxModel } from './encode-model.js';
import {
  AttributeType,
  TensorDataType,
  type AttributeProto,
  type NodeProto,
  type StringStringEntry,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-messages.js';

/** Options of {@link writeOnnxMlp}. */
export interface WriteOnnxMlpOptions {
  /** `GraphProto.name`; default `dissonance_mlp`. */
  readonly graphName?: string;
  /** Written as `ModelProto.metadata_props`, in key order as given. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** `ModelProto.doc_string`. */
  readonly docString?: string;
}

/** ONNX IR version written (ONNX 1.10+; every current runtime reads it). */
export const ONNX_IR_VERSION = 8;
/** Default-domain opset written. */
export const ONNX_OPSET = 17;
/** Name of the graph input: `float [N, inputWidth]`. */
export const ONNX_INPUT_NAME = 'features';
/** Name of the graph output: `float [N, classes]` softmax probabilities. */
export const ONNX_OUTPUT_NAME = 'probabilities';

/**
 * Serializes an MLP as an ONNX model (IR 8, opset 17, producer `dissonance`): input `features` float
 * `[N, inputWidth]`, output `probabilities` float `[N, classes]`. Each layer is a `Gemm(x, W, B)` with `W`
 * stored `[inputs, outputs]` (transB 0), followed by `Relu` where the layer's activation is `relu`; a
 * `Softmax(axis=1)` ends the graph. Initializers are little-endian float32 `raw_data`, so reading the file back
 * recovers every weight bit for bit. Inconsistent shapes, non-finite values or bad options → `E_INPUT`.
 */
export function writeOnnxMlp(weights: MlpWeights, options: WriteOnnxMlpOptions = {}): Uint8Array {
  checkMlpWeights(weights, 'E_INPUT', 'writeOnnxMlp');
  const graphName = options.graphName ?? 'dissonance_mlp';
  const docString = options.docString ?? '';
  if (typeof graphName !== 'string' || graphName === '') {
    throw new DissonanceError('E_INPUT', 'writeOnnxMlp: graphName must be a non-empty string');
  }
  if (typeof docString !== 'string') throw new DissonanceError('E_INPUT', 'writeOnnxMlp: docString must be a string');
  const metadataProps = metadataEntries(options.metadata);

  const node: NodeProto[] = [];
  const initializer: TensorProto[] = [];
  let previous = ONNX_INPUT_NAME;
  weights.layers.forEach((layer, i) => {
    const last = i === weights.layers.length - 1;
    const w = `layer${i}.weight`;
    const b = `layer${i}.bias`;
    initializer.push(floatTensor(w, [layer.inputs, layer.outputs], layer.weight));
    initializer.push(floatTensor(b, [layer.outputs], layer.bias));
    const gemmOut = last && layer.activation === 'none' ? 'logits' : `layer${i}.linear`;
    node.push({
      name: `layer${i}.gemm`,
      opType: 'Gemm',
      domain: '',
      input: [previous, w, b],
      output: [gemmOut],
      attribute: [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transA', 0), intAttr('transB', 0)],
    });
    previous = gemmOut;
    if (layer.activation === 'relu') {
      const reluOut = last ? 'logits' : `layer${i}.relu`;
      node.push({
        name: `layer${i}.relu`,
        opType: 'Relu',
        domain: '',
        input: [previous],
        output: [reluOut],
        attribute: [],
      });
      previous = reluOut;
    }
  });
  node.push({
    name: 'softmax',
    opType: 'Softmax',
    domain: '',
    input: [previous],
    output: [ONNX_OUTPUT_NAME],
    attribute: [intAttr('axis', 1)],
  });

  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'dissonance',
    producerVersion: '',
    modelVersion: 0,
    docString,
    metadataProps,
    graph: {
      name: graphName,
      node,
      initializer,
      input: [floatMatrix(ONNX_INPUT_NAME, weights.inputWidth)],
      output: [floatMatrix(ONNX_OUTPUT_NAME, weights.classes)],
      valueInfo: [],
    },
  });
}

function metadataEntries(metadata: Readonly<Record<string, string>> | undefined): StringStringEntry[] {
  if (metadata === undefined) return [];
  if (typeof metadata !== 'object' || metadata === null)
    throw new DissonanceError('E_INPUT', 'writeOnnxMlp: metadata must be an object');
  return Object.entries(metadata).map(([key, value]) => {
    if (typeof value !== 'string') {
      throw new DissonanceError('E_INPUT', `writeOnnxMlp: metadata '${key}' must be a string`, { details: { key } });
    }
    if (key === '') throw new DissonanceError('E_INPUT', 'writeOnnxMlp: metadata keys must not be empty');
    return { key, value };
  });
}

function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return {
    name,
    dims,
    dataType: TensorDataType.FLOAT,
    rawData,
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    externalData: [],
    dataLocation: 0,
  };
}

function floatMatrix(name: string, width: number): ValueInfoProto {
  return { name, type: { tensorType: { elemType: TensorDataType.FLOAT, shape: [{ param: 'N' }, { value: width }] } } };
}

function floatAttr(name: string, f: number): AttributeProto {
  return { name, type: AttributeType.FLOAT, f, floats: [], ints: [] };
}

function intAttr(name: string, i: number): AttributeProto {
  return { name, type: AttributeType.INT, i, floats: [], ints: [] };
}
