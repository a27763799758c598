import { toDissonanceError } from '../errors.js';
import type { DenseLayer, MlpWeights } from '../train/mlp-weights.js';
import { checkMlpWeights } from './check-weights.js';
import { decodeOnnxModel } from './decode-model.js';
import { indexGraph, isDefaultDomain, type GraphIndex } from './graph-index.js';
import { describe, model } from './model-error.js';
import { TensorDataType, type ModelProto, type ValueInfoProto } from './onnx-messages.js';
import { findOutputTensor, type OnnxOutputKind } from './output-tensor.js';
import { walkChain, type Chain } from './walk-chain.js';

/** An MLP read from an ONNX model by {@link readOnnxMlp}. */
export interface OnnxMlp {
  /** The dense layers; `mlpForward(weights, x, rows)` reproduces the model's probabilities. */
  readonly weights: MlpWeights;
  /** `ModelProto.metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The graph input that takes the `rows × inputWidth` float features. */
  readonly inputName: string;
  /** The tensor that carries the model's result (a graph output when the model exposes one). */
  readonly outputName: string;
  /** What `outputName` holds: see {@link OnnxOutputKind}. `probabilities` for skl2onnx and this SDK's files. */
  readonly outputKind: OnnxOutputKind;
  /** Version of the default (`ai.onnx`) opset the model imports. */
  readonly opset: number;
  /** `ModelProto.producer_name`, e.g. `dissonance`, `skl2onnx`, `pytorch`. */
  readonly producer: string;
}

/** Post-processing ops that may read the result (labels, zipmaps, casts) without changing the probabilities. */
const POST_OPS: Readonly<Record<string, string>> = {
  ZipMap: 'ai.onnx.ml',
  ArrayFeatureExtractor: 'ai.onnx.ml',
  ArgMax: '',
  Cast: '',
  Reshape: '',
  Identity: '',
  Squeeze: '',
  Unsqueeze: '',
  Constant: '',
};
/** Ops the dense chain is made of: found off the chain, they mean a branch. */
const CHAIN_OPS = new Set(['Gemm', 'MatMul', 'Add', 'Relu', 'Softmax', 'Sigmoid', 'Sub', 'Concat', 'Flatten']);

/**
 * Reads an MLP from ONNX bytes written by `writeOnnxMlp`, by skl2onnx (`MLPClassifier`, with or without
 * ZipMap) or by `torch.onnx.export` of a `Sequential` of `Linear`/`ReLU` (optionally ending in `Softmax` or
 * `Sigmoid`). It walks from the graph input through a single chain of dense layers (`Gemm`, or `MatMul` +
 * `Add`), `Relu` between them, and an optional final `Softmax` or `Sigmoid`. A binary sigmoid model (one logit
 * `z`) becomes a two-class layer with logits `[0, z]`, so softmax gives `[1 − σ(z), σ(z)]`. Label
 * post-processing (ArgMax, ZipMap, ArrayFeatureExtractor, Cast, Reshape…) is ignored. Malformed bytes, external
 * data, branches or any other op (e.g. skl2onnx's `LinearClassifier`) → `E_MODEL` naming the problem; a
 * `bytes` that is not a Uint8Array → `E_INPUT`.
 */
export function readOnnxMlp(bytes: Uint8Array): OnnxMlp {
  try {
    return readModel(decodeOnnxModel(bytes));
  } catch (error) {
    throw toDissonanceError(error, 'E_MODEL', 'readOnnxMlp');
  }
}

function readModel(proto: ModelProto): OnnxMlp {
  const opset = defaultOpset(proto);
  const graph = proto.graph;
  if (graph === undefined) throw model('the model has no graph');
  const index = indexGraph(graph);
  const input = featureInput(graph.input, index);
  const chain = walkChain(index, input.name, opset);
  const output = findOutputTensor(index, chain);
  checkLeftovers(index);
  const weights = toWeights(chain);
  checkMlpWeights(weights, 'E_MODEL', 'readOnnxMlp');
  checkInputShape(input, weights.inputWidth, chain.flattened);
  return {
    weights,
    metadata: metadataRecord(proto),
    inputName: input.name,
    outputName: output.name,
    outputKind: output.kind,
    opset,
    producer: proto.producerName,
  };
}

