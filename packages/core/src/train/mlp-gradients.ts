import { DissonanceError } from '../errors.js';
import { denseForward, denseInputGradients, denseParamGradients, type SparseScratch } from './dense-kernels.js';
import { divergenceRow, type DivergenceName } from './divergence-terms.js';
import type { ParamLayout } from './mlp-layout.js';

/** The dissonance term `λ·max(0, D − D_target)²` of the loss. */
export interface DissonanceTerm {
  /** `λ ≥ 0`; 0 turns the term off. */
  readonly lambda: number;
  /** `D_target`. */
  readonly dTarget: number;
  /** The pairwise detector `D` averages over rows and critics. */
  readonly divergence: DivergenceName;
}

/** A mini-batch in float64, row-major. */
export interface LossBatch {
  /** `rows × inputWidth` features. */
  readonly x: Float64Array;
  /** Rows in the batch. */
  readonly rows: number;
  /** `rows × classes` target distributions (a hard label is a one-hot row). */
  readonly targets: Float64Array;
  /** `rows` sample weights, > 0. */
  readonly weights: Float64Array;
  /** Each critic's `rows × classes` probabilities: constants of the loss. */
  readonly critics: readonly Float64Array[];
}

/** The parts of the loss for one batch. */
export interface LossValue {
  /** `CE + λ·max(0, D − D_target)²`. */
  readonly loss: number;
  /** Weighted mean cross-entropy `Σᵢ wᵢ·CEᵢ / Σᵢ wᵢ` (nats). */
  readonly crossEntropy: number;
  /** `D`: mean over rows and critics of the divergence (0 without critics or with `λ = 0`). */
  readonly dissonance: number;
}

/**
 * Scratch buffers for {@link lossAndGradient} on batches of up to `maxRows` rows: activations of every
 * layer, probabilities and two ping-pong delta buffers. Allocate once, reuse for every step.
 */
export class MlpWorkspace {
  /** The layout these buffers fit. */
  readonly layout: ParamLayout;
  /** Largest batch the buffers hold. */
  readonly maxRows: number;
  /** `acts[l]` holds the output of layer `l − 1` (post-activation); `acts[L]` the logits. `acts[0]` is unused. */
  readonly acts: Float64Array[];
  /** Softmax probabilities, `maxRows × classes`. */
  readonly probs: Float64Array;
  /** `p ⊙ ∂D/∂p` per row, `maxRows × classes`. */
  readonly pGrad: Float64Array;
  /** Gradient with respect to a layer's outputs, ping-pong. */
  readonly deltaA: Float64Array;
  /** Gradient with respect to a layer's outputs, ping-pong. */
  readonly deltaB: Float64Array;
  /** Non-zero entries of one row or column of a layer's input. */
  readonly sparse: SparseScratch;

  constructor(layout: ParamLayout, maxRows: number) {
    this.layout = layout;
    this.maxRows = maxRows;
    const widest = Math.max(...layout.widths);
    const classes = layout.widths[layout.widths.length - 1]!;
    this.acts = layout.widths.map((width, l) => new Float64Array(l === 0 ? 0 : maxRows * width));
    this.probs = new Float64Array(maxRows * classes);
    this.pGrad = new Float64Array(maxRows * classes);
    this.deltaA = new Float64Array(maxRows * widest);
    this.deltaB = new Float64Array(maxRows * widest);
    const longest = Math.max(widest, maxRows);
    this.sparse = { index: new Int32Array(longest), value: new Float64Array(longest) };
  }
}

/**
 * Forward pass of the MLP `params` (laid out as `layout`) on `rows` rows of `x`, in float64: fills
 * `ws.acts` and `ws.probs` and returns the softmax probabilities (a view of `ws.probs`).
 */
export function forwardInto(
  layout: ParamLayout,
  params: Float64Array,
  x: Float64Array,
  rows: number,
  ws: MlpWorkspace,
): Float64Array {
  const { widths, activations, weightOffsets, biasOffsets } = layout;
  const layers = activations.length;
  let src = x;
  for (let l = 0; l < layers; l++) {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    const dst = ws.acts[l + 1]!;
    const wOff = weightOffsets[l]!;
    const bOff = biasOffsets[l]!;
    denseForward(params, wOff, bOff, src, inputs, dst, outputs, rows, ws.sparse);
    if (activations[l] === 'relu') {
      for (let k = 0, end = rows * outputs; k < end; k++) if (!(dst[k]! > 0)) dst[k] = 0;
    }
    src = dst;
  }
  const classes = widths[layers]!;
  const probs = ws.probs;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (src[o + c]! > max) max = src[o + c]!;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(src[o + c]! - max);
      probs[o + c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < classes; c++) probs[o + c]! *= inv;
  }
  return probs.subarray(0, rows * classes);
}

