import { consumersOf, floatConstant, isDefaultDomain, outputOf, type GraphIndex } from './graph-index.js';
import { intAttribute } from './node-attributes.js';
import type { NodeProto } from './onnx-messages.js';
import type { Chain } from './walk-chain.js';

/**
 * What the ONNX tensor `outputName` holds per row: `probabilities` (rows × classes, what `mlpForward`
 * computes), `logits` (rows × classes before softmax), or `sigmoid` (rows × 1, the probability of class 1
 * of a binary model; `mlpForward` gives `[1 − p, p]`).
 */
export type OnnxOutputKind = 'probabilities' | 'logits' | 'sigmoid';

/** The tensor that carries the model's result, and what it holds. */
export interface OutputTensor {
  readonly name: string;
  readonly kind: OnnxOutputKind;
}

/**
 * Finds the result tensor: after a Sigmoid, the skl2onnx binary pattern `Concat([Sub(1, p), p], axis 1)` if
 * present (marked used); then, among the tensor and its `Identity` copies, a graph output (`probabilities`
 * first), else the tensor feeding a `ZipMap`, else the tensor itself.
 */
export function findOutputTensor(index: GraphIndex, chain: Chain): OutputTensor {
  let tensor = chain.result;
  let kind: OnnxOutputKind = chain.ending === 'softmax' ? 'probabilities' : chain.ending;
  if (chain.ending === 'sigmoid') {
    const concat = binaryConcat(index, chain.result);
    if (concat !== undefined) {
      tensor = outputOf(concat);
      kind = 'probabilities';
    }
  }
  const aliases = identityCopies(index, tensor);
  const graphOutputs = index.graph.output.map((o) => o.name).filter((name) => aliases.includes(name));
  const preferred = graphOutputs.find((name) => name === 'probabilities') ?? graphOutputs[0];
  if (preferred !== undefined) return { name: preferred, kind };
  const zipmapped = aliases.find((name) => consumersOf(index, name).some((node) => node.opType === 'ZipMap'));
  return { name: zipmapped ?? tensor, kind };
}

/** `tensor` and every tensor copied from it through chains of `Identity` nodes (marked used). */
function identityCopies(index: GraphIndex, tensor: string): string[] {
  const names = [tensor];
  for (let i = 0; i < names.length; i++) {
    for (const node of consumersOf(index, names[i] ?? '')) {
      if (node.opType !== 'Identity' || !isDefaultDomain(node)) continue;
      const out = outputOf(node);
      if (names.includes(out)) continue;
      index.used.add(node);
      names.push(out);
    }
  }
  return names;
}

/** The `Concat([Sub(1, p), p], axis ±1)` node reading sigmoid output `p`, marking it and its `Sub` used. */
function binaryConcat(index: GraphIndex, p: string): NodeProto | undefined {
  for (const sub of consumersOf(index, p)) {
    if (sub.opType !== 'Sub' || !isDefaultDomain(sub) || sub.input[1] !== p || !isOne(index, sub.input[0])) continue;
    const negative = outputOf(sub);
    const concat = consumersOf(index, negative).find(
      (node) =>
        node.opType === 'Concat' &&
        isDefaultDomain(node) &&
        node.input.length === 2 &&
        node.input[0] === negative &&
        node.input[1] === p &&
        [1, -1].includes(intAttribute(node, 'axis', 0)),
    );
    if (concat === undefined) continue;
    index.used.add(sub);
    index.used.add(concat);
    return concat;
  }
  return undefined;
}

function isOne(index: GraphIndex, name: string | undefined): boolean {
  const constant = name === undefined ? undefined : floatConstant(index, name);
  return constant !== undefined && constant.values.length === 1 && constant.values[0] === 1;
}
