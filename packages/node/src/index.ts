/**
 * `@dissonance/node` — the Node.js side of dissonance: the onnxruntime-node model runtime (CPU, CUDA),
 * the file registry and durable file store, config loading and the `dissonance` CLI.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { loadConfigFile } from './config-file.js';
export { FileRegistry, FileStore, writeFileAtomic, syncDirectory } from './files/index.js';
export type { FileRegistryOptions, FileStoreOptions } from './files/index.js';
export { OnnxNodeRuntime, OnnxNodeModel, probeCuda } from './onnx/index.js';
export type {
  OnnxNodeRuntimeOptions,
  PartialModelInfo,
  OutputKind,
  CudaProbe,
  ProbeCudaOptions,
  ExecutionProvider,
  ExecutionProviderOption,
} from './onnx/index.js';
export { runDemo, type DemoOptions } from './demo/run-demo.js';
export { renderReport } from './demo/render-report.js';
export type { DemoResult, StrategyResult, VersionRecord, DissonanceRound, CurvePoint, MeanSd } from './demo/demo-result.js';
