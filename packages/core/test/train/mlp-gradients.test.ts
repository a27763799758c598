import { describe, expect, it } from 'vitest';
import { DIVERGENCE_NAMES } from '../../src/train/divergence-terms.js';
import { forwardInto, lossAndGradient, MlpWorkspace, type LossBatch } from '../../src/train/mlp-gradients.js';
import { flattenMlp, layoutOf, unflattenMlp } from '../../src/train/mlp-layout.js';
import { initMlp } from '../../src/train/mlp-init.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { createPrng } from '../../src/train/prng.js';
import { randomProbs } from './fixtures.js';
import { gradientGap } from './gradient-check.js';

const WIDTH = 5;
const CLASSES = 3;
const ROWS = 7;

/** A 5-4-3 MLP with float64 parameters (not float32-representable) and a batch of hard and soft targets. */
function setup(hidden: number[] = [4]) {
  const prng = createPrng(2024);
  const layout = layoutOf(initMlp({ inputWidth: WIDTH, hidden, classes: CLASSES, seed: 11 }));
  const params = flattenMlp(initMlp({ inputWidth: WIDTH, hidden, classes: CLASSES, seed: 11 }));
  for (let k = 0; k < params.length; k++) params[k] = params[k]! + 0.1 * prng.normal();
  const x = new Float64Array(ROWS * WIDTH);
  for (let i = 0; i < x.length; i++) x[i] = i % 4 === 0 ? 0 : prng.normal(); // some exact zeros: the sparse path
  // Rows 0–3 hard labels, rows 4–6 soft targets.
  const targets = new Float64Array(ROWS * CLASSES);
  for (let r = 0; r < 4; r++) targets[r * CLASSES + (r % CLASSES)] = 1;
  targets.set(randomProbs(prng, 3, CLASSES), 4 * CLASSES);
  const weights = Float64Array.from({ length: ROWS }, () => 0.5 + 1.5 * prng.next());
  const critics = [randomProbs(prng, ROWS, CLASSES, 2), randomProbs(prng, ROWS, CLASSES, 2)];
  const batch: LossBatch = { x, rows: ROWS, targets, weights, critics };
  return { layout, params, batch };
}

/** Smallest |pre-activation| of the hidden layers: finite differences need it well above h. */
function minHiddenPreactivation(setupValue: ReturnType<typeof setup>): number {
  const { layout, params, batch } = setupValue;
  const { widths, weightOffsets, biasOffsets } = layout;
  let min = Infinity;
  let input = batch.x;
  for (let l = 0; l + 1 < widths.length - 1; l++) {
    const inputs = widths[l]!;
    const outputs = widths[l + 1]!;
    const next = new Float64Array(batch.rows * outputs);
    for (let r = 0; r < batch.rows; r++) {
      for (let o = 0; o < outputs; o++) {
        let z = params[biasOffsets[l]! + o]!;
        for (let i = 0; i < inputs; i++) z += input[r * inputs + i]! * params[weightOffsets[l]! + i * outputs + o]!;
        min = Math.min(min, Math.abs(z));
        next[r * outputs + o] = Math.max(0, z);
      }
    }
    input = next;
  }
  return min;
}

