import { DissonanceError } from '../errors.js';
import type { TrainingExample } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { LoadedModel } from '../ports/model.js';
import type { Scalar } from '../ports/registry.js';
import type { Candidate, TrainConstraints, TrainReport } from '../ports/trainer.js';
import { meanKl } from '../rollout/kl-divergence.js';
import { checkCriticShape, checkedCriticRows, float32Rows } from './critic-outputs.js';
import { divergenceFor, type DivergenceName } from './divergence-terms.js';
import { klGuard, sameArchitecture } from './kl-guard.js';
import { MlpFit, type Precision } from './mlp-fit.js';
import { mlpForward } from './mlp-forward.js';
import { initMlp } from './mlp-init.js';
import { flattenMlp, layoutOf, unflattenMlp } from './mlp-layout.js';
import { MlpModel } from './mlp-model.js';
import {
  checkConstraints,
  DEFAULT_HIDDEN,
  DEFAULT_MIN_STEPS,
  DEFAULT_REFIT_BELOW,
  type MlpTrainerOptions,
} from './mlp-trainer-options.js';
import type { Activation, MlpWeights } from './mlp-weights.js';
import { deriveSeed } from './prng.js';
import { packExamples } from './training-data.js';
import { baseWeights } from './warm-start.js';

/** MLP weights as one flat float64 vector and the widths and activations that lay it out (transferable). */
export interface FlatMlp {
  /** Layer widths, input first. */
  readonly widths: readonly number[];
  /** Activation of each layer. */
  readonly activations: readonly Activation[];
  /** The parameters, laid out as `layoutOf` says. */
  readonly params: Float64Array;
}

/**
 * One fit of the built-in trainer, packed so that it can run on another thread: numbers, strings and typed
 * arrays only (each typed array owns its whole buffer, so {@link fitJobTransfer} can hand the buffers over
 * without a copy). Made by {@link prepareFitJob}, run by {@link runFitJob}.
 */
export interface FitJob {
  /** Name the candidate's ONNX graph carries (the base model's). */
  readonly name: string;
  /** Version of the base (the champion), recorded in the candidate's metadata. */
  readonly parentVersion: string;
  /** The constraints' seed. */
  readonly seed: number;
  /** Epochs of the fit (raised to reach {@link minSteps} steps on a fresh refit). */
  readonly epochs: number;
  /**
   * True when the fit starts from fresh weights although the champion's are known (fewer examples than
   * `refitBelow`): the champion's weights are then in {@link champion} for the fallback.
   */
  readonly refit: boolean;
  /** Epochs of the warm-started fit a refit falls back to when its KL is above `klEps`. */
  readonly warmEpochs: number;
  /** The candidate learns from the examples only (a fresh start, or a champion that did): see {@link BUFFER_ONLY_METADATA_KEY}. */
  readonly bufferOnly: boolean;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly l2: number;
  readonly precision: Precision;
  readonly maxSeconds?: number;
  /** `λ` of the dissonance term. */
  readonly lambda: number;
  readonly dTarget: number;
  readonly klEps: number;
  readonly divergence: DivergenceName;
  /** Examples packed: `rows × inputWidth` features, dense targets, weights and each critic's outputs. */
  readonly rows: number;
  readonly inputWidth: number;
  readonly classes: number;
  readonly x: Float32Array;
  readonly targets: Float64Array;
  readonly weights: Float64Array;
  /**
   * Each critic's outputs on the examples (float64), or — for an `MlpModel` critic — its weights, run where
   * the job runs (the same arithmetic as its `run`, off the serving thread).
   */
  readonly critics: readonly (Float64Array | FlatMlp)[];
  /** Where the fit starts (the champion's weights when warm, else fresh ones). */
  readonly initial: FlatMlp;
  /** The champion's weights for the KL guard's backtracking, when known ('initial' when the same). */
  readonly champion: FlatMlp | 'initial' | undefined;
  /** Reference rows of the KL guard and the champion's probabilities on them. */
  readonly referenceX: Float32Array;
  readonly referenceRows: number;
  /** The champion's outputs on the reference rows; absent when it is an `MlpModel`, run where the job runs. */
  readonly referenceOld: Float32Array | undefined;
  /** Parameters recorded with the version (`params` of the report). */
  readonly params: Readonly<Record<string, Scalar>>;
}

