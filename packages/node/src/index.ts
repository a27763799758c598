/**
 * `@dissonance/node` — what a Node.js service embeds: the onnxruntime-node model runtime (CPU, CUDA, WebGPU;
 * onnxruntime-node is a peer), the file registry, durable file store and file dedup store, the stage workers,
 * the health routes, the threaded trainer, key files and config loading. The HTTP surface and telemetry set-up
 * are in `@dissonance/server`, the `dissonance` bin and the demo in `@dissonance/cli`.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { loadConfigFile } from './config-file.js';
export { FileRegistry, FileStore, writeFileAtomic, syncDirectory } from './files/index.js';
export type { FileRegistryOptions, FileStoreOptions } from './files/index.js';
export { unlockLockFile, type UnlockOutcome } from './files/lock-recovery.js';
export { OnnxNodeRuntime, OnnxNodeModel, probeCuda, probeWebGpu, chooseProvider, chooseThreads } from './onnx/index.js';
export type {
  OnnxNodeRuntimeOptions,
  PartialModelInfo,
  OutputKind,
  CudaProbe,
  ProbeCudaOptions,
  ExecutionProvider,
  ExecutionProviderOption,
  WebGpuProbe,
  ProbeWebGpuOptions,
  ProviderBenchmark,
  ProviderChoice,
  ProviderTiming,
  ProviderTimer,
  ThreadChoice,
  ThreadTiming,
} from './onnx/index.js';
export * from './worker/index.js';
export { threadedTrainer, threadBudget, type ThreadedTrainerOptions, type ThreadBudget } from './train/index.js';
export { healthRoutes, type HealthRoutesOptions, type FailingPart } from './health/index.js';
export {
  envKeyProvider,
  ENCRYPTION_KEYS_ENV,
  writeSigningKeyPair,
  readKeyFile,
  privateKeyExposed,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  securityFromEnv,
  isProductionMode,
} from './security/index.js';
export type { KeyFiles, SecuritySettings } from './security/index.js';
export { EngineErrors, type EngineEventSource, type StageFailure } from './health/index.js';
