import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  StringStringEntry,
  TensorDim,
  TensorProto,
  ValueInfoProto,
} from './onnx-messages.js';
import { ProtoWriter } from './protobuf-writer.js';

/**
 * Encodes a {@link ModelProto} as ONNX protobuf bytes (fields in `onnx.proto` order; empty fields omitted;
 * `dims` and attribute `ints` unpacked, tensor data packed, as `onnx`'s Python writer does).
 */
export function encodeOnnxModel(model: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  if (model.irVersion !== 0) w.int64(1, model.irVersion);
  if (model.producerName !== '') w.string(2, model.producerName);
  if (model.producerVersion !== '') w.string(3, model.producerVersion);
  if (model.modelVersion !== 0) w.int64(5, model.modelVersion);
  if (model.docString !== '') w.string(6, model.docString);
  if (model.graph !== undefined) w.message(7, encodeGraph(model.graph));
  for (const opset of model.opsetImport) {
    const o = new ProtoWriter();
    if (opset.domain !== '') o.string(1, opset.domain);
    o.int64(2, opset.version);
    w.message(8, o);
  }
  for (const entry of model.metadataProps) w.message(14, encodeEntry(entry));
  return w.finish();
}

function encodeGraph(graph: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.node) w.message(1, encodeNode(node));
  if (graph.name !== '') w.string(2, graph.name);
  for (const tensor of graph.initializer) w.message(5, encodeTensor(tensor));
  for (const value of graph.input) w.message(11, encodeValueInfo(value));
  for (const value of graph.output) w.message(12, encodeValueInfo(value));
  for (const value of graph.valueInfo) w.message(13, encodeValueInfo(value));
  return w;
}

function encodeNode(node: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const name of node.input) w.string(1, name);
  for (const name of node.output) w.string(2, name);
  if (node.name !== '') w.string(3, node.name);
  w.string(4, node.opType);
  for (const attribute of node.attribute) w.message(5, encodeAttribute(attribute));
  if (node.domain !== '') w.string(7, node.domain);
  return w;
}

function encodeAttribute(a: AttributeProto): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, a.name);
  if (a.f !== undefined) w.float32(2, a.f);
  if (a.i !== undefined) w.int64(3, a.i);
  if (a.s !== undefined) w.bytes(4, a.s);
  if (a.t !== undefined) w.message(5, encodeTensor(a.t));
  for (const f of a.floats) w.float32(7, f);
  for (const i of a.ints) w.int64(8, i);
  if (a.type !== 0) w.uint(20, a.type);
  return w;
}

function encodeTensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const dim of t.dims) w.int64(1, dim);
  if (t.dataType !== 0) w.uint(2, t.dataType);
  w.packedFloats(4, t.floatData);
  w.packedInt64(5, t.int32Data);
  w.packedInt64(7, t.int64Data);
  if (t.name !== '') w.string(8, t.name);
  if (t.rawData !== undefined) w.bytes(9, t.rawData);
  if (t.doubleData.length > 0) {
    const bytes = new Uint8Array(t.doubleData.length * 8);
    const view = new DataView(bytes.buffer);
    t.doubleData.forEach((value, i) => view.setFloat64(i * 8, value, true));
    w.bytes(10, bytes);
  }
  for (const entry of t.externalData) w.message(13, encodeEntry(entry));
  if (t.dataLocation !== 0) w.uint(14, t.dataLocation);
  return w;
}

function encodeValueInfo(value: ValueInfoProto): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, value.name);
  const tensorType = value.type?.tensorType;
  if (tensorType === undefined) return w;
  const tensor = new ProtoWriter();
  if (tensorType.elemType !== 0) tensor.uint(1, tensorType.elemType);
  if (tensorType.shape !== undefined) {
    const shape = new ProtoWriter();
    for (const dim of tensorType.shape) shape.message(1, encodeDim(dim));
    tensor.message(2, shape);
  }
  const type = new ProtoWriter();
  type.message(1, tensor);
  w.message(2, type);
  return w;
}

function encodeDim(dim: TensorDim): ProtoWriter {
  const w = new ProtoWriter();
  if (dim.value !== undefined) w.int64(1, dim.value);
  else if (dim.param !== undefined) w.string(2, dim.param);
  return w;
}

function encodeEntry(entry: StringStringEntry): ProtoWriter {
  return new ProtoWriter().string(1, entry.key).string(2, entry.value);
}
