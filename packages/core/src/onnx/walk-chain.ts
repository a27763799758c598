import type { Activation } from '../train/mlp-weights.js';
import { parseGemm, parseMatMul, type ParsedLayer } from './dense-layer.js';
import { consumersOf, isDefaultDomain, outputOf, soleConsumer, type GraphIndex } from './graph-index.js';
import { describe, model } from './model-error.js';
import { intAttribute } from './node-attributes.js';
import { TensorDataType, type NodeProto } from './onnx-messages.js';

/** How the dense chain ends: softmax probabilities, one sigmoid probability per row, or raw logits. */
export type ChainEnding = 'softmax' | 'sigmoid' | 'logits';

/** The dense chain found from the graph input. */
export interface Chain {
  readonly layers: readonly (ParsedLayer & { readonly activation: Activation })[];
  readonly ending: ChainEnding;
  /** The tensor holding the chain's result (after Softmax/Sigmoid when there is one). */
  readonly result: string;
  /** True when a `Flatten` sits on the input path. */
  readonly flattened: boolean;
}

/**
 * Walks from `input` along single-consumer edges: `Identity`, `Cast` to float and `Flatten(axis=1)` before
 * the first layer; then dense layers (`Gemm`, or `MatMul` [+ `Add`]) each optionally followed by `Relu`
 * (and `Identity` anywhere); stops after a `Softmax` (axis 1 or −1) or `Sigmoid`, or at the first tensor that
 * has no single known consumer. Marks every node it takes in `index.used`. No dense layer → `E_MODEL`.
 */
export function walkChain(index: GraphIndex, input: string, opset: number): Chain {
  let current = input;
  let flattened = false;
  for (
    let node = soleConsumer(index, current);
    node !== undefined && isPreOp(node);
    node = soleConsumer(index, current)
  ) {
    checkUnvisited(index, node);
    if (node.opType === 'Flatten') flattened = true;
    index.used.add(node);
    current = outputOf(node);
  }
  const layers: (ParsedLayer & { activation: Activation })[] = [];
  let ending: ChainEnding = 'logits';
  for (;;) {
    const node = soleConsumer(index, current);
    if (node === undefined || !isDefaultDomain(node)) break;
    checkUnvisited(index, node);
    const last = layers[layers.length - 1];
    if (node.opType === 'Gemm' || node.opType === 'MatMul') {
      const layer = node.opType === 'Gemm' ? parseGemm(index, node, current) : parseMatMul(index, node, current);
      layers.push({ ...layer, activation: 'none' });
      current = layer.output;
    } else if (node.opType === 'Identity' || (node.opType === 'Relu' && last !== undefined)) {
      if (node.opType === 'Relu' && last !== undefined) last.activation = 'relu'; // relu ∘ relu = relu
      index.used.add(node);
      current = outputOf(node);
    } else if ((node.opType === 'Softmax' || node.opType === 'Sigmoid') && last !== undefined) {
      if (node.opType === 'Softmax') checkSoftmaxAxis(node, opset);
      index.used.add(node);
      ending = node.opType === 'Softmax' ? 'softmax' : 'sigmoid';
      current = outputOf(node);
      break;
    } else break;
  }
  if (layers.length === 0) throw noDenseLayer(index, current);
  return { layers, ending, result: current, flattened };
}

/** A node met twice means the graph has a cycle (ONNX graphs are acyclic): `E_MODEL`, never a hang. */
function checkUnvisited(index: GraphIndex, node: NodeProto): void {
  if (index.used.has(node)) throw model(`the graph has a cycle through ${describe(node)}`, node);
}

/** Why no dense layer follows `tensor` on the input path. */
function noDenseLayer(index: GraphIndex, tensor: string): Error {
  const readers = consumersOf(index, tensor);
  const [only] = readers;
  if (readers.length > 1) {
    const ops = readers.map((node) => node.opType).join(', ');
    return model(
      `tensor '${tensor}' on the input path feeds ${readers.length} nodes (${ops}): branches are not supported`,
    );
  }
  if (only !== undefined) {
    const domain = isDefaultDomain(only) ? '' : ` in domain '${only.domain}'`;
    return model(`unsupported op '${only.opType}'${domain} (${describe(only)}) on the input path`, only);
  }
  return model(`no dense layer (Gemm or MatMul) follows the input: nothing reads tensor '${tensor}'`);
}

/** Ops allowed between the graph input and the first dense layer. */
function isPreOp(node: NodeProto): boolean {
  if (!isDefaultDomain(node)) return false;
  switch (node.opType) {
    case 'Identity':
      return true;
    case 'Cast':
      if (intAttribute(node, 'to', TensorDataType.UNDEFINED) !== TensorDataType.FLOAT) {
        throw model(`${describe(node)} on the input path casts to a type other than float`, node);
      }
      return true;
    case 'Flatten':
      if (intAttribute(node, 'axis', 1) !== 1)
        throw model(`${describe(node)} on the input path must have axis 1`, node);
      return true;
    default:
      return false;
  }
}

/** Softmax over the class axis only: 1 or −1 (the default is 1 before opset 13, −1 from 13 on). */
function checkSoftmaxAxis(node: NodeProto, opset: number): void {
  const axis = intAttribute(node, 'axis', opset < 13 ? 1 : -1);
  if (axis !== 1 && axis !== -1)
    throw model(`${describe(node)} has axis ${axis}; only the class axis (1 or -1) is supported`, node);
}
