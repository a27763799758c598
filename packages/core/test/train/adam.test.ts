import { describe, expect, it } from 'vitest';
import { expectCode } from '../../src/testing/expect-code.js';
import { Adam } from '../../src/train/adam.js';

/** f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)², ∇f = a ⊙ (θ − c). */
const a = Float64Array.from([1, 10, 0.1]);
const c = Float64Array.from([3, -2, 0.5]);
function gradient(theta: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < theta.length; i++) out[i] = a[i]! * (theta[i]! - c[i]!);
  return out;
}

describe('Adam', () => {
  it('takes a first step of lr·g/(|g| + ε) per coordinate', () => {
    const theta = Float64Array.from([0, 0, 0]);
    const g = gradient(theta, new Float64Array(3));
    const adam = new Adam(3, { learningRate: 0.01 });
    adam.step(theta, g);
    for (let i = 0; i < 3; i++) expect(theta[i]).toBeCloseTo(-0.01 * (g[i]! / (Math.abs(g[i]!) + 1e-8)), 15);
    expect(adam.steps).toBe(1);
  });

  it('follows the textbook update for 50 steps', () => {
    const theta = Float64Array.from([1, 1, 1]);
    const ref = Float64Array.from(theta);
    const m = new Float64Array(3);
    const v = new Float64Array(3);
    const adam = new Adam(3, { learningRate: 0.05 });
    const g = new Float64Array(3);
    for (let t = 1; t <= 50; t++) {
      adam.step(theta, gradient(theta, g));
      gradient(ref, g);
      for (let i = 0; i < 3; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
        const mHat = m[i]! / (1 - 0.9 ** t);
        const vHat = v[i]! / (1 - 0.999 ** t);
        ref[i] = ref[i]! - (0.05 * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
    for (let i = 0; i < 3; i++) expect(Math.abs(theta[i]! - ref[i]!)).toBeLessThan(1e-9);
  });

  it('converges to the minimum of a quadratic', () => {
    const theta = new Float64Array(3);
    const adam = new Adam(3, { learningRate: 0.05 });
    const g = new Float64Array(3);
    for (let t = 0; t < 3000; t++) adam.step(theta, gradient(theta, g));
    for (let i = 0; i < 3; i++) expect(Math.abs(theta[i]! - c[i]!)).toBeLessThan(1e-3);
  });

  it('adds l2·θ to the gradient of the masked parameters only', () => {
    const theta = Float64Array.from([2, 2]);
    const adam = new Adam(2, { learningRate: 0.1, l2: 0.5, l2Mask: Uint8Array.from([1, 0]) });
    adam.step(theta, new Float64Array(2));
    expect(theta[0]).toBeCloseTo(2 - 0.1, 6); // g = 0.5·2 = 1 → first step lr·sign
    expect(theta[1]).toBe(2);
  });

  it('rejects bad options with E_CONFIG', async () => {
    await expectCode(() => new Adam(2, { learningRate: 0 }), 'E_CONFIG');
    await expectCode(() => new Adam(2, { beta1: 1 }), 'E_CONFIG');
    await expectCode(() => new Adam(2, { l2: -1 }), 'E_CONFIG');
    await expectCode(() => new Adam(2, { l2Mask: new Uint8Array(3) }), 'E_CONFIG');
  });
});
