/**
 * @dissonance/core — the isomorphic engine of a self-correcting model loop:
 * generate → detect → reconcile → retrain, with ports and in-memory defaults.
 *
 * The root entry holds what an embedder uses: the engine, ports, errors, in-memory defaults, detectors, label
 * sources and policy. The built-in trainer and its data helpers are in `@dissonance/core/mlp`, helpers for
 * adapter authors in `@dissonance/core/adapter-kit`, the contract suites in `@dissonance/core/testing`.
 * @packageDocumentation
 */
export { ERROR_CODES, DissonanceError, isDissonanceError, toDissonanceError } from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';

// Ports
export type { ModelInfo, LoadedModel, ModelArtifact, ModelRuntime, PairedModels } from './ports/model.js';
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
export { DEAD_LETTER_TYPE } from './ports/transport.js';
export type { Envelope, Delivery, SubscribeOptions, DeadLetter, Subscription, Transport } from './ports/transport.js';
export { systemClock } from './clock/clock.js';
export type { Clock, TimerHandle } from './clock/clock.js';

// Models
export { FunctionModel, withVersion } from './models/function-model.js';
export type { ModelFunction, FunctionModelOptions } from './models/function-model.js';

// Detectors
export { absDiff, totalVariation, jensenShannon, symmetricKl, createSymmetricKl, hellinger } from './detect/index.js';
export { meanPairwise, meanPairwiseJs, proposerVsCritics, voteEntropy, consensusEntropy } from './detect/index.js';
export {
  DETECTOR_NAMES,
  COMMITTEE_DETECTOR_NAMES,
  detectorByName,
  committeeDetectorByName,
  asCommittee,
} from './detect/index.js';
export type { SymmetricKlOptions, MeanPairwiseOptions, DetectorName, CommitteeDetectorName } from './detect/index.js';

// Reconcile: the engine's gates are named in its `gates` option; your own gates implement the Gate port.
export { BUILT_IN_GATES, DEFAULT_GATES } from './engine/gates.js';
export type { BuiltInGateName, GateEntry } from './engine/gates.js';
export { PASS } from './reconcile/pass.js';
export { PoisoningGuard } from './reconcile/poisoning-guard.js';
export type { PoisoningGuardOptions, FeedbackVerdict, FeedbackOutputs } from './reconcile/poisoning-guard.js';

// Label sources
export * from './labels/index.js';
export { SELECTION_SCORES, type SelectionScore } from './select/scores.js';

// Rollout
export { goldenAccuracy } from './rollout/golden-accuracy.js';
export { modelKl } from './rollout/kl-divergence.js';
export type { CanaryStats, CanaryVerdict } from './rollout/canary.js';

// In-memory implementations (the embedded default)
export { MemoryRegistry } from './memory/memory-registry.js';
export type { MemoryRegistryOptions } from './memory/memory-registry.js';
export { MemoryStore } from './memory/memory-store.js';
export type { MemoryStoreOptions } from './memory/memory-store.js';
export { MemoryTransport, createMemoryTransport } from './memory/memory-transport.js';
export type { MemoryTransportOptions } from './memory/memory-transport.js';
export { MemoryDedupStore } from './memory/memory-dedup-store.js';
export type { MemoryDedupStoreOptions } from './memory/memory-dedup-store.js';
export { idempotent } from './engine/idempotent.js';
export type { IdempotentOptions } from './engine/idempotent.js';

// Policy
export { policySchema, DEFAULT_POLICY } from './schema/policy.js';
export type { Policy, PolicyPatch } from './schema/policy.js';
export { randomId } from './util/ids.js';

// Runtime helpers
export { MicroBatcher } from './runtime/index.js';
export type { MicroBatcherOptions, MicroBatcherStats } from './runtime/index.js';

// Logging
export { silentLogger, type Logger, type LogFields } from './logging/index.js';

// Engine
export { Engine, createEngine } from './engine/engine.js';
export type { BatchResult, EngineSummary, ProcessOptions } from './engine/engine.js';
export type { StopOptions } from './engine/stop-options.js';
export { NON_FINITE_DISSONANCE } from './engine/batch-rows.js';
export type { EngineConfig, RetrainConfig, RolloutConfig } from './engine/config.js';
export { ENGINE_DEFAULTS, type EngineDefaults } from './engine/defaults.js';
export { resolveEngineConfig } from './engine/resolve-config.js';
export type { ResolvedEngineConfig, ResolvedRetrainConfig, ResolvedRolloutConfig } from './engine/resolve-config.js';
export { QUARANTINE_KEY, quarantinedFeedback } from './engine/feedback-intake.js';
export type { FeedbackItem, FeedbackOptions, FeedbackOutcome, QuarantineRecord } from './engine/feedback-intake.js';
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

// Security: signing keys, signed artifacts, trust policy, envelope encryption (WebCrypto only)
export {
  generateSigningKeyPair,
  importSigningKey,
  importVerifyKey,
  signingKeyId,
  signArtifact,
  signatureTags,
  createArtifactVerifier,
  createArtifactSigner,
  staticKeyProvider,
  parseKeyList,
  generateEncryptionKey,
  EnvelopeCipher,
} from './security/index.js';
export type {
  KeyMaterial,
  SigningJwk,
  SigningKeyPair,
  ImportedKey,
  ArtifactSignature,
  ArtifactStatement,
  SignedArtifact,
  TrustPolicy,
  ArtifactVerifier,
  ArtifactSource,
  SigningConfig,
  ArtifactSigner,
  KeyProvider,
} from './security/index.js';
