/**
 * `@dissonance/node` — the Node.js side of dissonance: the onnxruntime-node model runtime (CPU, CUDA),
 * the file registry and durable file store, config loading and the `dissonance` CLI.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { loadConfigFile } from './config-file.js';
export { FileRegistry, FileStore, writeFileAtomic, syncDirectory } from './files/index.js';
export type { FileRegistryOptions, FileStoreOptions } from './files/index.js';
export { OnnxNodeRuntime, OnnxNodeModel, probeCuda, probeWebGpu, chooseProvider } from './onnx/index.js';
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
} from './onnx/index.js';
export { runDemo, type DemoOptions } from './demo/run-demo.js';
export { renderReport } from './demo/render-report.js';
export type { DemoResult, StrategyResult, VersionRecord, DissonanceRound, CurvePoint, MeanSd } from './demo/demo-result.js';
export { evaluate, evaluationOf, type EvaluateInput, type Evaluation, type EvaluationStrategy, type EvaluationMeanSd } from './demo/evaluation.js';
export type { RegistryChoice, FileRegistryChoice, MlflowRegistryChoice } from './registry-factory/index.js';
export * from './worker/index.js';
export { threadedTrainer, threadBudget, type ThreadedTrainerOptions, type ThreadBudget } from './train/index.js';
export {
  createHttpHandler,
  serve,
  toNodeListener,
  createJwtAuth,
  requireScope,
  DEFAULT_ALGORITHMS,
  HttpError,
  errorResponse,
  openApiDocument,
  QUARANTINE_KEY,
} from './http/index.js';
export type {
  HttpHandler,
  HttpHandlerOptions,
  ServeOptions,
  RunningServer,
  TlsOptions,
  FetchHandler,
  NodeListenerOptions,
  JwtAuthOptions,
  Authenticate,
  Principal,
  Scope,
  VerifyKey,
  HttpErrorCode,
  CorsOptions,
  RateLimitOptions,
  QuarantineRecord,
  FeedbackOutcome,
  EngineView,
} from './http/index.js';
export { healthRoutes, type HealthRoutesOptions, type FailingPart } from './health/index.js';
export { setupTelemetry, createLogger, traceFields } from './telemetry/index.js';
export type { TelemetryOptions, TelemetryHandle, CreateLoggerOptions } from './telemetry/index.js';
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
export { runDistributedDemo } from './demo/distributed/run-distributed.js';
export type { DistributedDemoOptions, DistributedDemoResult } from './demo/distributed/run-distributed.js';
export { connectBroker, BROKER_KINDS, type BrokerKind } from './demo/distributed/broker.js';
export type { StageProcess } from './demo/distributed/stage-process.js';
// Issue 20 (HTTP hardening): the cost limits and the engine error report, for servers built on the handler.
export { routeByteLimits, MAX_ABS_FEATURE, MAX_PREDICT_ROWS, MAX_FEEDBACK_ITEMS, DEFAULT_MAX_JSON_DEPTH, DEFAULT_BYTE_BURST, DEFAULT_BYTES_PER_SECOND } from './http/index.js';
export type { RouteByteLimits } from './http/index.js';
export { EngineErrors, type EngineEventSource, type StageFailure } from './health/index.js';
