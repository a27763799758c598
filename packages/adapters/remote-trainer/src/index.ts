export { ARROW_STREAM, JOB_FORMAT, JOB_POINTER_FORMAT, RESULT_FORMAT } from './contract.js';
export type { JobConstraints, JobDivergence, TrainingJob, TrainingResult } from './contract.js';
export { decodeResult, encodeJob, encodeResult, reportFromJson } from './codec.js';
export { buildJob, remoteTrainer } from './remote-trainer.js';
export type { RemoteTrainer, RemoteTrainerOptions } from './remote-trainer.js';
export type { HttpChannelOptions } from './http-channel.js';
export {
  DEFAULT_JOBS_TOPIC,
  DEFAULT_RESULTS_GROUP,
  DEFAULT_RESULTS_TOPIC,
  JOB_ENVELOPE_TYPE,
  REFUSED_ENVELOPE_TYPE,
  RESULT_ENVELOPE_TYPE,
} from './transport-channel.js';
export type { JobMessage, RefusedMessage, ResultMessage, TransportChannelOptions } from './transport-channel.js';
export { decodeJobPointer, encodeJobPointer } from './job-pointer.js';
export type { JobPointer } from './job-pointer.js';
export { DEFAULT_SNAPSHOT_OVER_BYTES, DEFAULT_SNAPSHOT_PREFIX } from './object-store.js';
export type { ObjectStore, SnapshotOptions } from './object-store.js';
export { inputShapeOf } from './input-shape.js';