/** What {@link runFitJob} returns: the candidate's ONNX bytes and the report's numbers. */
export interface FitJobResult {
  /** The candidate as ONNX (opset 17 MLP, what `writeOnnxMlp` writes). */
  readonly onnx: Uint8Array;
  /** Each critic's outputs on the examples, float32 (for the report's dissonance). */
  readonly critics: Float32Array[];
  /** The candidate's probabilities on the examples (`rows × classes`), empty without critics. */
  readonly probabilities: Float32Array;
  readonly loss: readonly number[];
  readonly kl: number;
  readonly epochs: number;
  /** `backtrack`, `halvings`, `klUnguarded`, `klGuard`, `lambda`, `dTarget`, `warmStart`, `steps`, `timedOut`. */
  readonly extra: Readonly<Record<string, number>>;
}

/** Options of {@link prepareFitJob}. */
export interface PrepareFitJobOptions {
  /**
   * Runs models (critics, the champion on the reference rows) this many rows at a time and awaits
   * {@link between} after each chunk, so the thread that prepares the job is never held long (default: all
   * rows at once).
   */
  readonly chunkRows?: number;
  /** Awaited between chunks (e.g. a macrotask). */
  readonly between?: () => Promise<void>;
}

/**
 * ONNX metadata key (value `true`) of a model that learned from nothing but the replay buffer: the built-in
 * trainer writes it into a candidate fitted from fresh weights, or warm-started from a champion that carries
 * it. Only such a champion is refitted (`refitBelow`): a model brought from elsewhere (a scikit-learn or PyTorch
 * MLP, a seed model fitted on rows the buffer does not hold) and every model fine-tuned from it keep what they
 * learned there, so they are always warm-started.
 */
export const BUFFER_ONLY_METADATA_KEY = 'dissonance.buffer_only';

/**
 * The hidden widths of `weights` when {@link initMlp} makes that architecture (ReLU hidden layers, a linear
 * output), so a fresh refit has the champion's shape; else undefined (such a champion is always warm-started).
 */
function freshHiddenOf(weights: MlpWeights): number[] | undefined {
  const layers = weights.layers;
  const last = layers.length - 1;
  const initLike = layers.every((layer, l) => layer.activation === (l === last ? 'none' : 'relu'));
  return initLike ? layers.slice(0, -1).map((layer) => layer.outputs) : undefined;
}

function flat(weights: MlpWeights): FlatMlp {
  const layout = layoutOf(weights);
  return { widths: layout.widths, activations: layout.activations, params: flattenMlp(weights) };
}

function unflat(flatMlp: FlatMlp): MlpWeights {
  const layout = layoutOf({
    inputWidth: flatMlp.widths[0]!,
    classes: flatMlp.widths[flatMlp.widths.length - 1]!,
    layers: flatMlp.activations.map((activation, l) => ({
      inputs: flatMlp.widths[l]!,
      outputs: flatMlp.widths[l + 1]!,
      activation,
      weight: new Float32Array(0),
      bias: new Float32Array(0),
    })),
  });
  return unflattenMlp(layout, flatMlp.params);
}

/** Runs `model` on `rows` rows of `x`, `chunkRows` at a time, awaiting `between` after each chunk. */
async function runChunked(
  model: LoadedModel,
  x: Float32Array,
  rows: number,
  width: number,
  options: PrepareFitJobOptions,
): Promise<Float32Array> {
  const chunk = options.chunkRows ?? rows;
  if (rows <= chunk) return model.run(x, rows);
  const out = new Float32Array(rows * model.classes);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const part = await model.run(x.subarray(start * width, (start + n) * width), n);
    if (part.length !== n * model.classes) {
      throw new DissonanceError(
        'E_MODEL',
        `${model.name}@${model.version} returned ${part.length} values, expected ${n} × ${model.classes}`,
      );
    }
    out.set(part, start * model.classes);
    await options.between?.();
  }
  return out;
}

