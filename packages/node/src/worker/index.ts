export { runWorker } from './run-worker.js';
export { FileDedupStore, type FileDedupStoreOptions } from './file-dedup-store.js';
export {
  STAGE_MESSAGE_TYPES,
  STAGE_TOPICS,
  encodeItems,
  decodeItems,
  encodePredictions,
  decodePredictions,
  encodeExamples,
  decodeExamples,
  decodeProgress,
} from './stage-messages.js';
export type {
  StageMeta,
  ItemsMessage,
  PredictionsMessage,
  ExamplesMessage,
  ProgressMessage,
} from './stage-messages.js';
export type {
  Stage,
  CommonWorkerOptions,
  ProposerSource,
  GenerateWorkerOptions,
  DetectWorkerOptions,
  RetrainWorkerOptions,
  WorkerOptions,
  WorkerHandle,
} from './worker-options.js';
