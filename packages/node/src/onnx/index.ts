/** The onnxruntime-node model runtime: CPU, CUDA and WebGPU execution providers, chosen by measurement with `auto`. */
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
export { probeWebGpu, VULKAN_LOADER_LIBRARY, SWIFTSHADER_ICD } from './webgpu-probe.js';
export type { WebGpuProbe, ProbeWebGpuOptions } from './webgpu-probe.js';
export { chooseProvider, timeInTurns, timeRuns } from './provider-choice.js';
export type {
  ProviderBenchmark,
  ProviderChoice,
  ProviderTiming,
  ProviderTimer,
  TimeRunsOptions,
} from './provider-choice.js';
export { chooseThreads } from './thread-choice.js';
export type { ThreadChoice, ThreadTiming } from './thread-choice.js';
export { TF32_OVERRIDE_VARIABLE } from './cuda-exact.js';
export { softmaxRows, looksLikeProbabilities, PREFERRED_OUTPUT_NAMES } from '@dissonance/core/adapter-kit';