function defaultOpset(proto: ModelProto): number {
  const entry = proto.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (entry === undefined) throw model('the model imports no default (ai.onnx) opset');
  if (entry.version < 7) throw model(`opset ${entry.version} is not supported (7 or later)`);
  return entry.version;
}

/** The one graph input that is not an initializer; it must be a float tensor. */
function featureInput(inputs: readonly ValueInfoProto[], index: GraphIndex): ValueInfoProto {
  const runtime = inputs.filter((value) => !index.constants.has(value.name));
  const [input] = runtime;
  if (input === undefined || runtime.length !== 1) {
    throw model(`expected one graph input, found ${runtime.length} (${runtime.map((v) => v.name).join(', ')})`);
  }
  if (index.producers.has(input.name)) throw model(`graph input '${input.name}' is also written by a node`);
  const elemType = input.type?.tensorType?.elemType ?? TensorDataType.UNDEFINED;
  if (elemType !== TensorDataType.FLOAT && elemType !== TensorDataType.UNDEFINED) {
    throw model(`input '${input.name}' has element type ${elemType}; only float (1) inputs are supported`);
  }
  return input;
}

/** Every node off the chain must be label post-processing; anything else is named in an `E_MODEL`. */
function checkLeftovers(index: GraphIndex): void {
  for (const node of index.graph.node) {
    if (index.used.has(node)) continue;
    const domain = POST_OPS[node.opType];
    if (domain !== undefined && (domain === '' ? isDefaultDomain(node) : node.domain === domain)) continue;
    if (CHAIN_OPS.has(node.opType) && isDefaultDomain(node)) {
      throw model(
        `${describe(node)} is off the single dense chain from the input: branches are not supported (op '${node.opType}')`,
        node,
      );
    }
    const domainNote = isDefaultDomain(node) ? '' : ` in domain '${node.domain}'`;
    throw model(`unsupported op '${node.opType}'${domainNote} (${describe(node)})`, node);
  }
}

/** The chain as MlpWeights; a binary sigmoid head `z` becomes two logits `[0, z]`. */
function toWeights(chain: Chain): MlpWeights {
  const layers: DenseLayer[] = chain.layers.map(({ inputs, outputs, weight, bias, activation }) => ({
    inputs,
    outputs,
    weight,
    bias,
    activation,
  }));
  if (chain.ending === 'sigmoid') {
    const last = layers[layers.length - 1];
    if (last === undefined || last.outputs !== 1) {
      throw model(
        `Sigmoid over ${last?.outputs ?? 0} outputs (multi-label) is not supported; only a single binary logit`,
      );
    }
    const weight = new Float32Array(last.inputs * 2);
    for (let i = 0; i < last.inputs; i++) weight[i * 2 + 1] = last.weight[i] ?? 0;
    layers[layers.length - 1] = { ...last, outputs: 2, weight, bias: Float32Array.of(0, last.bias[0] ?? 0) };
  }
  const first = layers[0];
  const last = layers[layers.length - 1];
  return { inputWidth: first?.inputs ?? 0, classes: last?.outputs ?? 0, layers };
}

/** A declared input shape must agree with the first layer: `[N, inputWidth]`, or `[N, …]` flattening to it. */
function checkInputShape(input: ValueInfoProto, inputWidth: number, flattened: boolean): void {
  const shape = input.type?.tensorType?.shape;
  if (shape === undefined) return;
  if (!flattened && shape.length !== 2) throw model(`input '${input.name}' has rank ${shape.length}, expected 2`);
  const rest = shape.slice(1);
  if (rest.length === 0 || rest.some((d) => d.value === undefined)) return;
  const width = rest.reduce((product, d) => product * (d.value ?? 1), 1);
  if (width !== inputWidth)
    throw model(`input '${input.name}' has ${width} features per row, the first layer takes ${inputWidth}`);
}

function metadataRecord(proto: ModelProto): Readonly<Record<string, string>> {
  const seen = new Set<string>();
  for (const { key } of proto.metadataProps) {
    if (seen.has(key)) throw model(`metadata key '${key}' appears twice`);
    seen.add(key);
  }
  return Object.freeze(Object.fromEntries(proto.metadataProps.map(({ key, value }) => [key, value])));
}
