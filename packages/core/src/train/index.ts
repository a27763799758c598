/** The built-in trainer: MLP / logistic regression in pure TypeScript, its math and its model. */
export { createMlpTrainer, mlpTrainerOptionsOf } from './mlp-trainer.js';
export {
  prepareFitJob,
  runFitJob,
  finishFitJob,
  summarizeFitJob,
  fitJobTransfer,
  fitJobResultTransfer,
  fitCancelled,
  BUFFER_ONLY_METADATA_KEY,
  type FitJob,
  type FitJobResult,
  type FitJobSummary,
  type FlatMlp,
  type PrepareFitJobOptions,
  type RunFitJobOptions,
} from './fit-job.js';
export {
  pooledTrainer,
  handleFitRequest,
  type FitRequest,
  type FitResponse,
  type FitThread,
  type FitThreadEvents,
  type SpawnFitThread,
  type PooledTrainerOptions,
  type FitThreadStats,
  type PooledTrainer,
} from './fit-threads.js';
export {
  DEFAULT_HIDDEN,
  DEFAULT_MIN_STEPS,
  DEFAULT_REFIT_BELOW,
  checkTrainerOptions,
  checkConstraints,
  type MlpTrainerOptions,
} from './mlp-trainer-options.js';
export { fitMlp, MlpFit, type FitMlpOptions, type FitMlpResult, type Precision } from './mlp-fit.js';
export { MlpModel, mlpModelFromOnnx, type MlpModelOptions } from './mlp-model.js';
export { klGuard, interpolateMlp, sameArchitecture, type KlGuardOptions, type KlGuardResult } from './kl-guard.js';
export {
  lossAndGradient,
  forwardInto,
  MlpWorkspace,
  type DissonanceTerm,
  type LossBatch,
  type LossValue,
} from './mlp-gradients.js';
export {
  DIVERGENCE_NAMES,
  SYMMETRIC_KL_EPSILON,
  divergenceFor,
  isDivergenceName,
  divergenceRow,
  type DivergenceName,
  type DivergenceChoice,
} from './divergence-terms.js';
export { Adam, type AdamOptions } from './adam.js';
export { initMlp, type InitMlpOptions } from './mlp-init.js';
export { layoutForWidths, layoutOf, flattenMlp, unflattenMlp, type ParamLayout } from './mlp-layout.js';
export { packExamples, hardLabelData, type TrainingData } from './training-data.js';
export { baseWeights, type BaseWeights } from './warm-start.js';
export { createPrng, deriveSeed, type Prng } from './prng.js';
export { mlpForward } from './mlp-forward.js';
export type { MlpWeights, DenseLayer, Activation } from './mlp-weights.js';
