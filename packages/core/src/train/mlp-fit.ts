import { DissonanceError } from '../errors.js';
import { Adam } from './adam.js';
import { flattenMlp, layoutOf, unflattenMlp, type ParamLayout } from './mlp-layout.js';
import { lossAndGradient, MlpWorkspace, type DissonanceTerm, type LossBatch } from './mlp-gradients.js';
import type { MlpWeights } from './mlp-weights.js';
import { createPrng, type Prng } from './prng.js';
import type { TrainingData } from './training-data.js';

/** Arithmetic of the parameters between steps. */
export type Precision = 'float32' | 'float64';

/** Options of {@link fitMlp} and {@link MlpFit}. */
export interface FitMlpOptions {
  /** Passes over the data (default 20). */
  readonly epochs?: number;
  /** Rows per mini-batch (default 32); the last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /** Adam learning rate (default `1e-3`). */
  readonly learningRate?: number;
  /** L2 penalty on the weight matrices, not the biases (default 0); see `AdamOptions.l2`. */
  readonly l2?: number;
  /**
   * Seed of the batch order (default 0). Every epoch shuffles one index array in place, starting from
   * `0…rows−1`, with `createPrng(seed).shuffle` — so another implementation can replay the same order.
   */
  readonly seed?: number;
  /**
   * `float32` (default): the parameters are rounded to float32 after every step, so the model trained is
   * exactly the float32 model shipped. `float64`: they stay float64 until the end (check mode). Forward and
   * backward passes are float64 in both.
   */
  readonly precision?: Precision;
  /** The dissonance term; off when absent, `λ = 0` or `data.critics` is empty. */
  readonly dissonance?: DissonanceTerm;
  /** Stop after the step during which this many seconds have passed (default: no limit). */
  readonly maxSeconds?: number;
  /** Clock in milliseconds for `maxSeconds` (default `Date.now`). */
  readonly now?: () => number;
}

/** What {@link fitMlp} returns. */
export interface FitMlpResult {
  /** Trained weights (float32). */
  readonly weights: MlpWeights;
  /** Mean batch loss of each epoch (weighted by batch rows). */
  readonly loss: number[];
  /** Epochs completed (a partial last epoch under `maxSeconds` is not counted; its loss is). */
  readonly epochs: number;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** True when `maxSeconds` stopped the fit early. */
  readonly timedOut: boolean;
}

