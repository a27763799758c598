/**
 * `@dissonance/cli` — the `dissonance` bin and the code behind it, usable as a library: the demo and
 * `evaluate` protocol (with its HTML report and the data sets shipped in this package), the distributed demo
 * over RabbitMQ, NATS or Redis, and the command runner itself.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { runCliAsync, type CliIo } from './run-cli.js';
export { runDemo, type DemoOptions } from './demo/run-demo.js';
export { renderReport } from './demo/render-report.js';
export type {
  DemoResult,
  StrategyResult,
  VersionRecord,
  DissonanceRound,
  CurvePoint,
  MeanSd,
} from './demo/demo-result.js';
export {
  evaluate,
  evaluationOf,
  type EvaluateInput,
  type Evaluation,
  type EvaluationStrategy,
  type EvaluationMeanSd,
} from './demo/evaluation.js';
export { loadDataset, findDataDir, DEMO_DATASETS } from './demo/load-dataset.js';
export type { RegistryChoice, FileRegistryChoice, MlflowRegistryChoice } from './registry-factory/index.js';
export { runDistributedDemo } from './demo/distributed/run-distributed.js';
export type { DistributedDemoOptions, DistributedDemoResult } from './demo/distributed/run-distributed.js';
export { connectBroker, BROKER_KINDS, type BrokerKind } from './demo/distributed/broker.js';
export type { StageProcess } from './demo/distributed/stage-process.js';
