/** The onnxruntime-node model runtime: CPU and CUDA execution providers. */
export { OnnxNodeRuntime } from './onnx-node-runtime.js';
export type { OnnxNodeRuntimeOptions, PartialModelInfo } from './onnx-node-runtime.js';
export { OnnxNodeModel } from './onnx-node-model.js';
export type { OnnxSessionView, OutputKind } from './onnx-node-model.js';
export {
  probeCuda,
  ortBindingDir,
  CUDA_PROVIDER_LIBRARY,
  SHARED_PROVIDER_LIBRARY,
  CUDA_DRIVER_LIBRARY,
  CUDNN_LIBRARY,
} from './execution-provider.js';
export type { CudaProbe, ProbeCudaOptions, ExecutionProvider, ExecutionProviderOption } from './execution-provider.js';
export { softmaxRows, looksLikeProbabilities, PREFERRED_OUTPUT_NAMES } from '@dissonance/core';
