import type { LabelSavings } from '../labels/label-savings.js';
import type { DissonanceError } from '../errors.js';
import type { DecisionReason } from '../ports/gate.js';
import type { TrainingExample } from '../ports/batch.js';
import type { ModelVersion } from '../ports/registry.js';
import type { TrainReport } from '../ports/trainer.js';
import type { Policy } from '../schema/policy.js';
import type { CanaryStats } from '../rollout/canary.js';

/** The proposer's output for a batch. */
export interface ProposedEvent {
  readonly batchId: string;
  readonly ids: readonly string[];
  /** `rows × classes` probabilities served for the batch. */
  readonly probabilities: Float32Array;
  /** Version that served each row (differs per row only during a canary). */
  readonly versions: readonly string[];
}

/** Per-row dissonance of a batch. */
export interface DissonanceEvent {
  readonly batchId: string;
  readonly ids: readonly string[];
  readonly values: Float32Array;
  readonly mean: number;
  readonly max: number;
  readonly detector: string;
}

/** One blocked or deferred item. */
export interface GatedItem {
  readonly itemId: string;
  readonly gate: string;
  readonly reason: DecisionReason;
  readonly message: string;
  readonly dissonance: number;
}

/** Items a gate stopped in one batch. */
export interface BlockedEvent {
  readonly batchId: string;
  readonly items: readonly GatedItem[];
}

/** Items the budget deferred in one batch (they are retried, never dropped). */
export interface DeferredEvent {
  readonly batchId: string;
  readonly items: readonly (GatedItem & { readonly retryAt: number })[];
}

/** Training examples made from one batch (already durable in the store). */
export interface ExampleEvent {
  readonly batchId: string;
  readonly examples: readonly TrainingExample[];
}

/** A retrain finished: the candidate, its validation and the decision taken. */
export interface RetrainedEvent {
  readonly candidate: ModelVersion;
  readonly parent: string;
  readonly report: TrainReport;
  readonly goldenAccuracy: number | undefined;
  readonly parentGoldenAccuracy: number | undefined;
  readonly kl: number;
  readonly decision: 'canary' | 'promote' | 'reject';
  readonly reason: string;
}

/** A version became champion. */
export interface PromotedEvent {
  readonly version: string;
  readonly previous: string;
  readonly reason: string;
  readonly canary?: CanaryStats;
}

/** A candidate was refused, a canary failed, or the champion was moved back. */
export interface RolledBackEvent {
  readonly version: string;
  /** The champion after the rollback. */
  readonly champion: string;
  readonly stage: 'validate' | 'canary' | 'manual';
  readonly reason: string;
}

/** A challenger started its canary. */
export interface CanaryEvent {
  readonly version: string;
  readonly fraction: number;
}

/** The policy changed at run time. */
export interface PolicyEvent {
  readonly who: string;
  readonly before: Policy;
  readonly after: Policy;
}

/** A failure the loop survived (the failing batch or retrain is reported here; the loop goes on). */
export interface ErrorEvent {
  readonly stage:
    'generate' | 'detect' | 'reconcile' | 'retrain' | 'register' | 'source' | 'deferred' | 'refresh' | 'promote';
  readonly error: DissonanceError;
  readonly batchId?: string;
}

/**
 * The loop is starving: more than 20 % of a window's items were deferred (hourly bucket) or quarantined
 * (above `maxDissonance`, no oracle label), or a label source spent its budget. Also logged at `warn`.
 */
export interface WarningEvent {
  readonly kind: 'deferred' | 'quarantined' | 'label-budget';
  readonly message: string;
  /** Share of the window's items concerned (1 for `label-budget`). */
  readonly share: number;
}

/** An oracle's control arm got a label: the label savings measured on live traffic so far. */
export interface SavingsEvent extends LabelSavings {
  /** The label source's name. */
  readonly source: string;
}

/** Event names and listener signatures of the engine (eventemitter3 typing). */
export interface EngineEvents {
  proposed: (event: ProposedEvent) => void;
  dissonance: (event: DissonanceEvent) => void;
  blocked: (event: BlockedEvent) => void;
  deferred: (event: DeferredEvent) => void;
  example: (event: ExampleEvent) => void;
  retrained: (event: RetrainedEvent) => void;
  canary: (event: CanaryEvent) => void;
  promoted: (event: PromotedEvent) => void;
  rolledBack: (event: RolledBackEvent) => void;
  policy: (event: PolicyEvent) => void;
  error: (event: ErrorEvent) => void;
  warning: (event: WarningEvent) => void;
  savings: (event: SavingsEvent) => void;
}
