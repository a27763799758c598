import { encodeOnnxModel } from '../../src/onnx/encode-model.js';
import type {
  AttributeProto,
  ModelProto,
  NodeProto,
  TensorDim,
  TensorProto,
  ValueInfoProto,
} from '../../src/onnx/onnx-messages.js';
import type { DenseLayer, MlpWeights } from '../../src/train/mlp-weights.js';

/** Deterministic PRNG (mulberry32) for reproducible weights. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random MLP with layer widths `sizes` (input first), ReLU between layers, values in [-scale, scale). */
export function randomMlp(sizes: readonly number[], seed = 1, scale = 1): MlpWeights {
  const next = rng(seed);
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const inputs = sizes[i] ?? 0;
    const outputs = sizes[i + 1] ?? 0;
    const weight = Float32Array.from({ length: inputs * outputs }, () => (next() * 2 - 1) * scale);
    const bias = Float32Array.from({ length: outputs }, () => (next() * 2 - 1) * scale);
    layers.push({ inputs, outputs, weight, bias, activation: i + 2 < sizes.length ? 'relu' : 'none' });
  }
  return { inputWidth: sizes[0] ?? 0, classes: sizes[sizes.length - 1] ?? 0, layers };
}

/** Layer `i` of `weights`; throws when there is none. */
export function layerAt(weights: MlpWeights, i: number): DenseLayer {
  const layer = weights.layers[i];
  if (layer === undefined) throw new Error(`no layer ${i}`);
  return layer;
}

/** Random rows in [-2, 2). */
export function randomRows(rows: number, width: number, seed = 7): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: rows * width }, () => next() * 4 - 2);
}

/** A float tensor stored as raw little-endian bytes. */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return { ...emptyTensor(name, dims, 1), rawData };
}

/** A tensor with no data, of `dataType`. */
export function emptyTensor(name: string, dims: number[], dataType: number): TensorProto {
  return {
    name,
    dims,
    dataType,
    rawData: undefined,
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    externalData: [],
    dataLocation: 0,
  };
}

/** An INT attribute. */
export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: 2, i, floats: [], ints: [] });
/** A FLOAT attribute. */
export const floatAttr = (name: string, f: number): AttributeProto => ({ name, type: 1, f, floats: [], ints: [] });

/** A node. */
export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: AttributeProto[] = [],
  domain = '',
): NodeProto {
  return { name: `${opType}_${output[0] ?? ''}`, opType, domain, input, output, attribute };
}

/** A float value info `[N, width]` (or with a custom shape). */
export function floatInput(name: string, shape: TensorDim[] | undefined): ValueInfoProto {
  return { name, type: { tensorType: { elemType: 1, shape } } };
}

/** Encodes a model around the given graph parts (opset 17 default domain, ai.onnx.ml 1). */
export function buildModel(parts: {
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs?: ValueInfoProto[];
  outputs?: string[];
  opset?: number;
  producer?: string;
}): Uint8Array {
  const proto: ModelProto = {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: parts.opset ?? 17 },
      { domain: 'ai.onnx.ml', version: 1 },
    ],
    producerName: parts.producer ?? 'test',
    producerVersion: '',
    modelVersion: 0,
    docString: '',
    metadataProps: [],
    graph: {
      name: 'g',
      node: parts.nodes,
      initializer: parts.initializers,
      input: parts.inputs ?? [floatInput('X', [{}, {}])],
      output: (parts.outputs ?? ['probabilities']).map((name) => ({ name })),
      valueInfo: [],
    },
  };
  return encodeOnnxModel(proto);
}

/** `weight` (inputs × outputs row-major) transposed to outputs × inputs. */
export function transposed(layer: DenseLayer): Float32Array {
  const out = new Float32Array(layer.weight.length);
  for (let i = 0; i < layer.inputs; i++)
    for (let o = 0; o < layer.outputs; o++) out[o * layer.inputs + i] = layer.weight[i * layer.outputs + o] ?? 0;
  return out;
}

/** Bit patterns of float32 values, for exact comparisons (`-0` ≠ `0`). */
export const bits = (x: Float32Array): number[] => [...new Uint32Array(x.slice().buffer)];