const OFF: DissonanceTerm = { lambda: 0, dTarget: 0, divergence: 'jensen-shannon' };

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DissonanceError('E_CONFIG', `fitMlp: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/**
 * A fit in progress: Adam on mini-batches of `data`, starting from `initial`. {@link runEpoch} runs one
 * epoch, so a caller can yield between epochs; {@link fitMlp} runs them all.
 */
export class MlpFit {
  /** Layout of the flat parameters. */
  readonly layout: ParamLayout;
  /** Current parameters (float64 storage; float32 values in `float32` precision). */
  readonly params: Float64Array;
  /** Mean loss of each epoch run so far. */
  readonly loss: number[] = [];
  readonly #data: TrainingData;
  readonly #epochs: number;
  readonly #batchSize: number;
  readonly #term: DissonanceTerm;
  readonly #round: Float32Array | undefined;
  readonly #adam: Adam;
  readonly #prng: Prng;
  readonly #order: Int32Array;
  readonly #ws: MlpWorkspace;
  readonly #grad: Float64Array;
  readonly #bx: Float64Array;
  readonly #by: Float64Array;
  readonly #bw: Float64Array;
  readonly #bq: Float64Array[];
  readonly #deadline: number;
  readonly #now: () => number;
  #epochsDone = 0;
  #timedOut = false;

  /** @throws DissonanceError `E_CONFIG` on bad options, `E_INPUT` when `data` does not fit `initial`. */
  constructor(initial: MlpWeights, data: TrainingData, options: FitMlpOptions = {}) {
    this.#epochs = checkCount('epochs', options.epochs ?? 20, 0);
    this.#batchSize = checkCount('batchSize', options.batchSize ?? 32, 1);
    if (data.inputWidth !== initial.inputWidth || data.classes !== initial.classes) {
      throw new DissonanceError(
        'E_INPUT',
        `fitMlp: data is ${data.inputWidth} features × ${data.classes} classes, the model ${initial.inputWidth} × ${initial.classes}`,
      );
    }
    if (data.rows < 1) throw new DissonanceError('E_TRAINER', 'fitMlp: no rows to fit');
    for (const q of data.critics) {
      if (q.length !== data.rows * data.classes)
        throw new DissonanceError('E_INPUT', 'fitMlp: critic outputs are not rows × classes');
    }
    const maxSeconds = options.maxSeconds ?? Infinity;
    if (!(maxSeconds > 0)) throw new DissonanceError('E_CONFIG', `fitMlp: maxSeconds must be > 0, got ${maxSeconds}`);
    this.#now = options.now ?? Date.now;
    this.#deadline = this.#now() + maxSeconds * 1000;
    this.#data = data;
    this.#term = options.dissonance ?? OFF;
    if (!(this.#term.lambda >= 0 && Number.isFinite(this.#term.lambda)) || !Number.isFinite(this.#term.dTarget)) {
      throw new DissonanceError('E_CONFIG', `fitMlp: λ must be finite ≥ 0 and D_target finite`);
    }
    this.layout = layoutOf(initial);
    this.params = flattenMlp(initial);
    this.#round = (options.precision ?? 'float32') === 'float32' ? new Float32Array(this.layout.size) : undefined;
    const mask = new Uint8Array(this.layout.size);
    this.layout.weightOffsets.forEach((offset, l) => {
      mask.fill(1, offset, this.layout.biasOffsets[l]);
    });
    this.#adam = new Adam(this.layout.size, {
      learningRate: options.learningRate ?? 1e-3,
      l2: options.l2 ?? 0,
      l2Mask: mask,
    });
    this.#prng = createPrng(options.seed ?? 0);
    this.#order = new Int32Array(data.rows);
    for (let i = 0; i < data.rows; i++) this.#order[i] = i;
    const rows = Math.min(this.#batchSize, Math.max(1, data.rows));
    this.#ws = new MlpWorkspace(this.layout, rows);
    this.#grad = new Float64Array(this.layout.size);
    this.#bx = new Float64Array(rows * data.inputWidth);
    this.#by = new Float64Array(rows * data.classes);
    this.#bw = new Float64Array(rows);
    this.#bq = data.critics.map(() => new Float64Array(rows * data.classes));
  }

  /** Epochs completed. */
  get epochs(): number {
    return this.#epochsDone;
  }

  /** Optimizer steps taken. */
  get steps(): number {
    return this.#adam.steps;
  }

  /** True once all epochs ran or the time ran out. */
  get done(): boolean {
    return this.#timedOut || this.#epochsDone >= this.#epochs;
  }

  /** True when `maxSeconds` stopped the fit. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The current parameters as float32 MLP weights. */
  weights(): MlpWeights {
    return unflattenMlp(this.layout, this.params);
  }

  /** Runs one epoch (when not {@link done}) and returns its mean batch loss. */
  runEpoch(): number {
    if (this.done) throw new DissonanceError('E_TRAINER', 'fitMlp: the fit is already done');
    const data = this.#data;
    const { rows, inputWidth: width, classes } = data;
    const order = this.#prng.shuffle(this.#order);
    const bx = this.#bx;
    const by = this.#by;
    const bw = this.#bw;
    const bq = this.#bq;
    let total = 0;
    let seen = 0;
    for (let start = 0; start < rows; start += this.#batchSize) {
      const n = Math.min(this.#batchSize, rows - start);
      for (let r = 0; r < n; r++) {
        const idx = order[start + r]!;
        for (let i = 0, s = idx * width, d = r * width; i < width; i++) bx[d + i] = data.x[s + i]!;
        for (let c = 0, s = idx * classes, d = r * classes; c < classes; c++) by[d + c] = data.targets[s + c]!;
        bw[r] = data.weights[idx]!;
        for (let j = 0; j < bq.length; j++) {
          const src = data.critics[j]!;
          const dst = bq[j]!;
          for (let c = 0, s = idx * classes, d = r * classes; c < classes; c++) dst[d + c] = src[s + c]!;
        }
      }
      const batch: LossBatch = { x: bx, rows: n, targets: by, weights: bw, critics: bq };
      const value = lossAndGradient(this.layout, this.params, batch, this.#term, this.#grad, this.#ws);
      this.#adam.step(this.params, this.#grad);
      if (this.#round !== undefined) {
        this.#round.set(this.params);
        this.params.set(this.#round);
      }
      total += value.loss * n;
      seen += n;
      if (this.#now() > this.#deadline) {
        this.#timedOut = true;
        break;
      }
    }
    const mean = total / seen;
    this.loss.push(mean);
    if (!this.#timedOut) this.#epochsDone++;
    return mean;
  }
}

/**
 * Fits an MLP from `initial` on `data` with Adam on shuffled mini-batches, minimizing the loss of
 * {@link lossAndGradient}. Deterministic: the same weights, data and options give bit-identical weights.
 * Synchronous; see {@link MlpFit} to yield between epochs.
 */
export function fitMlp(initial: MlpWeights, data: TrainingData, options: FitMlpOptions = {}): FitMlpResult {
  const fit = new MlpFit(initial, data, options);
  while (!fit.done) fit.runEpoch();
  return { weights: fit.weights(), loss: fit.loss, epochs: fit.epochs, steps: fit.steps, timedOut: fit.timedOut };
}
