/**
 * `@dissonance/core/mlp`: the built-in trainer (MLP / logistic regression in TypeScript) and its model, the
 * MLP ONNX writer and reader (no protobuf dependency), and the data helpers of experiments: CSV data sets, a
 * standard scaler and a seeded golden / seed-set / stream split.
 * @packageDocumentation
 */

// The built-in trainer and its worker-thread pool
export {
  createMlpTrainer,
  mlpTrainerOptionsOf,
  pooledTrainer,
  handleFitRequest,
  BUFFER_ONLY_METADATA_KEY,
  DEFAULT_MIN_STEPS,
  DEFAULT_REFIT_BELOW,
} from './train/index.js';
export type {
  MlpTrainerOptions,
  FitJob,
  FitJobResult,
  FitJobSummary,
  FlatMlp,
  FitRequest,
  FitResponse,
  FitThread,
  FitThreadEvents,
  SpawnFitThread,
  PooledTrainerOptions,
  FitThreadStats,
  PooledTrainer,
} from './train/index.js';

// Fitting and running an MLP directly
export {
  fitMlp,
  MlpModel,
  mlpModelFromOnnx,
  initMlp,
  mlpForward,
  createPrng,
  deriveSeed,
  DIVERGENCE_NAMES,
} from './train/index.js';
export type {
  FitMlpOptions,
  FitMlpResult,
  Precision,
  MlpModelOptions,
  DissonanceTerm,
  DivergenceName,
  InitMlpOptions,
  TrainingData,
  Prng,
  MlpWeights,
  DenseLayer,
  Activation,
} from './train/index.js';

// ONNX writer and reader
export {
  writeOnnxMlp,
  readOnnxMlp,
  decodeOnnxModel,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
  ONNX_OPSET,
} from './onnx/index.js';
export type { WriteOnnxMlpOptions, OnnxMlp, OnnxOutputKind, ModelProto } from './onnx/index.js';

// Data helpers for experiments
export { parseCsvDataset, fitStandardScaler, seededSplit } from './data/index.js';
export type { Dataset, ParseCsvOptions, StandardScaler, LoopSplit, SplitOptions } from './data/index.js';
