/**
 * `@dissonance/browser` — the browser side of dissonance: the ONNX Runtime Web runtime (WebGPU → wasm), a
 * model cache (Cache API or IndexedDB) with digest checks, the IndexedDB store, the uplink of labelled
 * high-dissonance items (offline queue, backoff, byte budget) and the champion pull with hot swap.
 * onnxruntime-web is a peer dependency, loaded on the first model load.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { hasWebGpu, probeWebGpu } from './webgpu.js';
export type { WebGpuProbe } from './webgpu.js';

// ONNX Runtime Web
export { OnnxWebRuntime } from './runtime/onnx-web-runtime.js';
export type { OnnxWebRuntimeOptions, PartialModelInfo, LoadUrlOptions } from './runtime/onnx-web-runtime.js';
export { OnnxWebModel } from './runtime/onnx-web-model.js';
export type { OnnxWebSessionView, OutputKind } from './runtime/onnx-web-model.js';
export type {
  WebExecutionProvider,
  WebExecutionProviderOption,
  WebProviderSelection,
  ProviderBenchmark,
} from './runtime/web-execution-provider.js';
export { loadOrtWeb } from './runtime/ort-web.js';
export type { OrtWebModule } from './runtime/ort-web.js';
export { softmaxRows, looksLikeProbabilities } from '@dissonance/core/adapter-kit';

// Model cache
export type { ModelCache } from './cache/model-cache.js';
export { CacheApiModelCache } from './cache/cache-api-model-cache.js';
export { IndexedDbModelCache } from './cache/indexeddb-model-cache.js';
export { fetchModelBytes } from './cache/fetch-model.js';
export type { FetchFunction, FetchModelOptions, FetchedModel } from './cache/fetch-model.js';

// Store
export { IndexedDbStore } from './store/indexeddb-store.js';
export type { IndexedDbStoreOptions } from './store/indexeddb-store.js';

// Uplink
export { Uplink } from './uplink/uplink.js';
export type { UplinkOptions, UplinkEvent, FlushResult, UplinkStats } from './uplink/uplink.js';
export type { FeedbackItem, QueuedItem } from './uplink/feedback-item.js';
export { ByteBudget } from './uplink/byte-budget.js';
export type { ByteBudgetOptions } from './uplink/byte-budget.js';

// Model pull
export { fetchChampionInfo, pullChampion, loadChampion } from './pull/model-pull.js';
export type { ModelPullOptions, PulledModel } from './pull/model-pull.js';
export { ChampionFollower } from './pull/champion-follower.js';
export type { SwapListener } from './pull/champion-follower.js';
export type { ChampionInfo, ArtifactCheck } from './pull/champion-info.js';

// Training in a module Web Worker
export { workerTrainer, type WorkerTrainerOptions } from './train/worker-trainer.js';
