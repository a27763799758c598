/** Registry choices of the CLI and the optional adapters behind them. */
export {
  DEFAULT_MLFLOW_EXPERIMENT,
  DEFAULT_MLFLOW_MODEL_PREFIX,
  type FileRegistryChoice,
  type MlflowRegistryChoice,
  type RegistryChoice,
} from './registry-choice.js';
export {
  loadMlflowAdapter,
  MLFLOW_ADAPTER_PACKAGE,
  type EngineRunsLike,
  type MlflowAdapter,
  type MlflowRegistryLike,
  type MlflowTrackingLike,
} from './mlflow-adapter.js';
