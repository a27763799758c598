import { DissonanceError } from '../errors.js';

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Learning rate (default `1e-3`). */
  readonly learningRate?: number;
  /** First-moment decay (default `0.9`). */
  readonly beta1?: number;
  /** Second-moment decay (default `0.999`). */
  readonly beta2?: number;
  /** Added to the denominator (default `1e-8`). */
  readonly epsilon?: number;
  /**
   * L2 penalty coefficient (default 0): adds `l2·θ` to the gradient before the moments, as PyTorch's
   * `Adam(weight_decay=l2)` does — the gradient of `½·l2·‖θ‖²`.
   */
  readonly l2?: number;
  /** Which parameters the L2 penalty applies to (1) or not (0); all when absent. */
  readonly l2Mask?: Uint8Array;
}

/**
 * Adam (Kingma & Ba) over one flat float64 parameter vector, with PyTorch's update arithmetic:
 * `m ← m + (1 − β₁)(g − m)`, `v ← β₂v + (1 − β₂)g²`, `θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)` (the division by `√(1 − β₂ᵗ)` done as a
 * multiplication by its inverse).
 */
export class Adam {
  /** Learning rate. */
  readonly learningRate: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  readonly #l2: number;
  readonly #mask: Uint8Array | undefined;
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  #step = 0;

  /** @throws DissonanceError `E_CONFIG` on a non-finite or out-of-range option. */
  constructor(size: number, options: AdamOptions = {}) {
    this.learningRate = options.learningRate ?? 1e-3;
    this.#beta1 = options.beta1 ?? 0.9;
    this.#beta2 = options.beta2 ?? 0.999;
    this.#epsilon = options.epsilon ?? 1e-8;
    this.#l2 = options.l2 ?? 0;
    this.#mask = options.l2Mask;
    const bad = (name: string, value: number): never => {
      throw new DissonanceError('E_CONFIG', `Adam: ${name} is out of range: ${value}`);
    };
    if (!(this.learningRate > 0 && Number.isFinite(this.learningRate))) bad('learningRate', this.learningRate);
    if (!(this.#beta1 >= 0 && this.#beta1 < 1)) bad('beta1', this.#beta1);
    if (!(this.#beta2 >= 0 && this.#beta2 < 1)) bad('beta2', this.#beta2);
    if (!(this.#epsilon > 0 && Number.isFinite(this.#epsilon))) bad('epsilon', this.#epsilon);
    if (!(this.#l2 >= 0 && Number.isFinite(this.#l2))) bad('l2', this.#l2);
    if (this.#mask !== undefined && this.#mask.length !== size) bad('l2Mask length', this.#mask.length);
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#step;
  }

  /** One update of `params` in place from `grad` (same length; `grad` is left as it was). */
  step(params: Float64Array, grad: Float64Array): void {
    const m = this.#m;
    const v = this.#v;
    const b1 = this.#beta1;
    const b2 = this.#beta2;
    const l2 = this.#l2;
    const mask = this.#mask;
    const t = ++this.#step;
    const stepSize = this.learningRate / (1 - b1 ** t);
    const invCorrection2 = 1 / Math.sqrt(1 - b2 ** t);
    const eps = this.#epsilon;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    for (let i = 0; i < params.length; i++) {
      let g = grad[i]!;
      if (l2 > 0 && (mask === undefined || mask[i] === 1)) g += l2 * params[i]!;
      const mPrev = m[i]!;
      const mi = mPrev + c1 * (g - mPrev); // torch's lerp
      const vi = b2 * v[i]! + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i]! -= (stepSize * mi) / (Math.sqrt(vi) * invCorrection2 + eps);
    }
  }
}
