import {
  floatConstant,
  isDefaultDomain,
  outputOf,
  soleConsumer,
  type FloatConstant,
  type GraphIndex,
} from './graph-index.js';
import { describe, model } from './model-error.js';
import { floatAttribute, intAttribute } from './node-attributes.js';
import type { NodeProto } from './onnx-messages.js';

/** A dense layer read from a graph, before its activation is known. */
export interface ParsedLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** `inputs × outputs` row-major. */
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  /** The tensor holding the layer's pre-activation output. */
  readonly output: string;
}

/**
 * Reads `Gemm(x, B, C)` with `x` the running activations: transA 0, transB 0 or 1 (B transposed to
 * `[inputs, outputs]`), alpha 1, beta 1 (when C is present), constant B and optional constant C broadcast
 * along rows. Without C, a following `Add` of a constant supplies the bias. Anything else → `E_MODEL`.
 */
export function parseGemm(index: GraphIndex, node: NodeProto, x: string): ParsedLayer {
  if (node.input[0] !== x) throw model(`${describe(node)}: the activations must be input A`, node);
  if (intAttribute(node, 'transA', 0) !== 0) throw model(`${describe(node)}: transA = 1 is not supported`, node);
  const transB = intAttribute(node, 'transB', 0);
  if (transB !== 0 && transB !== 1) throw model(`${describe(node)}: transB must be 0 or 1`, node);
  if (floatAttribute(node, 'alpha', 1) !== 1) throw model(`${describe(node)}: alpha ≠ 1 is not supported`, node);
  const b = weightMatrix(index, node, node.input[1]);
  const [rows = 0, cols = 0] = b.dims;
  const inputs = transB === 1 ? cols : rows;
  const outputs = transB === 1 ? rows : cols;
  const weight = transB === 1 ? transpose(b.values, rows, cols) : b.values;
  index.used.add(node);
  const c = node.input[2];
  if (c === undefined || c === '') {
    return withOptionalAdd(index, { inputs, outputs, weight, bias: new Float32Array(outputs), output: outputOf(node) });
  }
  if (floatAttribute(node, 'beta', 1) !== 1) throw model(`${describe(node)}: beta ≠ 1 is not supported`, node);
  return { inputs, outputs, weight, bias: biasVector(index, node, c, outputs), output: outputOf(node) };
}

/** Reads `MatMul(x, W)` with constant `W` `[inputs, outputs]`, and the `Add` of a constant bias after it, if any. */
export function parseMatMul(index: GraphIndex, node: NodeProto, x: string): ParsedLayer {
  if (node.input[0] !== x) throw model(`${describe(node)}: the activations must be the first input`, node);
  const w = weightMatrix(index, node, node.input[1]);
  const [inputs = 0, outputs = 0] = w.dims;
  index.used.add(node);
  return withOptionalAdd(index, {
    inputs,
    outputs,
    weight: w.values,
    bias: new Float32Array(outputs),
    output: outputOf(node),
  });
}

/** Folds a following `Add(y, bias)` / `Add(bias, y)` with a constant bias into `layer`. */
function withOptionalAdd(index: GraphIndex, layer: ParsedLayer): ParsedLayer {
  const add = soleConsumer(index, layer.output);
  if (add === undefined || add.opType !== 'Add' || !isDefaultDomain(add) || add.input.length !== 2) return layer;
  const other = add.input[0] === layer.output ? add.input[1] : add.input[0];
  if (other === undefined || other === layer.output || floatConstant(index, other) === undefined) return layer;
  const bias = biasVector(index, add, other, layer.outputs);
  index.used.add(add);
  return { ...layer, bias, output: outputOf(add) };
}

function weightMatrix(index: GraphIndex, node: NodeProto, name: string | undefined): FloatConstant {
  const w = name === undefined || name === '' ? undefined : floatConstant(index, name);
  if (w === undefined) throw model(`${describe(node)}: the weight '${name ?? ''}' is not a constant initializer`, node);
  if (w.dims.length !== 2 || w.values.length === 0) {
    throw model(
      `${describe(node)}: the weight '${name ?? ''}' has shape [${w.dims.join(', ')}], expected a 2-D matrix`,
      node,
    );
  }
  return w;
}

/** A bias of `outputs` values from a constant shaped `[outputs]`, `[1, outputs]` or a broadcast scalar. */
function biasVector(index: GraphIndex, node: NodeProto, name: string, outputs: number): Float32Array {
  const c = floatConstant(index, name);
  if (c === undefined) throw model(`${describe(node)}: the bias '${name}' is not a constant initializer`, node);
  const leadingOnes = c.dims.slice(0, -1).every((d) => d === 1);
  if (c.dims.length > 2 || !leadingOnes || (c.values.length !== outputs && c.values.length !== 1)) {
    throw model(`${describe(node)}: the bias '${name}' has shape [${c.dims.join(', ')}], expected [${outputs}]`, node);
  }
  return c.values.length === outputs ? c.values : new Float32Array(outputs).fill(c.values[0] ?? 0);
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] ?? 0;
  return out;
}