/** Each critic's outputs on the examples in float64, checked (`checkCriticShape`, `checkedCriticRows`). */
async function criticRows(
  critics: readonly LoadedModel[],
  x: Float32Array,
  rows: number,
  inputWidth: number,
  classes: number,
  options: PrepareFitJobOptions,
): Promise<(Float64Array | FlatMlp)[]> {
  const outputs: (Float64Array | FlatMlp)[] = [];
  for (const critic of critics) {
    checkCriticShape(critic, inputWidth, classes);
    if (critic instanceof MlpModel) {
      outputs.push(flat(critic.weights));
      continue;
    }
    outputs.push(checkedCriticRows(critic, await runChunked(critic, x, rows, inputWidth, options), rows, classes));
  }
  return outputs;
}

/**
 * The serving side's half of a fit of the built-in trainer: checks and packs the examples, runs the critics
 * on them and the champion on the reference rows (the only model calls a fit needs), and reads the champion's
 * weights. What is left — the epochs, the KL guard and writing the ONNX — needs nothing but the job.
 *
 * @throws DissonanceError as `createMlpTrainer`'s `fit` does (`E_INPUT`, `E_TRAINER`, `E_MODEL`).
 */
export async function prepareFitJob(
  base: LoadedModel,
  examples: readonly TrainingExample[],
  constraints: TrainConstraints,
  trainer: MlpTrainerOptions = {},
  options: PrepareFitJobOptions = {},
): Promise<FitJob> {
  const { inputWidth, classes } = base;
  checkConstraints(constraints, inputWidth);
  const packed = packExamples(examples, inputWidth, classes);
  const critics = await criticRows(constraints.critics, packed.x, packed.rows, inputWidth, classes, options);
  const choice = divergenceFor(constraints.detector.name);
  const lambda = Math.min(trainer.lambda ?? constraints.lambdaMax, constraints.lambdaMax);
  const found = baseWeights(base);
  const wantWarm = (trainer.warmStart ?? true) && found.ok;
  const championBufferOnly = found.ok && found.metadata[BUFFER_ONLY_METADATA_KEY] === 'true';
  const championHidden = found.ok && championBufferOnly ? freshHiddenOf(found.weights) : undefined;
  const refit = wantWarm && championHidden !== undefined && packed.rows < (trainer.refitBelow ?? DEFAULT_REFIT_BELOW);
  const warm = wantWarm && !refit;
  const hidden = refit && championHidden !== undefined ? championHidden : (trainer.hidden ?? DEFAULT_HIDDEN);
  const initial =
    warm && found.ok ? found.weights : initMlp({ inputWidth, classes, hidden, seed: deriveSeed(constraints.seed, 1) });
  const reference = constraints.reference;
  const referenceOld =
    reference.rows === 0
      ? new Float32Array(0)
      : base instanceof MlpModel && found.ok
        ? undefined
        : (await runChunked(base, reference.x, reference.rows, inputWidth, options)).slice();
  const warmEpochs = trainer.epochs ?? 20;
  const batchSize = trainer.batchSize ?? 32;
  const fresh = !warm;
  const minSteps = trainer.minSteps ?? DEFAULT_MIN_STEPS;
  const epochs = fresh ? Math.max(warmEpochs, Math.ceil(minSteps / Math.ceil(packed.rows / batchSize))) : warmEpochs;
  const learningRate = trainer.learningRate ?? 1e-3;
  const l2 = trainer.l2 ?? 0;
  const precision = trainer.precision ?? 'float32';
  const widths = initial.layers.slice(0, -1).map((layer) => layer.outputs);
  const init = found.ok
    ? warm
      ? `warm (${found.source})`
      : refit
        ? `fresh (refit: ${packed.rows} examples < refitBelow)`
        : 'fresh (warmStart off)'
    : `fresh (${found.reason})`;
  return {
    name: base.name,
    parentVersion: base.version,
    seed: constraints.seed,
    epochs,
    refit,
    warmEpochs,
    bufferOnly: fresh || championBufferOnly,
    batchSize,
    learningRate,
    l2,
    precision,
    ...(trainer.maxSeconds === undefined ? {} : { maxSeconds: trainer.maxSeconds }),
    lambda,
    dTarget: constraints.dTarget,
    klEps: constraints.klEps,
    divergence: choice.divergence,
    rows: packed.rows,
    inputWidth,
    classes,
    x: packed.x,
    targets: packed.targets,
    weights: packed.weights,
    critics,
    initial: flat(initial),
    champion: !found.ok ? undefined : warm ? 'initial' : flat(found.weights),
    referenceX: reference.x.slice(0, reference.rows * inputWidth),
    referenceRows: reference.rows,
    referenceOld,
    params: {
      hidden: widths.length === 0 ? 'none' : widths.join(','),
      epochs,
      batchSize,
      learningRate,
      l2,
      precision,
      lambda,
      divergence: choice.divergence,
      detector: constraints.detector.name,
      divergenceFallback: choice.fallback,
      init,
    },
  };
}

