import type { TrainingExample } from './batch.js';
import type { LoadedModel, ModelArtifact } from './model.js';
import type { CommitteeDetector } from './detector.js';
import type { Scalar } from './registry.js';

/** Limits and targets the loop asks the trainer to respect (from the policy in force). */
export interface TrainConstraints {
  /** Dissonance target `D_target` of the ADR loss `CE + λ·max(0, D − D_target)²`. */
  readonly dTarget: number;
  /** Upper bound of `λ`. */
  readonly lambdaMax: number;
  /** Bound on `KL(old‖new)` over the reference set. */
  readonly klEps: number;
  /** Critics whose disagreement with the candidate the loss measures. */
  readonly critics: readonly LoadedModel[];
  /** Detector the dissonance term uses. */
  readonly detector: CommitteeDetector;
  /** Reference rows for the KL guard (row-major) and their count. */
  readonly reference: { readonly x: Float32Array; readonly rows: number };
  /** Seed for reproducible training. */
  readonly seed: number;
  /**
   * Aborted when the fit is no longer wanted (superseded by a new champion, or abandoned by
   * `engine.stop({ retrain: 'abandon' })`): a trainer should stop and reject (an in-thread fit at its next
   * epoch, a threaded one by terminating its worker). Optional: a trainer that ignores it just finishes and
   * its candidate is dropped.
   */
  readonly signal?: AbortSignal;
}

/** What a trainer tells about a fit. */
export interface TrainReport {
  /** Loss after each epoch. */
  readonly loss: readonly number[];
  /** `KL(old‖new)` on the reference set of the returned model. */
  readonly kl?: number;
  /** Dissonance term value at the end. */
  readonly dissonance?: number;
  /** Epochs run. */
  readonly epochs?: number;
  /** Other numbers worth logging (backtrack factor, λ used…). */
  readonly extra?: Readonly<Record<string, number>>;
  /** Trainer parameters worth recording with the version. */
  readonly params?: Readonly<Record<string, Scalar>>;
}

/** A trained candidate: runnable now, serializable for the registry. */
export interface Candidate {
  readonly model: LoadedModel;
  readonly artifact: ModelArtifact;
  readonly report: TrainReport;
}

/** Fits a candidate from the current champion and the replay buffer. */
export interface Trainer {
  readonly name: string;
  fit(base: LoadedModel, examples: readonly TrainingExample[], constraints: TrainConstraints): Promise<Candidate>;
}