describe('lossAndGradient: gradient check against float64 central differences', () => {
  it('has no ReLU input within reach of the finite-difference step', () => {
    expect(minHiddenPreactivation(setup())).toBeGreaterThan(1e-3);
    expect(minHiddenPreactivation(setup([4, 4]))).toBeGreaterThan(1e-3);
    expect(minHiddenPreactivation(setup([9]))).toBeGreaterThan(1e-3);
  });

  it('matches for cross-entropy alone (hard + soft targets, sample weights)', () => {
    const { layout, params, batch } = setup();
    const gap = gradientGap(layout, params, batch, { lambda: 0, dTarget: 0, divergence: 'jensen-shannon' });
    console.log(`CE only: max rel ${gap.maxRelative.toExponential(2)}, max abs ${gap.maxAbsolute.toExponential(2)}`);
    expect(gap.maxRelative).toBeLessThanOrEqual(1e-6);
  });

  for (const divergence of DIVERGENCE_NAMES) {
    it(`matches with the dissonance term active (D > D_target), ${divergence}`, () => {
      // [9]: a block of 8 outputs plus one (the kernels' blocked and remainder paths).
      for (const hidden of [[4], [4, 4], [], [9]]) {
        const { layout, params, batch } = setup(hidden);
        const term = { lambda: 0.8, dTarget: 0.01, divergence };
        const value = lossAndGradient(layout, params, batch, term, new Float64Array(layout.size));
        expect(value.dissonance).toBeGreaterThan(term.dTarget + 0.01);
        const penalty = term.lambda * (value.dissonance - term.dTarget) ** 2;
        expect(value.loss).toBeCloseTo(value.crossEntropy + penalty, 12);
        expect(penalty).toBeGreaterThan(1e-3 * value.crossEntropy);
        const gap = gradientGap(layout, params, batch, term);
        console.log(
          `${divergence} 5-${hidden.join('-')}${hidden.length ? '-' : ''}3: D ${value.dissonance.toFixed(4)}, max rel ${gap.maxRelative.toExponential(2)}, max abs ${gap.maxAbsolute.toExponential(2)}, norm rel ${gap.normRelative.toExponential(2)}`,
        );
        expect(gap.maxRelative).toBeLessThanOrEqual(1e-6);
      }
    });
  }

  it('has no dissonance gradient when D ≤ D_target', () => {
    const { layout, params, batch } = setup();
    const ceOnly = new Float64Array(layout.size);
    const withTerm = new Float64Array(layout.size);
    lossAndGradient(layout, params, batch, { lambda: 0, dTarget: 0, divergence: 'jensen-shannon' }, ceOnly);
    const value = lossAndGradient(
      layout,
      params,
      batch,
      { lambda: 5, dTarget: 1, divergence: 'jensen-shannon' },
      withTerm,
    );
    expect(value.dissonance).toBeLessThan(1);
    expect(value.loss).toBe(value.crossEntropy);
    expect(withTerm).toEqual(ceOnly);
  });
});

describe('lossAndGradient: values', () => {
  it('gives the mean cross-entropy of mlpForward for hard labels and unit weights', () => {
    const weights = initMlp({ inputWidth: WIDTH, hidden: [6], classes: CLASSES, seed: 5 });
    const prng = createPrng(9);
    const x32 = Float32Array.from({ length: ROWS * WIDTH }, () => prng.normal());
    const labels = Array.from({ length: ROWS }, (_, r) => r % CLASSES);
    const targets = new Float64Array(ROWS * CLASSES);
    labels.forEach((label, r) => (targets[r * CLASSES + label] = 1));
    const layout = layoutOf(weights);
    const value = lossAndGradient(
      layout,
      flattenMlp(weights),
      { x: Float64Array.from(x32), rows: ROWS, targets, weights: new Float64Array(ROWS).fill(1), critics: [] },
      { lambda: 1, dTarget: 0, divergence: 'jensen-shannon' },
      new Float64Array(layout.size),
    );
    const probs = mlpForward(weights, x32, ROWS);
    const expected = labels.reduce((sum, label, r) => sum - Math.log(probs[r * CLASSES + label]!), 0) / ROWS;
    expect(value.crossEntropy).toBeCloseTo(expected, 5);
    expect(value.dissonance).toBe(0);
  });

  it('forwardInto agrees with mlpForward to float32 rounding', () => {
    const weights = initMlp({ inputWidth: WIDTH, hidden: [8, 4], classes: CLASSES, seed: 3 });
    const prng = createPrng(4);
    const x32 = Float32Array.from({ length: ROWS * WIDTH }, () => prng.normal());
    const layout = layoutOf(weights);
    const probs = forwardInto(
      layout,
      flattenMlp(weights),
      Float64Array.from(x32),
      ROWS,
      new MlpWorkspace(layout, ROWS),
    );
    const reference = mlpForward(weights, x32, ROWS);
    for (let i = 0; i < reference.length; i++) expect(Math.abs(probs[i]! - reference[i]!)).toBeLessThan(1e-6);
  });

  it('flattenMlp and unflattenMlp round-trip float32 weights exactly', () => {
    const weights = initMlp({ inputWidth: WIDTH, hidden: [4, 2], classes: CLASSES, seed: 8 });
    const back = unflattenMlp(layoutOf(weights), flattenMlp(weights));
    expect(back).toEqual(weights);
  });
});