/** The buffers of a job's typed arrays, for `postMessage(job, transfer)`: handed over, not copied. */
export function fitJobTransfer(job: FitJob): ArrayBuffer[] {
  const arrays = [job.x, job.targets, job.weights, job.initial.params, job.referenceX];
  if (job.referenceOld !== undefined) arrays.push(job.referenceOld);
  for (const critic of job.critics) arrays.push(critic instanceof Float64Array ? critic : critic.params);
  if (typeof job.champion === 'object') arrays.push(job.champion.params);
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays)
    if (array.buffer instanceof ArrayBuffer && array.byteLength > 0) buffers.add(array.buffer);
  return [...buffers];
}

/** The buffers of a result's typed arrays, for `postMessage(result, transfer)`. */
export function fitJobResultTransfer(result: FitJobResult): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of [result.onnx, result.probabilities, ...result.critics])
    if (array.buffer instanceof ArrayBuffer && array.byteLength > 0) buffers.add(array.buffer);
  return [...buffers];
}

/** Options of {@link runFitJob}. */
export interface RunFitJobOptions {
  /** Awaited between epochs (the in-thread trainer yields to the event loop there). */
  readonly betweenEpochs?: () => Promise<void>;
  /** When aborted, the fit stops at the next epoch with `E_TRAINER` (`details.cancelled`). */
  readonly signal?: AbortSignal;
}

/** Thrown when a fit's signal aborts it. */
export function fitCancelled(reason?: unknown): DissonanceError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'cancelled' : String(reason);
  return new DissonanceError('E_TRAINER', `fit cancelled: ${why}`, { details: { cancelled: true } });
}

/**
 * The trainer's half of a fit: Adam over the epochs, the KL guard against the champion's reference outputs,
 * and the candidate written as ONNX. Needs no model object and no event loop, so it runs as well in a worker
 * thread as on the serving one. Same job → bit-identical bytes.
 */
