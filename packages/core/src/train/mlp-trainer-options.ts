import { DissonanceError } from '../errors.js';
import type { TrainConstraints } from '../ports/trainer.js';
import type { Precision } from './mlp-fit.js';

/** Hidden layers of a model trained from scratch when {@link MlpTrainerOptions.hidden} is absent. */
export const DEFAULT_HIDDEN: readonly number[] = [32];

/**
 * Default of {@link MlpTrainerOptions.refitBelow}: a fit on fewer examples starts from fresh weights rather
 * than the champion's.
 */
export const DEFAULT_REFIT_BELOW = 2_000;

/** Default of {@link MlpTrainerOptions.minSteps}: optimizer steps a fit from fresh weights takes at least. */
export const DEFAULT_MIN_STEPS = 600;

/** Options of `createMlpTrainer`. */
export interface MlpTrainerOptions {
  /** Hidden layer widths of a model trained from scratch (default {@link DEFAULT_HIDDEN}; `[]`: logistic regression). */
  readonly hidden?: readonly number[];
  /** Passes over the examples (default 20). */
  readonly epochs?: number;
  /** Rows per mini-batch (default 32). */
  readonly batchSize?: number;
  /** Adam learning rate (default `1e-3`). */
  readonly learningRate?: number;
  /** L2 penalty on the weight matrices (default 0). */
  readonly l2?: number;
  /** `λ` of the dissonance term, capped at `constraints.lambdaMax` (default: `lambdaMax`). */
  readonly lambda?: number;
  /** Start from the champion's weights when it has readable MLP weights (default true). */
  readonly warmStart?: boolean;
  /**
   * Refit from fresh weights (the champion's architecture, a seed derived from `constraints.seed`) instead of
   * warm-starting from the champion while a fit has fewer than this many examples (default
   * {@link DEFAULT_REFIT_BELOW}; 0: always warm-start). A network warm-started round after round on a small,
   * growing buffer generalises worse than one refitted on all of it (Ash & Adams, "On warm-starting neural
   * network training", 2020); on bench/learning the refit gained 1–3 points where the buffer holds a few
   * hundred rows (docs/benchmarks.md). A refit is kept whole or not at all: when its `KL(old‖new)` over the
   * reference rows is above `klEps`, the fit falls back to the warm start from the champion under the usual
   * backtracking guard (`extra.refitFallback = 1`), so the KL bound holds for every candidate either way.
   * Only with `warmStart` on, and only for a champion of the architecture `initMlp` makes (ReLU hidden
   * layers); others are always warm-started.
   */
  readonly refitBelow?: number;
  /**
   * Optimizer steps a fit from fresh weights (a refit, `warmStart: false`, or a base without MLP weights)
   * takes at least (default {@link DEFAULT_MIN_STEPS}): its epochs are raised to
   * `⌈minSteps / ⌈examples / batchSize⌉⌉` when `epochs` gives fewer, so a small buffer is fitted to
   * convergence rather than for `epochs` passes of a few mini-batches. A warm start keeps `epochs`. 0: off.
   */
  readonly minSteps?: number;
  /** Parameter arithmetic between steps (default `float32`); see `FitMlpOptions.precision`. */
  readonly precision?: Precision;
  /** Stop training after this many seconds (default: no limit); the KL guard still runs. */
  readonly maxSeconds?: number;
}

function configError(message: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `mlp trainer: ${message}`);
}

/**
 * Checks trainer options.
 *
 * @throws DissonanceError `E_CONFIG` naming the first bad option.
 */
export function checkTrainerOptions(options: MlpTrainerOptions): void {
  const count = (name: string, value: number | undefined, min: number): void => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min))
      throw configError(`${name} must be an integer ≥ ${min}, got ${value}`);
  };
  const positive = (name: string, value: number | undefined, allowZero: boolean): void => {
    if (value !== undefined && !(Number.isFinite(value) && (allowZero ? value >= 0 : value > 0))) {
      throw configError(`${name} must be a finite number ${allowZero ? '≥' : '>'} 0, got ${value}`);
    }
  };
  if (options.hidden !== undefined && !options.hidden.every((w) => Number.isSafeInteger(w) && w >= 1)) {
    throw configError(`hidden widths must be positive integers, got [${options.hidden.join(', ')}]`);
  }
  count('epochs', options.epochs, 0);
  count('refitBelow', options.refitBelow, 0);
  count('minSteps', options.minSteps, 0);
  count('batchSize', options.batchSize, 1);
  positive('learningRate', options.learningRate, false);
  positive('l2', options.l2, true);
  positive('lambda', options.lambda, true);
  positive('maxSeconds', options.maxSeconds, false);
  if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float64') {
    throw configError(`precision must be 'float32' or 'float64', got ${String(options.precision)}`);
  }
}

/**
 * Checks the constraints a fit receives: finite `dTarget` and `seed`, finite `lambdaMax ≥ 0`, `klEps ≥ 0`,
 * reference rows of `inputWidth` features.
 *
 * @throws DissonanceError `E_INPUT` naming the first bad constraint.
 */
export function checkConstraints(constraints: TrainConstraints, inputWidth: number): void {
  const { dTarget, lambdaMax, klEps, seed, reference } = constraints;
  const fail = (message: string): never => {
    throw new DissonanceError('E_INPUT', `mlp trainer: ${message}`);
  };
  if (!Number.isFinite(dTarget)) fail(`dTarget must be finite, got ${dTarget}`);
  if (!(Number.isFinite(lambdaMax) && lambdaMax >= 0)) fail(`lambdaMax must be finite ≥ 0, got ${lambdaMax}`);
  if (!(klEps >= 0)) fail(`klEps must be ≥ 0, got ${klEps}`);
  if (!Number.isFinite(seed)) fail(`seed must be finite, got ${seed}`);
  if (
    !Number.isSafeInteger(reference.rows) ||
    reference.rows < 0 ||
    reference.x.length !== reference.rows * inputWidth
  ) {
    fail(`reference x must hold rows × ${inputWidth} values`);
  }
}
