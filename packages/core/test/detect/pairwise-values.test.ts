import { describe, expect, it } from 'vitest';
import {
  absDiff,
  createSymmetricKl,
  hellinger,
  jensenShannon,
  symmetricKl,
  totalVariation,
} from '../../src/detect/index.js';
import type { Detector } from '../../src/ports/detector.js';

function one(detector: Detector, p: number[], q: number[]): number {
  const result = detector.measure(Float32Array.from(p), Float32Array.from(q), 1, p.length);
  expect(result).toHaveLength(1);
  return result[0]!;
}

function expectNear(actual: number, expected: number, tolerance = 1e-6): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance);
}

describe('pairwise detectors: hand-computed values', () => {
  it('give their largest value for p = [1, 0], q = [0, 1]', () => {
    // abs-diff: |1 − 0| = 1.   TV: ½(|1 − 0| + |0 − 1|) = 1.
    expect(one(absDiff, [1, 0], [0, 1])).toBe(1);
    expect(one(totalVariation, [1, 0], [0, 1])).toBe(1);
    // JS: m = [½, ½]; KL(p‖m) = 1·log₂(1/½) = 1 bit, KL(q‖m) = 1 bit, the 0·log 0 terms are 0 → ½(1 + 1) = 1.
    expect(one(jensenShannon, [1, 0], [0, 1])).toBe(1);
    // Hellinger: ½((1 − 0)² + (0 − 1)²) = 1 → √1 = 1.
    expect(one(hellinger, [1, 0], [0, 1])).toBe(1);
    // SKL, ε = 1e-6, s = 1/(1 + 2ε): p′ = [(1+ε)s, εs], q′ = [εs, (1+ε)s];
    // each class gives (p′ − q′)(ln p′ − ln q′) = s · ln((1+ε)/ε), two classes → 2 ln(1000001)/(1 + 2e-6) ≈ 27.630940.
    expectNear(one(symmetricKl, [1, 0], [0, 1]), (2 * Math.log(1_000_001)) / (1 + 2e-6), 1e-5);
  });

  it('match p = [0.5, 0.5], q = [0.9, 0.1]', () => {
    const p = [0.5, 0.5];
    const q = [0.9, 0.1];
    // abs-diff: |0.5 − 0.9| = 0.4.
    expectNear(one(absDiff, p, q), 0.4);
    // TV: ½(0.4 + 0.4) = 0.4.
    expectNear(one(totalVariation, p, q), 0.4);
    // JS: m = [0.7, 0.3].
    // KL(p‖m) = 0.5·log₂(0.5/0.7) + 0.5·log₂(0.5/0.3) = 0.5·(−0.485427) + 0.5·0.736966 = 0.125769
    // KL(q‖m) = 0.9·log₂(0.9/0.7) + 0.1·log₂(0.1/0.3) = 0.9·0.362570 + 0.1·(−1.584963) = 0.167817
    // JS = ½(0.125769 + 0.167817) = 0.146793
    expectNear(one(jensenShannon, p, q), 0.146793);
    // Hellinger: Σ√(pq) = √0.45 + √0.05 = 0.670820 + 0.223607 = 0.894427 → √(1 − 0.894427) = 0.324920.
    expectNear(one(hellinger, p, q), 0.32492);
    // SKL without smoothing: (0.5 − 0.9)·ln(0.5/0.9) + (0.5 − 0.1)·ln(0.5/0.1)
    //   = (−0.4)(−0.587787) + 0.4·1.609438 = 0.235115 + 0.643775 = 0.878890; ε = 1e-6 lowers it to 0.878885.
    expectNear(one(symmetricKl, p, q), 0.878885);
    expectNear(one(createSymmetricKl({ epsilon: 1e-12 }), p, q), 0.87889);
  });

  it('match a three-class row p = [0.5, 0.25, 0.25], q = [0.25, 0.25, 0.5]', () => {
    const p = [0.5, 0.25, 0.25];
    const q = [0.25, 0.25, 0.5];
    // abs-diff looks at class 0 only: |0.5 − 0.25| = 0.25.
    expect(one(absDiff, p, q)).toBe(0.25);
    // TV: ½(0.25 + 0 + 0.25) = 0.25.
    expect(one(totalVariation, p, q)).toBe(0.25);
    // JS: m = [0.375, 0.25, 0.375]; KL(p‖m) = 0.5·log₂(4/3) + 0 + 0.25·log₂(2/3)
    //   = 0.5·0.415037 + 0.25·(−0.584963) = 0.061278; KL(q‖m) is the same by symmetry → JS = 0.061278.
    expectNear(one(jensenShannon, p, q), 0.5 * Math.log2(4 / 3) + 0.25 * Math.log2(2 / 3));
    expectNear(one(jensenShannon, p, q), 0.061278);
    // Hellinger: Σ√(pq) = 2·√0.125 + 0.25 = 0.707107 + 0.25 = 0.957107 → √0.042893 = 0.207107.
    expectNear(one(hellinger, p, q), 0.207107);
  });

  it('write into `out` when it is given and return it', () => {
    const out = new Float32Array([9, 9, 9]);
    const result = totalVariation.measure(Float32Array.from([1, 0, 0, 1]), Float32Array.from([0, 1, 0, 1]), 2, 2, out);
    expect(result).toBe(out);
    expect(Array.from(out)).toEqual([1, 0, 9]);
  });

  it('return an empty result for zero rows', () => {
    expect(jensenShannon.measure(new Float32Array(0), new Float32Array(0), 0, 3)).toHaveLength(0);
  });
});