export async function runFitJob(job: FitJob, options: RunFitJobOptions = {}): Promise<FitJobResult> {
  const initial = unflat(job.initial);
  const critics = job.critics.map((critic) =>
    critic instanceof Float64Array ? critic : Float64Array.from(mlpForward(unflat(critic), job.x, job.rows)),
  );
  const data = {
    rows: job.rows,
    inputWidth: job.inputWidth,
    classes: job.classes,
    x: job.x,
    targets: job.targets,
    weights: job.weights,
    critics,
  };
  const train = async (from: MlpWeights, epochs: number): Promise<MlpFit> => {
    const fit = new MlpFit(from, data, {
      epochs,
      batchSize: job.batchSize,
      learningRate: job.learningRate,
      l2: job.l2,
      precision: job.precision,
      seed: deriveSeed(job.seed, 2),
      dissonance: { lambda: job.lambda, dTarget: job.dTarget, divergence: job.divergence },
      ...(job.maxSeconds === undefined ? {} : { maxSeconds: job.maxSeconds }),
    });
    while (!fit.done) {
      if (options.signal?.aborted === true) throw fitCancelled(options.signal.reason);
      fit.runEpoch();
      await options.betweenEpochs?.();
    }
    if (options.signal?.aborted === true) throw fitCancelled(options.signal.reason);
    return fit;
  };
  const champion = job.champion === 'initial' ? initial : job.champion === undefined ? undefined : unflat(job.champion);
  // The champion's reference outputs come with the job, or (an MlpModel champion) are computed here.
  const old =
    job.referenceOld ??
    (champion === undefined ? new Float32Array(0) : mlpForward(champion, job.referenceX, job.referenceRows));
  const reference = { x: job.referenceX, rows: job.referenceRows };
  const oldModel = {
    name: job.name,
    version: job.parentVersion,
    inputWidth: job.inputWidth,
    classes: job.classes,
    run: async () => old,
  };
  const klOf = (weights: MlpWeights): number =>
    reference.rows === 0
      ? 0
      : meanKl(old, mlpForward(weights, reference.x, reference.rows), reference.rows, job.classes);
  let fit = await train(initial, job.epochs);
  let trained = fit.weights();
  let guard;
  let guarded = false;
  let refitted = job.refit ? 1 : 0;
  let fallback = 0;
  let refitKl = Number.NaN;
  if (job.refit && champion !== undefined) {
    // A refit from fresh weights is promoted whole or not at all: interpolating between two unrelated
    // networks means nothing. Over klEps, the fit falls back to the warm start from the champion, guarded.
    refitKl = klOf(trained);
    if (refitKl <= job.klEps) {
      guard = { weights: trained, t: 1, kl: refitKl, klFull: refitKl, halvings: 0 };
      guarded = true;
    } else {
      fallback = 1;
      refitted = 0;
      fit = await train(champion, job.warmEpochs);
      trained = fit.weights();
    }
  }
  if (guard === undefined && champion !== undefined && sameArchitecture(champion, trained)) {
    guard = await klGuard(oldModel, champion, trained, reference, { klEps: job.klEps });
    guarded = true;
  } else if (guard === undefined) {
    const kl = klOf(trained);
    guard = { weights: trained, t: 1, kl, klFull: kl, halvings: 0 };
  }
  const model = new MlpModel(guard.weights, {
    name: job.name,
    version: 'candidate',
    metadata: {
      'dissonance.trainer': 'mlp',
      ...(job.bufferOnly ? { [BUFFER_ONLY_METADATA_KEY]: 'true' } : {}),
      'dissonance.parent_version': job.parentVersion,
      'dissonance.seed': String(job.seed),
    },
  });
  return {
    onnx: model.artifact.bytes,
    critics: critics.map(float32Rows),
    probabilities: critics.length === 0 ? new Float32Array(0) : mlpForward(guard.weights, job.x, job.rows),
    loss: [...fit.loss],
    kl: guard.kl,
    epochs: fit.epochs,
    extra: {
      backtrack: guard.t,
      halvings: guard.halvings,
      klUnguarded: guard.klFull,
      klGuard: guarded ? 1 : 0,
      lambda: job.lambda,
      dTarget: job.dTarget,
      warmStart: job.champion === 'initial' || fallback === 1 ? 1 : 0,
      refit: refitted,
      refitFallback: fallback,
      ...(Number.isNaN(refitKl) ? {} : { refitKl }),
      steps: fit.steps,
      timedOut: fit.timedOut ? 1 : 0,
    },
  };
}

/** What the serving side keeps of a job while it runs elsewhere (its buffers were handed over): sizes and params. */
export interface FitJobSummary {
  readonly rows: number;
  readonly classes: number;
  readonly critics: number;
  readonly params: Readonly<Record<string, Scalar>>;
}

/** The {@link FitJobSummary} of a job, taken before its buffers are handed over. */
export function summarizeFitJob(job: FitJob): FitJobSummary {
  return { rows: job.rows, classes: job.classes, critics: job.critics.length, params: job.params };
}

/**
 * Turns a job's result back into a {@link Candidate} on the serving side: `load` makes the model from the
 * ONNX bytes (the serving runtime; default an `MlpModel` read from them), and the report's dissonance is the
 * configured detector between the candidate and the critics on the examples.
 */
export async function finishFitJob(
  job: FitJobSummary,
  result: FitJobResult,
  detector: CommitteeDetector,
  load: (bytes: Uint8Array) => Promise<LoadedModel>,
  started: number,
): Promise<Candidate> {
  const model = await load(result.onnx);
  let dissonance = 0;
  if (job.critics > 0 && job.rows > 0) {
    const perRow = detector.measure([result.probabilities, ...result.critics], job.rows, job.classes);
    let sum = 0;
    for (let r = 0; r < job.rows; r++) sum += perRow[r]!;
    dissonance = sum / job.rows;
  }
  const report: TrainReport = {
    loss: [...result.loss],
    kl: result.kl,
    dissonance,
    epochs: result.epochs,
    extra: { ...result.extra, seconds: (Date.now() - started) / 1000 },
    params: job.params,
  };
  const artifact = model.artifact?.bytes === result.onnx ? model.artifact : { format: 'onnx', bytes: result.onnx };
  return { model, artifact, report };
}
