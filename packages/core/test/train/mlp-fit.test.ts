import { describe, expect, it } from 'vitest';
import { expectCode } from '../../src/testing/expect-code.js';
import { fitMlp, MlpFit } from '../../src/train/mlp-fit.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { initMlp } from '../../src/train/mlp-init.js';
import { hardLabelData } from '../../src/train/training-data.js';
import { accuracy, blobs } from './fixtures.js';

const WIDTH = 6;
const CLASSES = 4;

function data(seed = 1, rows = 200) {
  const { x, labels } = blobs(seed, rows, WIDTH, CLASSES);
  return { x, labels, data: hardLabelData(x, labels, WIDTH, CLASSES) };
}

describe('fitMlp', () => {
  it('is deterministic: same seed and data → bit-identical float32 weights', () => {
    const { data: d } = data();
    const run = (seed: number) =>
      fitMlp(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 3 }), d, {
        epochs: 5,
        batchSize: 16,
        seed,
      });
    const a = run(7);
    const b = run(7);
    const c = run(8);
    a.weights.layers.forEach((layer, l) => {
      expect(layer.weight).toBeInstanceOf(Float32Array);
      expect(new Uint8Array(layer.weight.buffer)).toEqual(new Uint8Array(b.weights.layers[l]!.weight.buffer));
      expect(new Uint8Array(layer.bias.buffer)).toEqual(new Uint8Array(b.weights.layers[l]!.bias.buffer));
    });
    expect(a.loss).toEqual(b.loss);
    expect(c.weights.layers[0]!.weight).not.toEqual(a.weights.layers[0]!.weight);
  });

  it('learns: accuracy on separable blobs rises from chance to > 95%', () => {
    const { x, labels, data: d } = data(2, 400);
    const initial = initMlp({ inputWidth: WIDTH, hidden: [16], classes: CLASSES, seed: 4 });
    const before = accuracy(mlpForward(initial, x, labels.length), labels, CLASSES);
    const result = fitMlp(initial, d, { epochs: 30, learningRate: 1e-2, seed: 1 });
    const after = accuracy(mlpForward(result.weights, x, labels.length), labels, CLASSES);
    expect(before).toBeLessThan(0.6);
    expect(after).toBeGreaterThan(0.95);
    expect(result.loss[result.loss.length - 1]!).toBeLessThan(result.loss[0]! / 2);
    expect(result.epochs).toBe(30);
    expect(result.steps).toBe(30 * Math.ceil(400 / 32));
  });

  it('learns logistic regression (no hidden layer) too', () => {
    const { x, labels, data: d } = data(3, 400);
    const result = fitMlp(initMlp({ inputWidth: WIDTH, hidden: [], classes: CLASSES, seed: 4 }), d, {
      epochs: 30,
      learningRate: 1e-2,
    });
    expect(accuracy(mlpForward(result.weights, x, labels.length), labels, CLASSES)).toBeGreaterThan(0.95);
  });

  it('keeps float32-representable parameters in float32 precision, float64 ones in float64', () => {
    const { data: d } = data();
    const initial = initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 3 });
    const f32 = new MlpFit(initial, d, { epochs: 1 });
    f32.runEpoch();
    expect(f32.params.every((v) => Math.fround(v) === v)).toBe(true);
    const f64 = new MlpFit(initial, d, { epochs: 1, precision: 'float64' });
    f64.runEpoch();
    expect(f64.params.some((v) => Math.fround(v) !== v)).toBe(true);
  });

  it('with 0 epochs returns the initial weights unchanged', () => {
    const { data: d } = data();
    const initial = initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 3 });
    const result = fitMlp(initial, d, { epochs: 0 });
    expect(result.weights).toEqual(initial);
    expect(result.loss).toEqual([]);
  });

  it('stops at maxSeconds', () => {
    const { data: d } = data();
    let clock = 0;
    const result = fitMlp(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 3 }), d, {
      epochs: 50,
      maxSeconds: 1,
      now: () => (clock += 100),
    });
    expect(result.timedOut).toBe(true);
    expect(result.steps).toBeLessThan(20);
  });

  it('rejects bad options and mismatched data', async () => {
    const { data: d } = data();
    const initial = initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 3 });
    await expectCode(() => fitMlp(initial, d, { batchSize: 0 }), 'E_CONFIG');
    await expectCode(() => fitMlp(initial, d, { epochs: 1.5 }), 'E_CONFIG');
    await expectCode(
      () => fitMlp(initMlp({ inputWidth: WIDTH + 1, hidden: [], classes: CLASSES, seed: 1 }), d),
      'E_INPUT',
    );
  });
});
