/**
 * Pairwise detectors with a (sub)gradient, for the dissonance term of the trainer's loss. Each one
 * computes the same value as the detector of the same name in `../detect/` (before its clamping to the
 * detector's range), in float64.
 */
export const DIVERGENCE_NAMES = ['jensen-shannon', 'total-variation', 'abs-diff', 'hellinger', 'symmetric-kl'] as const;

/** One of {@link DIVERGENCE_NAMES}. */
export type DivergenceName = (typeof DIVERGENCE_NAMES)[number];

/** Smoothing of the `symmetric-kl` detector (its default). */
export const SYMMETRIC_KL_EPSILON = 1e-6;

const HALF_INV_LN2 = 0.5 / Math.LN2;

/**
 * `d(p, q)` for one row of `classes` probabilities at `offset` in `p` and `q`, and its gradient:
 * adds `scale · pᵢ · ∂d/∂pᵢ` to `out[offset + i]` (the gradient times `p`, which stays finite where
 * `pᵢ → 0` and is what the softmax backward step needs). Non-smooth points take the zero subgradient.
 * `out` may be `undefined` to get the value only.
 */
export function divergenceRow(
  name: DivergenceName,
  p: Float64Array,
  q: Float64Array,
  offset: number,
  classes: number,
  out: Float64Array | undefined,
  scale: number,
): number {
  switch (name) {
    case 'jensen-shannon':
      return jensenShannonRow(p, q, offset, classes, out, scale);
    case 'total-variation':
      return totalVariationRow(p, q, offset, classes, out, scale);
    case 'abs-diff':
      return absDiffRow(p, q, offset, out, scale);
    case 'hellinger':
      return hellingerRow(p, q, offset, classes, out, scale);
    case 'symmetric-kl':
      return symmetricKlRow(p, q, offset, classes, out, scale);
  }
}

/** JS in bits: `½Σ[p ln(p/m) + q ln(q/m)] / ln 2`, `m = ½(p + q)`; `∂/∂pᵢ = ln(pᵢ/mᵢ) / (2 ln 2)`. */
function jensenShannonRow(
  p: Float64Array,
  q: Float64Array,
  o: number,
  k: number,
  out: Float64Array | undefined,
  scale: number,
): number {
  let sum = 0;
  for (let i = o, end = o + k; i < end; i++) {
    const pi = p[i]!;
    const qi = q[i]!;
    const mi = 0.5 * (pi + qi);
    const lp = pi > 0 ? pi * Math.log(pi / mi) : 0;
    sum += lp + (qi > 0 ? qi * Math.log(qi / mi) : 0);
    if (out !== undefined) out[i]! += scale * HALF_INV_LN2 * lp;
  }
  return sum * HALF_INV_LN2;
}

/** TV: `½Σ|p − q|`; `∂/∂pᵢ = ½ sign(pᵢ − qᵢ)`. */
function totalVariationRow(
  p: Float64Array,
  q: Float64Array,
  o: number,
  k: number,
  out: Float64Array | undefined,
  scale: number,
): number {
  let sum = 0;
  for (let i = o, end = o + k; i < end; i++) {
    const diff = p[i]! - q[i]!;
    sum += Math.abs(diff);
    if (out !== undefined && diff !== 0) out[i]! += scale * 0.5 * p[i]! * (diff > 0 ? 1 : -1);
  }
  return 0.5 * sum;
}

/** The POC's `|p₀ − q₀|`; `∂/∂p₀ = sign(p₀ − q₀)`, 0 for the other classes. */
function absDiffRow(p: Float64Array, q: Float64Array, o: number, out: Float64Array | undefined, scale: number): number {
  const diff = p[o]! - q[o]!;
  if (out !== undefined && diff !== 0) out[o]! += scale * p[o]! * (diff > 0 ? 1 : -1);
  return Math.abs(diff);
}

/** Hellinger: `d = √S`, `S = ½Σ(√p − √q)²`; `pᵢ ∂d/∂pᵢ = √pᵢ(√pᵢ − √qᵢ) / (4d)`; 0 at `d = 0`, and past 1. */
function hellingerRow(
  p: Float64Array,
  q: Float64Array,
  o: number,
  k: number,
  out: Float64Array | undefined,
  scale: number,
): number {
  let sum = 0;
  for (let i = o, end = o + k; i < end; i++) {
    const diff = Math.sqrt(p[i]!) - Math.sqrt(q[i]!);
    sum += diff * diff;
  }
  const squared = 0.5 * sum;
  if (squared >= 1) return 1;
  const d = Math.sqrt(squared);
  if (out !== undefined && d > 0) {
    const factor = scale / (4 * d);
    for (let i = o, end = o + k; i < end; i++) {
      const sp = Math.sqrt(p[i]!);
      out[i]! += factor * sp * (sp - Math.sqrt(q[i]!));
    }
  }
  return d;
}

/**
 * Symmetric KL with smoothing ε: `Σ(p′ − q′)(ln p′ − ln q′)`, `p′ = (p + ε)s`, `s = 1/(1 + kε)`;
 * `∂/∂pᵢ = s·(ln p′ᵢ − ln q′ᵢ + 1 − q′ᵢ/p′ᵢ)`.
 */
function symmetricKlRow(
  p: Float64Array,
  q: Float64Array,
  o: number,
  k: number,
  out: Float64Array | undefined,
  scale: number,
): number {
  const s = 1 / (1 + k * SYMMETRIC_KL_EPSILON);
  let sum = 0;
  for (let i = o, end = o + k; i < end; i++) {
    const pi = (p[i]! + SYMMETRIC_KL_EPSILON) * s;
    const qi = (q[i]! + SYMMETRIC_KL_EPSILON) * s;
    const log = Math.log(pi) - Math.log(qi);
    sum += (pi - qi) * log;
    if (out !== undefined) out[i]! += scale * p[i]! * s * (log + 1 - qi / pi);
  }
  return sum;
}

/** How a detector's name maps to a differentiable divergence: itself, or Jensen–Shannon as a stand-in. */
export interface DivergenceChoice {
  /** The divergence the loss uses. */
  readonly divergence: DivergenceName;
  /** True when the detector has no differentiable form here and Jensen–Shannon stands in for it. */
  readonly fallback: boolean;
}

/**
 * The divergence for a detector called `detectorName`: the pairwise ones map to themselves; committee
 * measures (`mean-pairwise-js`, `consensus-entropy`, `vote-entropy`) and unknown names fall back to
 * Jensen–Shannon (`fallback: true`; `mean-pairwise-js` over a proposer and one critic is exactly JS).
 */
export function divergenceFor(detectorName: string): DivergenceChoice {
  return isDivergenceName(detectorName)
    ? { divergence: detectorName, fallback: false }
    : { divergence: 'jensen-shannon', fallback: true };
}

/** True when `name` is one of {@link DIVERGENCE_NAMES}. */
export function isDivergenceName(name: string): name is DivergenceName {
  return (DIVERGENCE_NAMES as readonly string[]).includes(name);
}
