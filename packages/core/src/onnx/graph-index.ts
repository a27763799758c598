import { describe, model } from './model-error.js';
import { AttributeType, TensorDataType, type GraphProto, type NodeProto, type TensorProto } from './onnx-messages.js';
import { tensorFloats } from './tensor-floats.js';

/** A graph with its edges indexed by tensor name, and the nodes a reader has accounted for. */
export interface GraphIndex {
  readonly graph: GraphProto;
  /** Nodes that read each tensor. */
  readonly consumers: ReadonlyMap<string, readonly NodeProto[]>;
  /** The node that writes each tensor. */
  readonly producers: ReadonlyMap<string, NodeProto>;
  /** Initializers and `Constant` node outputs, by tensor name. */
  readonly constants: ReadonlyMap<string, TensorProto>;
  /** Nodes the reader has recognised so far. */
  readonly used: Set<NodeProto>;
}

/** A float constant: its dims and values. */
export interface FloatConstant {
  readonly dims: readonly number[];
  readonly values: Float32Array;
}

/** Indexes `graph`; two writers of one tensor (not SSA) → `E_MODEL`. */
export function indexGraph(graph: GraphProto): GraphIndex {
  const consumers = new Map<string, NodeProto[]>();
  const producers = new Map<string, NodeProto>();
  const constants = new Map<string, TensorProto>();
  for (const tensor of graph.initializer) {
    if (constants.has(tensor.name)) throw model(`initializer '${tensor.name}' is defined twice`);
    constants.set(tensor.name, tensor);
  }
  for (const node of graph.node) {
    for (const name of node.input) {
      if (name === '') continue;
      const list = consumers.get(name);
      if (list === undefined) consumers.set(name, [node]);
      else if (!list.includes(node)) list.push(node);
    }
    for (const name of node.output) {
      if (name === '') continue;
      if (producers.has(name) || constants.has(name)) throw model(`tensor '${name}' is written twice`);
      producers.set(name, node);
    }
    const constant = node.opType === 'Constant' && isDefaultDomain(node) ? constantNodeTensor(node) : undefined;
    if (constant !== undefined) constants.set(constant.name, constant);
  }
  return { graph, consumers, producers, constants, used: new Set() };
}

/**
 * The one node reading `tensor`, or undefined when none or several read it. A tensor that is also a graph
 * output (logits exposed next to probabilities) still has a sole consumer: the extra output changes nothing.
 */
export function soleConsumer(index: GraphIndex, tensor: string): NodeProto | undefined {
  const list = index.consumers.get(tensor);
  return list !== undefined && list.length === 1 ? list[0] : undefined;
}

/** Every node reading `tensor`. */
export function consumersOf(index: GraphIndex, tensor: string): readonly NodeProto[] {
  return index.consumers.get(tensor) ?? [];
}

/**
 * The float values of constant `name` (an initializer or `Constant` output, also through `Identity`
 * nodes); undefined when `name` is computed at run time.
 */
export function floatConstant(index: GraphIndex, name: string): FloatConstant | undefined {
  let current = name;
  for (let hops = 0; hops <= index.graph.node.length; hops++) {
    const tensor = index.constants.get(current);
    if (tensor !== undefined) return { dims: tensor.dims, values: tensorFloats(tensor) };
    const producer = index.producers.get(current);
    if (producer === undefined || producer.opType !== 'Identity' || !isDefaultDomain(producer)) return undefined;
    index.used.add(producer);
    current = producer.input[0] ?? '';
  }
  return undefined;
}

/** True for nodes of the default `ai.onnx` domain. */
export function isDefaultDomain(node: NodeProto): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}

/** The first output of `node`; a node without one → `E_MODEL`. */
export function outputOf(node: NodeProto): string {
  const name = node.output[0];
  if (name === undefined || name === '') throw model(`${describe(node)} has no output`);
  return name;
}

/** The tensor a `Constant` node holds, from `value`, `value_float` or `value_floats`. */
function constantNodeTensor(node: NodeProto): TensorProto | undefined {
  const name = node.output[0];
  if (name === undefined || name === '') return undefined;
  const base = { name, floatData: [], int32Data: [], int64Data: [], doubleData: [], externalData: [], dataLocation: 0 };
  for (const attribute of node.attribute) {
    if (attribute.name === 'value' && attribute.t !== undefined) return { ...attribute.t, name };
    if (attribute.name === 'value_float' && attribute.f !== undefined) {
      return { ...base, dims: [], dataType: TensorDataType.FLOAT, rawData: undefined, floatData: [attribute.f] };
    }
    if (attribute.name === 'value_floats' && (attribute.type === AttributeType.FLOATS || attribute.floats.length > 0)) {
      return {
        ...base,
        dims: [attribute.floats.length],
        dataType: TensorDataType.FLOAT,
        rawData: undefined,
        floatData: attribute.floats,
      };
    }
  }
  return undefined;
}
