import { DissonanceError } from '../errors.js';
import type { LoadedModel } from '../ports/model.js';
import { meanKl } from '../rollout/kl-divergence.js';
import { mlpForward } from './mlp-forward.js';
import type { DenseLayer, MlpWeights } from './mlp-weights.js';

/** Options of {@link klGuard}. */
export interface KlGuardOptions {
  /** Bound on the mean `KL(old‖new)` over the reference rows. */
  readonly klEps: number;
  /** Halvings of `t` to try after `t = 1` before giving up with `t = 0` (default 20). */
  readonly maxHalvings?: number;
}

/** What {@link klGuard} chose. */
export interface KlGuardResult {
  /** The weights `θ₀ + t(θ₁ − θ₀)` (float32), `θ₁` itself at `t = 1`, `θ₀` itself at `t = 0`. */
  readonly weights: MlpWeights;
  /** The step kept: 1, ½, ¼, …, 2⁻ᵐᵃˣᴴᵃˡᵛⁱⁿᵍˢ, or 0 (keep the old weights). */
  readonly t: number;
  /** Mean `KL(old‖new)` of the returned weights over the reference rows, in nats. */
  readonly kl: number;
  /** Mean `KL(old‖θ₁)`: the KL of the unguarded update. */
  readonly klFull: number;
  /** Halvings made (0 when `t = 1`). */
  readonly halvings: number;
}

/** `θ₀ + t(θ₁ − θ₀)` computed in float64, rounded once to float32. */
export function interpolateMlp(from: MlpWeights, to: MlpWeights, t: number): MlpWeights {
  if (t === 0) return from;
  if (t === 1) return to;
  const mix = (a: Float32Array, b: Float32Array): Float32Array => {
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
    return out;
  };
  const layers: DenseLayer[] = from.layers.map((layer, l) => {
    const other = to.layers[l]!;
    return { ...layer, weight: mix(layer.weight, other.weight), bias: mix(layer.bias, other.bias) };
  });
  return { inputWidth: from.inputWidth, classes: from.classes, layers };
}

/** True when `a` and `b` have the same architecture (widths and activations). */
export function sameArchitecture(a: MlpWeights, b: MlpWeights): boolean {
  return (
    a.inputWidth === b.inputWidth &&
    a.classes === b.classes &&
    a.layers.length === b.layers.length &&
    a.layers.every((layer, l) => {
      const other = b.layers[l]!;
      return layer.inputs === other.inputs && layer.outputs === other.outputs && layer.activation === other.activation;
    })
  );
}

/**
 * Backtracking on the update `θ₀ → θ₁`: the largest `t` in 1, ½, ¼, … (up to `maxHalvings` halvings, then
 * `t = 0`, the old weights) such that the mean over the reference rows of `KL(old‖θ₀ + t(θ₁ − θ₀))` ≤ `klEps`.
 * `old` is `base.run` on the reference rows; a candidate's probabilities are {@link mlpForward} of its
 * float32 weights, what an `MlpModel` of them returns, and the KL is {@link meanKl} (float64 sums) — the
 * same arithmetic as `modelKl(base, candidate)`, so the returned weights satisfy the bound there too.
 *
 * @throws DissonanceError `E_INPUT` when the architectures differ or `klEps` is not ≥ 0.
 */
export async function klGuard(
  base: LoadedModel,
  from: MlpWeights,
  to: MlpWeights,
  reference: { readonly x: Float32Array; readonly rows: number },
  options: KlGuardOptions,
): Promise<KlGuardResult> {
  const { klEps } = options;
  const maxHalvings = options.maxHalvings ?? 20;
  if (!(klEps >= 0)) throw new DissonanceError('E_INPUT', `klGuard: klEps must be ≥ 0, got ${klEps}`);
  if (!sameArchitecture(from, to))
    throw new DissonanceError('E_INPUT', 'klGuard: θ₀ and θ₁ have different architectures');
  const rows = reference.rows;
  if (rows === 0) return { weights: to, t: 1, kl: 0, klFull: 0, halvings: 0 };
  const old = await base.run(reference.x, rows);
  const klOf = (weights: MlpWeights): number => meanKl(old, mlpForward(weights, reference.x, rows), rows, to.classes);
  const klFull = klOf(to);
  if (klFull <= klEps) return { weights: to, t: 1, kl: klFull, klFull, halvings: 0 };
  let t = 1;
  for (let halvings = 1; halvings <= maxHalvings; halvings++) {
    t /= 2;
    const weights = interpolateMlp(from, to, t);
    const kl = klOf(weights);
    if (kl <= klEps) return { weights, t, kl, klFull, halvings };
  }
  return { weights: from, t: 0, kl: klOf(from), klFull, halvings: maxHalvings };
}
