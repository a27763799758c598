/**
 * @dissonance/core — the isomorphic engine of a self-correcting model loop:
 * generate → detect → reconcile → retrain, with ports and in-memory defaults.
 * @packageDocumentation
 */
export { ERROR_CODES, DissonanceError, isDissonanceError, toDissonanceError } from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';

// Ports
export type { ModelInfo, LoadedModel, ModelArtifact, ModelRuntime } from './ports/model.js';
export type { Batch, LabelOrigin, Target, Provenance, TrainingExample, GoldenSet } from './ports/batch.js';
export type { Detector, CommitteeDetector } from './ports/detector.js';
export type { LabelRequest, LabelAnswer, LabelSource } from './ports/label-source.js';
export type { DecisionReason, GateDecision, ReconcileItem, Gate } from './ports/gate.js';
export type { TrainConstraints, TrainReport, Candidate, Trainer } from './ports/trainer.js';
export type {
  Scalar,
  Lineage,
  RegisterInput,
  ModelVersion,
  Page,
  SetAliasOptions,
  ModelRegistry,
} from './ports/registry.js';
export type { JsonValue, AuditEntry, Store } from './ports/store.js';
export type { DedupStore } from './ports/dedup-store.js';
export { ENVELOPE_VERSION, DEAD_LETTER_TYPE } from './ports/transport.js';
export type { Envelope, Delivery, SubscribeOptions, DeadLetter, Subscription, Transport } from './ports/transport.js';
export { systemClock } from './clock/clock.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { ManualClock } from './clock/manual-clock.js';

// Models
export { FunctionModel, withVersion } from './models/function-model.js';
export type { ModelFunction, FunctionModelOptions } from './models/function-model.js';

// Detectors
export * from './detect/index.js';

// Reconcile gates and label sources
export * from './reconcile/index.js';
export * from './labels/index.js';
export * from './select/index.js';

// Rollout
export { goldenAccuracy, argmaxRow } from './rollout/golden-accuracy.js';
export { meanKl, modelKl } from './rollout/kl-divergence.js';
export { CanaryTracker } from './rollout/canary.js';
export type { CanaryStats, CanaryVerdict } from './rollout/canary.js';

// In-memory implementations (the embedded default)
export { MemoryRegistry } from './memory/memory-registry.js';
export type { MemoryRegistryOptions } from './memory/memory-registry.js';
export { MemoryStore } from './memory/memory-store.js';
export type { MemoryStoreOptions } from './memory/memory-store.js';
export { MemoryTransport, createMemoryTransport } from './memory/memory-transport.js';
export { MemoryDedupStore } from './memory/memory-dedup-store.js';
export type { MemoryDedupStoreOptions } from './memory/memory-dedup-store.js';
export { idempotent } from './engine/idempotent.js';
export type { IdempotentOptions } from './engine/idempotent.js';
// Validation helpers shared with adapters, so every registry and store gives the same errors.
export { checkRegisterInput, checkName, REGISTRY_NAME } from './memory/register-input.js';
export { checkPageSize, parsePageToken, pageTokenBelow, PAGE_SIZE } from './memory/page-token.js';
export { cloneJson } from './memory/clone-json.js';
export { checkedExampleCopy, exampleCopy } from './memory/copy-example.js';
export { checkedAuditCopy, auditCopy } from './memory/copy-audit.js';
export type { MemoryTransportOptions } from './memory/memory-transport.js';
// adapter-kit: subscribe-option resolution shared by every transport
export {
  resolveSubscribeOptions,
  checkTransportName,
  invalidOption,
  DEFAULT_PREFETCH,
  DEFAULT_MAX_ATTEMPTS,
} from './transport/resolve-subscribe-options.js';
export type { ResolvedSubscribeOptions, SubscribeOptionRules } from './transport/resolve-subscribe-options.js';

// Schemas and encodings
export { policySchema, DEFAULT_POLICY } from './schema/policy.js';
export type { Policy, PolicyPatch } from './schema/policy.js';
export { envelopeSchema, parseEnvelope, createEnvelope, envelopeToJson, traceContextOf } from './schema/envelope.js';
export type { CreateEnvelopeOptions } from './schema/envelope.js';
export { BATCH_MESSAGE_TYPE, batchPayloadSchema, encodeBatch, decodeBatch } from './schema/batch-payload.js';
export type { BatchPayload } from './schema/batch-payload.js';
export { float32FromNumbers, FLOAT32_MAX } from './schema/finite-values.js';
export {
  DEFAULT_WIRE_FORMAT,
  WIRE_FRAME_MAGIC,
  encodeWireFrame,
  decodeWireFrame,
  resolveWireFormat,
  tryDecodeWireFrame,
  isWireFrame,
} from './schema/wire-frame.js';
export type { WireDecoded, WireFormat } from './schema/wire-frame.js';
export type { FrameRoom } from './schema/frame-headroom.js';
export { binariesToBase64 } from './schema/payload-binaries.js';
export { encodeFloat32, decodeFloat32 } from './util/base64.js';
export { errorText } from './util/error-text.js';
export { corkUntil } from './util/cork-until.js';
export { sha256Hex } from './util/sha256.js';
export { contentHash } from './util/content-hash.js';
export { randomId } from './util/ids.js';
export { KeyedMutex } from './util/keyed-mutex.js';

