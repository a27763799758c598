/** `dissonance serve --config FILE`: the schema, `${ENV}` substitution, loading and starting. */
export { SERVE_CONFIG_DEFAULTS, serveConfigSchema, type ServeConfig, type ServeConfigInput } from './config-schema.js';
export { substituteEnv, type Env, type Substituted } from './env-substitution.js';
export { configProblemsError, formatProblem, problemsOf, type ConfigProblem } from './config-problems.js';
export { loadServeConfig, parseServeConfig, type LoadedServeConfig } from './load-serve-config.js';
export { startServeConfig, type ConfigServe } from './start-serve-config.js';
export { runServeConfigCommand, SERVE_CONFIG_HELP, wantsConfig } from './run-serve-config.js';
export { loadS3Adapter, S3_ADAPTER_PACKAGE, type S3Adapter, type S3RegistryLikeOptions } from './s3-adapter.js';
