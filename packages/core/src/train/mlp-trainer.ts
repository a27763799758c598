import type { TrainingExample } from '../ports/batch.js';
import type { LoadedModel } from '../ports/model.js';
import type { Candidate, TrainConstraints, Trainer } from '../ports/trainer.js';
import { finishFitJob, prepareFitJob, runFitJob, summarizeFitJob } from './fit-job.js';
import { mlpModelFromOnnx } from './mlp-model.js';
import { checkTrainerOptions, type MlpTrainerOptions } from './mlp-trainer-options.js';
import { yieldToEventLoop } from '../util/yield-to-loop.js';

/** How long a fit may hold the event loop before it yields (between epochs). */
const YIELD_EVERY_MS = 25;

/** Awaited between epochs: yields to the event loop once {@link YIELD_EVERY_MS} have passed since the last yield. */
function epochYielder(): () => Promise<void> {
  let lastYield = Date.now();
  return async () => {
    if (Date.now() - lastYield < YIELD_EVERY_MS) return;
    await yieldToEventLoop();
    lastYield = Date.now();
  };
}

/** Options of the built-in trainer kept on the trainer it made, so another thread can make the same one. */
const OPTIONS = Symbol.for('dissonance.mlpTrainerOptions');

/**
 * The options `createMlpTrainer` was given, when `trainer` is the built-in trainer it made; else undefined.
 * Lets `threadedTrainer` (in `@dissonance/node`) and the browser's worker trainer run the same fit elsewhere.
 */
export function mlpTrainerOptionsOf(trainer: Trainer): MlpTrainerOptions | undefined {
  return (trainer as { [OPTIONS]?: MlpTrainerOptions })[OPTIONS];
}

/**
 * The built-in trainer (`name: 'mlp'`), pure TypeScript. `fit(base, examples, constraints)`:
 *
 * 1. starts from the champion's MLP weights ({@link baseWeights}) unless `warmStart` is false or it has
 *    none, else from {@link initMlp} with `hidden` and a seed derived from `constraints.seed`; with fewer
 *    than `refitBelow` examples (default 2,000) and a champion learnt from the replay buffer alone
 *    (`BUFFER_ONLY_METADATA_KEY`), from fresh weights of the champion's shape instead (a refit); a fit
 *    from fresh weights runs at least `minSteps` optimizer steps (default 600);
 * 2. runs every critic once on the examples, then Adam on shuffled mini-batches of the loss
 *    `Σ wᵢ·CEᵢ / Σ wᵢ + λ·max(0, D − D_target)²` (`lossAndGradient`), `λ = min(lambda, lambdaMax)`,
 *    `D` the detector's differentiable form ({@link divergenceFor}: committee detectors fall back to
 *    Jensen–Shannon, reported as `params.divergenceFallback`);
 * 3. backtracks toward the champion until `KL(old‖new)` over `constraints.reference` ≤ `klEps`
 *    ({@link klGuard}) — when the champion's weights are known and have the same architecture; otherwise
 *    the KL is measured and reported only (`extra.klGuard = 0`). A refit is kept whole when its KL is within
 *    `klEps`, else the fit falls back to the warm start from the champion and backtracks as above
 *    (`extra.refit`, `extra.refitFallback`, `extra.refitKl`).
 *
 * The report holds the loss per epoch, the KL and the dissonance (the constraints' detector, model vs
 * critics, over the examples) of the returned model, `extra` (`backtrack` = t, `halvings`, `klUnguarded`,
 * `klGuard`, `lambda`, `dTarget`, `warmStart`, `steps`, `timedOut`, `seconds`) and `params`.
 * Same seed, base and examples → bit-identical weights.
 *
 * @throws DissonanceError `E_CONFIG` on bad options (at creation); from `fit`: `E_TRAINER` without examples,
 *   `E_INPUT` on a bad example or constraint, `E_MODEL` when a critic returns unusable outputs.
 */
export function createMlpTrainer(options: MlpTrainerOptions = {}): Trainer {
  checkTrainerOptions(options);
  const frozen: MlpTrainerOptions = { ...options };
  return {
    name: 'mlp',
    [OPTIONS]: frozen,
    async fit(
      base: LoadedModel,
      examples: readonly TrainingExample[],
      constraints: TrainConstraints,
    ): Promise<Candidate> {
      const started = Date.now();
      const job = await prepareFitJob(base, examples, constraints, frozen);
      const summary = summarizeFitJob(job);
      const signal = constraints.signal;
      const result = await runFitJob(job, {
        betweenEpochs: epochYielder(),
        ...(signal === undefined ? {} : { signal }),
      });
      return finishFitJob(
        summary,
        result,
        constraints.detector,
        async (bytes) => mlpModelFromOnnx(bytes, { name: base.name, version: 'candidate' }),
        started,
      );
    },
  } as Trainer;
}
