/** Where the demo (and later the CLI) keeps its model versions. */
export type RegistryChoice = FileRegistryChoice | MlflowRegistryChoice;

/** The default: a file registry under the run's directory (in memory when there is none). */
export interface FileRegistryChoice {
  readonly kind: 'file';
}

/** An MLflow tracking server, through the optional `@dissonance/adapter-mlflow` package. */
export interface MlflowRegistryChoice {
  readonly kind: 'mlflow';
  /** Tracking server base URL, e.g. `http://127.0.0.1:5001`. */
  readonly uri: string;
  /** Experiment of the runs; default {@link DEFAULT_MLFLOW_EXPERIMENT}. */
  readonly experiment?: string;
  /** Prefix of the registered model names; default {@link DEFAULT_MLFLOW_MODEL_PREFIX}. */
  readonly modelPrefix?: string;
}

/** Experiment the demo's runs go to when `--mlflow-experiment` is not given. */
export const DEFAULT_MLFLOW_EXPERIMENT = 'dissonance-demo';

/** Registered-model name prefix when `--mlflow-model-prefix` is not given. */
export const DEFAULT_MLFLOW_MODEL_PREFIX = 'dissonance-demo-';
