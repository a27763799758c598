import { describe, expect, it } from 'vitest';
import { FunctionModel } from '../../src/models/function-model.js';
import { modelKl } from '../../src/rollout/kl-divergence.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { interpolateMlp, klGuard } from '../../src/train/kl-guard.js';
import { fitMlp } from '../../src/train/mlp-fit.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { initMlp } from '../../src/train/mlp-init.js';
import type { MlpWeights } from '../../src/train/mlp-weights.js';
import { hardLabelData } from '../../src/train/training-data.js';
import { blobs } from './fixtures.js';

const WIDTH = 6;
const CLASSES = 4;

function modelOf(weights: MlpWeights, name: string): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: WIDTH,
    classes: CLASSES,
    run: (x, rows) => mlpForward(weights, x, rows),
  });
}

describe('klGuard', () => {
  const { x, labels } = blobs(5, 300, WIDTH, CLASSES);
  const reference = { x: x.slice(0, 100 * WIDTH), rows: 100 };
  const old = initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 1 });
  const trained = fitMlp(old, hardLabelData(x, labels, WIDTH, CLASSES), { epochs: 10, learningRate: 0.05 }).weights;

  it('backtracks until KL(old‖new) ≤ klEps, checked independently with modelKl', async () => {
    const base = modelOf(old, 'old');
    const klEps = 1e-3;
    const full = await modelKl(base, modelOf(trained, 'full'), reference);
    expect(full).toBeGreaterThan(klEps);
    const result = await klGuard(base, old, trained, reference, { klEps });
    expect(result.t).toBeLessThan(1);
    expect(result.t).toBeGreaterThan(0);
    expect(result.klFull).toBe(full);
    const independent = await modelKl(base, modelOf(result.weights, 'guarded'), reference);
    expect(independent).toBe(result.kl);
    expect(independent).toBeLessThanOrEqual(klEps);
    // The largest step of the sequence: the step before (2t) breaks the bound.
    const before = await modelKl(base, modelOf(interpolateMlp(old, trained, result.t * 2), 'before'), reference);
    expect(before).toBeGreaterThan(klEps);
    console.log(
      `KL guard: unguarded KL ${full.toExponential(3)}, t = ${result.t}, KL ${independent.toExponential(3)} ≤ ${klEps}`,
    );
  });

  it('keeps t = 1 when the update is within the bound', async () => {
    const result = await klGuard(modelOf(old, 'old'), old, trained, reference, { klEps: 100 });
    expect(result.t).toBe(1);
    expect(result.weights).toBe(trained);
    expect(result.halvings).toBe(0);
  });

  it('falls back to the old weights (t = 0) when no step is small enough', async () => {
    const result = await klGuard(modelOf(old, 'old'), old, trained, reference, { klEps: 0, maxHalvings: 3 });
    expect(result.t).toBe(0);
    expect(result.weights).toBe(old);
    expect(result.kl).toBe(0);
  });

  it('rejects mismatched architectures', async () => {
    const other = initMlp({ inputWidth: WIDTH, hidden: [4], classes: CLASSES, seed: 1 });
    await expectCode(klGuard(modelOf(old, 'old'), old, other, reference, { klEps: 1 }), 'E_INPUT');
  });
});
