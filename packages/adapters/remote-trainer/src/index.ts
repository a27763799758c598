export { ARROW_STREAM, JOB_FORMAT, RESULT_FORMAT } from './contract.js';
export type { JobConstraints, JobDivergence, TrainingJob, TrainingResult } from './contract.js';
export { decodeResult, encodeJob, encodeResult, reportFromJson } from './codec.js';
export { buildJob, remoteTrainer } from './remote-trainer.js';
export type { RemoteTrainer, RemoteTrainerOptions } from './remote-trainer.js';
