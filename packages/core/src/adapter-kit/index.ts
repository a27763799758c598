/**
 * `@dissonance/core/adapter-kit`: helpers for adapter authors (transports, registries, stores, model runtimes),
 * so that every implementation of a port gives the same errors and speaks the same wire formats.
 * An embedder needs none of it.
 * @packageDocumentation
 */

// Envelopes and batch payloads on a transport
export { ENVELOPE_VERSION } from '../ports/transport.js';
export { parseEnvelope, createEnvelope, envelopeToJson, traceContextOf } from '../schema/envelope.js';
export type { CreateEnvelopeOptions } from '../schema/envelope.js';
export { encodeBatch, decodeBatch } from '../schema/batch-payload.js';
export type { BatchPayload } from '../schema/batch-payload.js';
export { float32FromNumbers, FLOAT32_MAX } from '../schema/finite-values.js';
export { encodeFloat32, decodeFloat32 } from '../util/base64.js';

// Wire frames (binary envelopes)
export {
  DEFAULT_WIRE_FORMAT,
  encodeWireFrame,
  decodeWireFrame,
  resolveWireFormat,
  tryDecodeWireFrame,
} from '../schema/wire-frame.js';
export type { WireDecoded, WireFormat } from '../schema/wire-frame.js';
export type { FrameRoom } from '../schema/frame-headroom.js';

// Transport plumbing: traced publish and handle, backpressure, lineage links
export {
  tracedPublish,
  tracedHandler,
  type MessagingSystem,
  type MessagingTarget,
  type MessagingSubscription,
} from '../telemetry/messaging.js';
export { MAX_LINEAGE_LINKS } from '../telemetry/lineage-links.js';
export { corkUntil } from '../util/cork-until.js';

// Shared validation and copies, so every registry and store gives the same errors
export { checkRegisterInput, checkName, REGISTRY_NAME } from '../memory/register-input.js';
export { checkPageSize, parsePageToken, pageTokenBelow, PAGE_SIZE } from '../memory/page-token.js';
export { cloneJson } from '../memory/clone-json.js';
export { checkedExampleCopy, exampleCopy } from '../memory/copy-example.js';
export { checkedAuditCopy, auditCopy } from '../memory/copy-audit.js';

// Signed artifacts as registries store them
export {
  SIGNATURE_TAG,
  SIGNATURE_KEY_ID_TAG,
  signatureFromTags,
  fetchVerified,
  checkOnnxArtifact,
  KEY_ID,
  bytesToBase64,
} from '../security/index.js';
export type { OnnxArtifactCheckOptions } from '../security/index.js';

// ONNX model runtimes (onnxruntime-node, onnxruntime-web): input/output choice, output normalisation, hot swaps
export {
  chooseInput,
  chooseOutput,
  inputDims,
  PREFERRED_OUTPUT_NAMES,
  softmaxRows,
  looksLikeProbabilities,
} from '../runtime/index.js';
export type { ChosenInput, ChosenOutput, OnnxSessionInfo, OnnxValueInfo } from '../runtime/index.js';
export { resolveSessionIo, readProbabilities, checkRunInput } from '../runtime/index.js';
export type { OutputKind, SessionIoView, ResolvedSessionIo, ProbeRun } from '../runtime/index.js';
/** For runtimes that run a proposer and its critic as one model (`LoadedModel.pairWith`). */
export { pairOnnxGraphs } from '../onnx/pair-graphs.js';
export type { PairedOnnxGraphs } from '../onnx/pair-graphs.js';
/** For runtimes that hot-swap models: dispose a replaced model only after the runs that started on it. */
export { ModelLeases } from '../engine/model-leases.js';
export { argmaxRow } from '../rollout/golden-accuracy.js';

// Small utilities adapters share
export { errorText } from '../util/error-text.js';
export { sha256Hex } from '../util/sha256.js';
export { KeyedMutex } from '../util/keyed-mutex.js';

// Subscribe-option resolution shared by every transport (one copy: every adapter gives the same errors)
export {
  resolveSubscribeOptions,
  checkTransportName,
  invalidOption,
  DEFAULT_PREFETCH,
  DEFAULT_MAX_ATTEMPTS,
} from '../transport/resolve-subscribe-options.js';
export type { ResolvedSubscribeOptions, SubscribeOptionRules } from '../transport/resolve-subscribe-options.js';
