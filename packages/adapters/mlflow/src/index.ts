/**
 * `@dissonance/adapter-mlflow`: a `ModelRegistry` and an experiment-tracking helper on an MLflow
 * tracking server, over its REST API 2.0 with `fetch` (no Python, no extra dependencies).
 */
export { MlflowRegistry, artifactFileName } from './mlflow-registry.js';
export {
  MlflowTracking,
  artifactPath,
  type MetricPoint,
  type MlflowRun,
  type RunData,
  type RunEndStatus,
  type RunRecord,
} from './mlflow-tracking.js';
export { MlflowHttp, MlflowHttpError, type MlflowRequest } from './mlflow-http.js';
export { MANIFEST_TAG, SHA256_TAG } from './manifest-tags.js';
export { recordEngineRuns, type EngineRuns, type EngineRunsOptions, type VersionedModel } from './engine-runs.js';
export type { FetchFunction, MlflowAuth, MlflowClientOptions, MlflowRegistryOptions } from './options.js';
export { LAYOUT_TAG, encodeVersionTags, decodeVersionTags, describeVersion } from './version-facts.js';
export {
  MLMODEL_REQUIREMENTS,
  MLMODEL_PYTHON,
  MLMODEL_MLFLOW_VERSION,
  onnxSignature,
  type TensorSpec,
} from './mlmodel-files.js';
export { readMlflowModel, type MlflowOnnxModel } from './mlflow-model.js';