// Built-in trainer (MLP / logistic regression in TypeScript) and its model
export {
  createMlpTrainer,
  mlpTrainerOptionsOf,
  prepareFitJob,
  runFitJob,
  finishFitJob,
  summarizeFitJob,
  fitJobTransfer,
  fitJobResultTransfer,
  fitCancelled,
  pooledTrainer,
  handleFitRequest,
  fitMlp,
  MlpFit,
  MlpModel,
  mlpModelFromOnnx,
  klGuard,
  interpolateMlp,
  lossAndGradient,
  initMlp,
  createPrng,
  deriveSeed,
  mlpForward,
  DIVERGENCE_NAMES,
} from './train/index.js';
export type {
  MlpTrainerOptions,
  FitJob,
  FitJobResult,
  FitJobSummary,
  FlatMlp,
  PrepareFitJobOptions,
  RunFitJobOptions,
  FitRequest,
  FitResponse,
  FitThread,
  FitThreadEvents,
  SpawnFitThread,
  PooledTrainerOptions,
  FitThreadStats,
  PooledTrainer,
  FitMlpOptions,
  FitMlpResult,
  Precision,
  MlpModelOptions,
  KlGuardOptions,
  KlGuardResult,
  LossBatch,
  LossValue,
  DissonanceTerm,
  DivergenceName,
  InitMlpOptions,
  TrainingData,
  Prng,
  MlpWeights,
  DenseLayer,
  Activation,
} from './train/index.js';

// ONNX writer and reader (no protobuf dependency)
export { writeOnnxMlp, readOnnxMlp, decodeOnnxModel, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, ONNX_OPSET } from './onnx/index.js';
export type { WriteOnnxMlpOptions, OnnxMlp, OnnxOutputKind, ModelProto } from './onnx/index.js';

// Data helpers for experiments
export { parseCsvDataset, fitStandardScaler, seededSplit } from './data/index.js';
export type { Dataset, ParseCsvOptions, StandardScaler, LoopSplit, SplitOptions } from './data/index.js';

// Runtime helpers
export { MicroBatcher } from './runtime/index.js';
/** For runtimes that hot-swap models: dispose a replaced model only after the runs that started on it. */
export { ModelLeases } from './engine/model-leases.js';
export type { MicroBatcherOptions, MicroBatcherStats } from './runtime/index.js';
// For ONNX runtime adapters (onnxruntime-node, onnxruntime-web): input/output choice and output normalisation.
export { chooseInput, chooseOutput, PREFERRED_OUTPUT_NAMES, softmaxRows, looksLikeProbabilities } from './runtime/index.js';
export type { ChosenInput, ChosenOutput, OnnxSessionInfo, OnnxValueInfo } from './runtime/index.js';
export { resolveSessionIo, readProbabilities, checkRunInput, PROBE_ROWS } from './runtime/index.js';
export type { OutputKind, SessionIoView, ResolvedSessionIo, ProbeRun } from './runtime/index.js';

// Telemetry
export { TRACER_NAME } from './telemetry/tracer.js';
export { inSpan, activeTraceId } from './telemetry/tracer.js';
export { formatTraceContext, parseTraceparent, extractTraceContext, type TraceCarrier } from './telemetry/trace-context.js';
export {
  tracedPublish,
  tracedHandler,
  type MessagingSystem,
  type MessagingTarget,
  type MessagingSubscription,
} from './telemetry/messaging.js';
export { EngineMetrics, DISSONANCE_BUCKETS, DURATION_BUCKETS, type EngineGaugeSources } from './telemetry/engine-metrics.js';
export { lineageLinks, MAX_LINEAGE_LINKS } from './telemetry/lineage-links.js';

// Logging
export { silentLogger, type Logger, type LogFields } from './logging/index.js';

// Engine
export { Engine, createEngine } from './engine/engine.js';
export type { BatchResult, EngineSummary, ProcessOptions } from './engine/engine.js';
export type { StopOptions } from './engine/stop-options.js';
export { NON_FINITE_DISSONANCE } from './engine/batch-rows.js';
export type { EngineConfig, RetrainConfig, RolloutConfig } from './engine/config.js';
export type {
  EngineEvents,
  ProposedEvent,
  DissonanceEvent,
  GatedItem,
  BlockedEvent,
  DeferredEvent,
  ExampleEvent,
  RetrainedEvent,
  PromotedEvent,
  RolledBackEvent,
  CanaryEvent,
  PolicyEvent,
  ErrorEvent,
  WarningEvent,
  SavingsEvent,
} from './engine/events.js';
export type { EngineHealth, PortHealth } from './engine/health.js';
export type { LoopCounters } from './engine/counters.js';
export type { Source, TransportSource } from './engine/source.js';
export { CHAMPION, CHALLENGER } from './engine/lifecycle.js';

// Security: signed artifacts, trust policy, ONNX safety check, envelope encryption (WebCrypto only)
export {
  canonicalJson,
  generateSigningKeyPair,
  importSigningKey,
  importVerifyKey,
  signingKeyId,
  SIGNATURE_TAG,
  SIGNATURE_KEY_ID_TAG,
  signArtifact,
  checkSignature,
  signatureTags,
  signatureFromTags,
  statementBytes,
  checkOnnxArtifact,
  DEFAULT_MAX_ONNX_BYTES,
  createArtifactVerifier,
  fetchVerified,
  createArtifactSigner,
  staticKeyProvider,
  parseKeyList,
  generateEncryptionKey,
  KEY_ID,
  EnvelopeCipher,
  ENVELOPE_MAGIC,
  SEALED_TEXT_PREFIX,
  bytesToBase64,
  base64ToBytes,
} from './security/index.js';
export type {
  CanonicalValue,
  KeyMaterial,
  SigningJwk,
  SigningKeyPair,
  ImportedKey,
  ArtifactSignature,
  ArtifactStatement,
  SignedArtifact,
  OnnxArtifactCheckOptions,
  TrustPolicy,
  ArtifactVerifier,
  ArtifactSource,
  SigningConfig,
  ArtifactSigner,
  KeyProvider,
} from './security/index.js';
