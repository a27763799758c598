/**
 * ONNX for MLPs without a protobuf dependency: `writeOnnxMlp` serializes `MlpWeights`, and `readOnnxMlp`
 * reads them back from this SDK's files, skl2onnx and `torch.onnx.export` models. `decodeOnnxModel` exposes
 * the decoded message tree (input/output names, metadata) for runtimes.
 * @module
 */
export { writeOnnxMlp, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, ONNX_OPSET, ONNX_IR_VERSION } from './write-mlp.js';
export type { WriteOnnxMlpOptions } from './write-mlp.js';
export { readOnnxMlp } from './read-mlp.js';
export type { OnnxMlp } from './read-mlp.js';
export type { OnnxOutputKind } from './output-tensor.js';
export { decodeOnnxModel } from './decode-model.js';
export type {
  ModelProto,
  GraphProto,
  NodeProto,
  AttributeProto,
  TensorProto,
  ValueInfoProto,
  TypeProto,
  TensorDim,
  OperatorSetId,
  StringStringEntry,
} from './onnx-messages.js';
