import type { TrainingExample } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { LoadedModel } from '../ports/model.js';
import type { Scalar } from '../ports/registry.js';
import type { Candidate, TrainConstraints, Trainer } from '../ports/trainer.js';
import { meanKl } from '../rollout/kl-divergence.js';
import { criticOutputs, float32Rows } from './critic-outputs.js';
import { divergenceFor } from './divergence-terms.js';
import { klGuard, sameArchitecture, type KlGuardResult } from './kl-guard.js';
import { MlpFit } from './mlp-fit.js';
import { mlpForward } from './mlp-forward.js';
import { initMlp } from './mlp-init.js';
import { MlpModel } from './mlp-model.js';
import { checkConstraints, checkTrainerOptions, DEFAULT_HIDDEN, type MlpTrainerOptions } from './mlp-trainer-options.js';
import type { MlpWeights } from './mlp-weights.js';
import { deriveSeed } from './prng.js';
import { packExamples } from './training-data.js';
import { baseWeights, type BaseWeights } from './warm-start.js';

/** How long a fit may hold the event loop before it yields (between epochs). */
const YIELD_EVERY_MS = 25;

/** Yields to the event loop, so a long fit does not starve the rest of the process or page. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs the fit's epochs, yielding to the event loop every {@link YIELD_EVERY_MS}. */
async function runEpochs(fit: MlpFit): Promise<void> {
  let lastYield = Date.now();
  while (!fit.done) {
    fit.runEpoch();
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
  }
}

/** Backtracks toward the champion's weights, or — without comparable ones — measures the KL only. */
async function guardKl(base: LoadedModel, found: BaseWeights, trained: MlpWeights, constraints: TrainConstraints): Promise<KlGuardResult & { guarded: boolean }> {
  if (found.ok && sameArchitecture(found.weights, trained)) {
    return { ...(await klGuard(base, found.weights, trained, constraints.reference, { klEps: constraints.klEps })), guarded: true };
  }
  const { x, rows } = constraints.reference;
  const kl = rows === 0 ? 0 : meanKl(await base.run(x, rows), mlpForward(trained, x, rows), rows, trained.classes);
  return { weights: trained, t: 1, kl, klFull: kl, halvings: 0, guarded: false };
}

/** Mean over the examples of the configured detector between the model and the critics (0 without critics). */
function meanDissonance(weights: MlpWeights, x: Float32Array, rows: number, critics: readonly Float64Array[], detector: CommitteeDetector): number {
  if (critics.length === 0 || rows === 0) return 0;
  const members = [mlpForward(weights, x, rows), ...critics.map(float32Rows)];
  const perRow = detector.measure(members, rows, weights.classes);
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += perRow[r]!;
  return sum / rows;
}

function initNote(found: BaseWeights, warm: boolean): string {
  if (found.ok) return warm ? `warm (${found.source})` : 'fresh (warmStart off)';
  return `fresh (${found.reason})`;
}

/**
 * The built-in trainer (`name: 'mlp'`), pure TypeScript. `fit(base, examples, constraints)`:
 *
 * 1. starts from the champion's MLP weights ({@link baseWeights}) unless `warmStart` is false or it has
 *    none, else from {@link initMlp} with `hidden` and a seed derived from `constraints.seed`;
 * 2. runs every critic once on the examples, then Adam on shuffled mini-batches of the loss
 *    `Σ wᵢ·CEᵢ / Σ wᵢ + λ·max(0, D − D_target)²` (`lossAndGradient`), `λ = min(lambda, lambdaMax)`,
 *    `D` the detector's differentiable form ({@link divergenceFor}: committee detectors fall back to
 *    Jensen–Shannon, reported as `params.divergenceFallback`);
 * 3. backtracks toward the champion until `KL(old‖new)` over `constraints.reference` ≤ `klEps`
 *    ({@link klGuard}) — when the champion's weights are known and have the same architecture; otherwise
 *    the KL is measured and reported only (`extra.klGuard = 0`).
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
  const epochs = options.epochs ?? 20;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 1e-3;
  const l2 = options.l2 ?? 0;
  const precision = options.precision ?? 'float32';
  const warmStart = options.warmStart ?? true;
  return {
    name: 'mlp',
    async fit(base: LoadedModel, examples: readonly TrainingExample[], constraints: TrainConstraints): Promise<Candidate> {
      const started = Date.now();
      const { inputWidth, classes } = base;
      checkConstraints(constraints, inputWidth);
      const packed = packExamples(examples, inputWidth, classes);
      const critics = await criticOutputs(constraints.critics, packed.x, packed.rows, inputWidth, classes);
      const choice = divergenceFor(constraints.detector.name);
      const lambda = Math.min(options.lambda ?? constraints.lambdaMax, constraints.lambdaMax);

      const found = baseWeights(base);
      const warm = warmStart && found.ok;
      const hidden = options.hidden ?? DEFAULT_HIDDEN;
      const initial = warm && found.ok ? found.weights : initMlp({ inputWidth, classes, hidden, seed: deriveSeed(constraints.seed, 1) });
      const fit = new MlpFit(initial, { ...packed, critics }, {
        epochs,
        batchSize,
        learningRate,
        l2,
        precision,
        seed: deriveSeed(constraints.seed, 2),
        dissonance: { lambda, dTarget: constraints.dTarget, divergence: choice.divergence },
        ...(options.maxSeconds === undefined ? {} : { maxSeconds: options.maxSeconds }),
      });
      await runEpochs(fit);
      const guard = await guardKl(base, found, fit.weights(), constraints);

      const model = new MlpModel(guard.weights, {
        name: base.name,
        version: 'candidate',
        metadata: {
          'dissonance.trainer': 'mlp',
          'dissonance.parent_version': base.version,
          'dissonance.seed': String(constraints.seed),
        },
      });
      const layers = guard.weights.layers.slice(0, -1).map((layer) => layer.outputs);
      const params: Record<string, Scalar> = {
        hidden: layers.length === 0 ? 'none' : layers.join(','),
        epochs,
        batchSize,
        learningRate,
        l2,
        precision,
        lambda,
        divergence: choice.divergence,
        detector: constraints.detector.name,
        divergenceFallback: choice.fallback,
        init: initNote(found, warm),
      };
      return {
        model,
        artifact: model.artifact,
        report: {
          loss: [...fit.loss],
          kl: guard.kl,
          dissonance: meanDissonance(guard.weights, packed.x, packed.rows, critics, constraints.detector),
          epochs: fit.epochs,
          extra: {
            backtrack: guard.t,
            halvings: guard.halvings,
            klUnguarded: guard.klFull,
            klGuard: guard.guarded ? 1 : 0,
            lambda,
            dTarget: constraints.dTarget,
            warmStart: warm ? 1 : 0,
            steps: fit.steps,
            timedOut: fit.timedOut ? 1 : 0,
            seconds: (Date.now() - started) / 1000,
          },
          params,
        },
      };
    },
  };
}
