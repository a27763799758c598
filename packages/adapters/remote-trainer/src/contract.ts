import type { TrainReport } from '@dissonance/core';

/** The divergences the dissonance term can use (`DIVERGENCE_NAMES` of `@dissonance/core/mlp`). */
export type JobDivergence = 'jensen-shannon' | 'total-variation' | 'abs-diff' | 'hellinger' | 'symmetric-kl';

/** What the loop asks the trainer to respect: `TrainConstraints` minus the models, which travel as outputs. */
export interface JobConstraints {
  readonly dTarget: number;
  readonly lambdaMax: number;
  readonly klEps: number;
  readonly seed: number;
  /** The detector's differentiable divergence (`jensen-shannon` when the detector has none). */
  readonly divergence: JobDivergence;
}

/**
 * One retrain request, as `docs/external-trainers.md` describes it (the Python side's `TrainingJob`). Arrays
 * are row-major: `rows` examples of `width` features over `classes` classes, `referenceRows` reference rows.
 */
export interface TrainingJob {
  /** The job's id; a retry reuses it. */
  readonly jobId: string;
  /** Model name in the registry. */
  readonly model: string;
  /** The champion the job starts from, and the sha256 (lower-case hex) of its ONNX bytes (`''` when unknown). */
  readonly baseVersion: string;
  readonly baseSha256: string;
  readonly width: number;
  readonly classes: number;
  /** The model input without the batch axis (default `[width]`); its product is `width`. */
  readonly inputShape?: readonly number[];
  /** Example ids (the replay buffer's item ids), `rows` of them. */
  readonly ids: readonly string[];
  /** `rows × width` features. */
  readonly x: Float32Array;
  /** Each row's class when its target is hard, `null` when soft. */
  readonly labels: readonly (number | null)[];
  /** `rows × classes` target distributions (hard targets one-hot). */
  readonly targets: Float32Array | Float64Array;
  /** `rows` sample weights, each > 0. */
  readonly weights: Float64Array;
  /** Each row's `Provenance` as JSON text. */
  readonly provenance: readonly string[];
  /** Each critic's `rows × classes` probabilities on the examples. */
  readonly criticProbs: readonly Float32Array[];
  /** `referenceRows × width` reference rows of the KL guard. */
  readonly reference: Float32Array;
  readonly referenceRows: number;
  /** The champion's `referenceRows × classes` probabilities on the reference rows. */
  readonly referenceProbs: Float32Array;
  readonly constraints: JobConstraints;
  /** Unix epoch milliseconds after which the engine stops waiting. */
  readonly deadlineMs: number;
  /**
   * Where the worker may upload the candidate's ONNX instead of answering it inline (an object-store URI,
   * `s3://bucket/key`); set by `remoteTrainer` when its `snapshots` option names a store.
   */
  readonly resultUri?: string;
}

/** A trained candidate as the worker answers it: ONNX bytes (or an object-store URI) with their sha256, and the report. */
export interface TrainingResult {
  readonly jobId: string;
  /** sha256 (lower-case hex) of the ONNX bytes. */
  readonly sha256: string;
  /** The ONNX bytes; absent when only {@link TrainingResult.uri} travels. */
  readonly onnx?: Uint8Array;
  readonly uri?: string;
  readonly report: TrainReport;
}

/** Media type of job and result bodies. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** `dissonance.format` of a job stream. */
export const JOB_FORMAT = 'dissonance-training-job/1';
/** `dissonance.format` of a pointer job: the job's stream is in an object store ({@link TrainingJob} by URI). */
export const JOB_POINTER_FORMAT = 'dissonance-training-job-pointer/1';
/** `dissonance.format` of a result stream. */
export const RESULT_FORMAT = 'dissonance-training-result/1';