/**
 * The loss `L = Σᵢ wᵢ·CE(yᵢ, pᵢ) / Σᵢ wᵢ + λ·max(0, D − D_target)²` of one batch and its gradient with
 * respect to every parameter, all in float64. `CE(y, p) = −Σ_c y_c ln p_c` takes hard (one-hot) and soft
 * targets; `D` is the mean over rows and critics of `term.divergence(p, q)`; critic outputs are constants.
 * Overwrites `grad` (same layout as `params`) and returns the loss parts.
 *
 * @throws DissonanceError `E_INPUT` when the batch is larger than the workspace or the weights sum to ≤ 0.
 */
export function lossAndGradient(
  layout: ParamLayout,
  params: Float64Array,
  batch: LossBatch,
  term: DissonanceTerm,
  grad: Float64Array,
  workspace?: MlpWorkspace,
): LossValue {
  const { rows } = batch;
  const ws = workspace ?? new MlpWorkspace(layout, rows);
  if (rows > ws.maxRows)
    throw new DissonanceError('E_INPUT', `lossAndGradient: ${rows} rows exceed the workspace (${ws.maxRows})`);
  const { widths, activations, weightOffsets, biasOffsets } = layout;
  const layers = activations.length;
  const classes = widths[layers]!;
  const probs = forwardInto(layout, params, batch.x, rows, ws);
  const logits = ws.acts[layers]!;

  // Cross-entropy and its gradient at the logits: (wᵢ/W)(pᵢ·Σy − yᵢ).
  let totalWeight = 0;
  for (let r = 0; r < rows; r++) totalWeight += batch.weights[r]!;
  if (!(totalWeight > 0)) throw new DissonanceError('E_INPUT', 'lossAndGradient: the sample weights sum to ≤ 0');
  const { targets } = batch;
  let delta = ws.deltaA;
  let ce = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (logits[o + c]! > max) max = logits[o + c]!;
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[o + c]! - max);
    const logZ = max + Math.log(sumExp);
    let rowCe = 0;
    let mass = 0;
    for (let c = 0; c < classes; c++) {
      const y = targets[o + c]!;
      if (y !== 0) rowCe -= y * (logits[o + c]! - logZ);
      mass += y;
    }
    const w = batch.weights[r]! / totalWeight;
    ce += w * rowCe;
    for (let c = 0; c < classes; c++) delta[o + c] = w * (probs[o + c]! * mass - targets[o + c]!);
  }

  // Dissonance term: D = mean of d(p, q) over rows and critics; dL/dp = 2λ(D − D_t)·∂D/∂p when D > D_t.
  let dissonance = 0;
  let penalty = 0;
  const critics = batch.critics;
  if (term.lambda > 0 && critics.length > 0) {
    const pGrad = ws.pGrad;
    pGrad.fill(0, 0, rows * classes);
    let sum = 0;
    for (const q of critics) {
      for (let r = 0; r < rows; r++) sum += divergenceRow(term.divergence, probs, q, r * classes, classes, pGrad, 1);
    }
    const count = rows * critics.length;
    dissonance = sum / count;
    const excess = dissonance - term.dTarget;
    if (excess > 0) {
      penalty = term.lambda * excess * excess;
      const coef = (2 * term.lambda * excess) / count;
      for (let r = 0; r < rows; r++) {
        const o = r * classes;
        let s = 0;
        for (let c = 0; c < classes; c++) s += pGrad[o + c]!;
        // Softmax backward of g = ∂D/∂p given s = p ⊙ g: ∂/∂z_c = p_c g_c − p_c Σ p g.
        for (let c = 0; c < classes; c++) delta[o + c]! += coef * (pGrad[o + c]! - probs[o + c]! * s);
      }
    }
  }

  // Backward through the layers.
  grad.fill(0);
  let spare = ws.deltaB;
  for (let l = layers - 1; l >= 0; l--) {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    const src = l === 0 ? batch.x : ws.acts[l]!;
    const wOff = weightOffsets[l]!;
    const bOff = biasOffsets[l]!;
    denseParamGradients(grad, wOff, bOff, src, inputs, delta, outputs, rows, ws.sparse);
    if (l === 0) break;
    // The input of layer l is the output of layer l − 1; its ReLU passes gradient only where it was > 0.
    const next = spare;
    denseInputGradients(params, wOff, src, inputs, delta, outputs, rows, activations[l - 1] === 'relu', next);
    spare = delta;
    delta = next;
  }
  return { loss: ce + penalty, crossEntropy: ce, dissonance };
}
