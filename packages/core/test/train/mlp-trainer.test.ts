import { describe, expect, it } from 'vitest';
import { committeeDetectorByName } from '../../src/detect/index.js';
import { FunctionModel } from '../../src/models/function-model.js';
import { writeOnnxMlp } from '../../src/onnx/index.js';
import type { TrainingExample } from '../../src/ports/batch.js';
import type { LoadedModel } from '../../src/ports/model.js';
import type { TrainConstraints } from '../../src/ports/trainer.js';
import { modelKl } from '../../src/rollout/kl-divergence.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { mlpForward } from '../../src/train/mlp-forward.js';
import { initMlp } from '../../src/train/mlp-init.js';
import { MlpModel } from '../../src/train/mlp-model.js';
import { createMlpTrainer } from '../../src/train/mlp-trainer.js';
import type { MlpWeights } from '../../src/train/mlp-weights.js';
import { accuracy, blobs, hardExamples } from './fixtures.js';

const WIDTH = 6;
const CLASSES = 4;
const { x, labels } = blobs(11, 240, WIDTH, CLASSES);
const examples = hardExamples(x, labels, WIDTH);
const reference = { x: x.slice(0, 80 * WIDTH), rows: 80 };

function constraints(overrides: Partial<TrainConstraints> = {}): TrainConstraints {
  return {
    dTarget: 0.12,
    lambdaMax: 0.05,
    klEps: 100,
    critics: [],
    detector: committeeDetectorByName('jensen-shannon'),
    reference,
    seed: 1,
    ...overrides,
  };
}

function champion(seed = 2): MlpModel {
  return new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed }), {
    name: 'digits',
    version: '3',
  });
}

function bits(weights: MlpWeights): number[] {
  return weights.layers.flatMap((layer) => [
    ...new Uint8Array(layer.weight.buffer),
    ...new Uint8Array(layer.bias.buffer),
  ]);
}

describe('createMlpTrainer', () => {
  it('is named mlp and rejects bad options with E_CONFIG', async () => {
    expect(createMlpTrainer().name).toBe('mlp');
    await expectCode(() => createMlpTrainer({ epochs: -1 }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ batchSize: 0 }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ learningRate: Number.NaN }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ hidden: [4, 0] }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ lambda: -1 }), 'E_CONFIG');
  });

  it('warm-starts from an MlpModel champion: 0 epochs → identical outputs', async () => {
    const base = champion();
    const candidate = await createMlpTrainer({ epochs: 0, refitBelow: 0 }).fit(base, examples, constraints());
    expect(await candidate.model.run(x, 240)).toEqual(await base.run(x, 240));
    expect(candidate.report.extra?.warmStart).toBe(1);
    expect(candidate.report.params?.init).toBe('warm (mlp-model)');
    expect(candidate.report.kl).toBe(0);
  });

  it('warm-starts from an ONNX artifact of any LoadedModel: 0 epochs → identical outputs', async () => {
    const weights = initMlp({ inputWidth: WIDTH, hidden: [5, 3], classes: CLASSES, seed: 9 });
    const base = new FunctionModel({
      name: 'served',
      inputWidth: WIDTH,
      classes: CLASSES,
      run: (input, rows) => mlpForward(weights, input, rows),
      artifact: { format: 'onnx', bytes: writeOnnxMlp(weights) },
    });
    const candidate = await createMlpTrainer({ epochs: 0, hidden: [64], refitBelow: 0 }).fit(
      base,
      examples,
      constraints(),
    );
    expect(await candidate.model.run(x, 240)).toEqual(await base.run(x, 240));
    expect(candidate.report.params?.init).toBe('warm (onnx)');
    expect(candidate.report.params?.hidden).toBe('5,3');
  });

  it('trains from scratch when the champion has no MLP weights, and learns', async () => {
    const base = new FunctionModel({
      name: 'uniform',
      inputWidth: WIDTH,
      classes: CLASSES,
      run: (_x, rows) => new Float32Array(rows * CLASSES).fill(1 / CLASSES),
    });
    const candidate = await createMlpTrainer({ hidden: [16], learningRate: 1e-2, epochs: 25, minSteps: 0 }).fit(
      base,
      examples,
      constraints(),
    );
    expect(candidate.report.extra?.warmStart).toBe(0);
    expect(candidate.report.extra?.klGuard).toBe(0);
    expect(String(candidate.report.params?.init)).toMatch(/^fresh \(the base has no MLP weights/);
    expect(candidate.report.params?.hidden).toBe('16');
    expect(accuracy(await candidate.model.run(x, 240), labels, CLASSES)).toBeGreaterThan(0.95);
    const loss = candidate.report.loss;
    expect(loss).toHaveLength(25);
    expect(loss[24]!).toBeLessThan(loss[0]! / 3);
  });

  it('warmStart: false trains fresh weights of `hidden` but still guards KL when the architecture matches', async () => {
    const candidate = await createMlpTrainer({ warmStart: false, hidden: [8], epochs: 2 }).fit(
      champion(),
      examples,
      constraints({ klEps: 1e-4 }),
    );
    expect(candidate.report.params?.init).toBe('fresh (warmStart off)');
    expect(candidate.report.extra?.klGuard).toBe(1);
    expect(candidate.report.kl!).toBeLessThanOrEqual(1e-4);
  });

  it('is deterministic: same seed and data → bit-identical weights; another seed → other weights', async () => {
    const trainer = createMlpTrainer({ epochs: 3, warmStart: false });
    const base = champion();
    const a = (await trainer.fit(base, examples, constraints({ seed: 5 }))).model as MlpModel;
    const b = (await trainer.fit(base, examples, constraints({ seed: 5 }))).model as MlpModel;
    const c = (await trainer.fit(base, examples, constraints({ seed: 6 }))).model as MlpModel;
    expect(bits(a.weights)).toEqual(bits(b.weights));
    expect(bits(a.weights)).not.toEqual(bits(c.weights));
  });

  it('backtracks so that KL(old‖new) ≤ klEps, as modelKl measures it', async () => {
    const base = champion();
    const klEps = 1e-3;
    const free = await createMlpTrainer({ epochs: 10, learningRate: 0.05, refitBelow: 0 }).fit(
      base,
      examples,
      constraints({ klEps: 100 }),
    );
    const freeKl = await modelKl(base, free.model, reference);
    expect(freeKl).toBeGreaterThan(klEps);
    const candidate = await createMlpTrainer({ epochs: 10, learningRate: 0.05, refitBelow: 0 }).fit(
      base,
      examples,
      constraints({ klEps }),
    );
    const kl = await modelKl(base, candidate.model, reference);
    console.log(
      `trainer KL guard: unguarded ${freeKl.toExponential(3)}, backtrack t = ${candidate.report.extra?.backtrack}, KL ${kl.toExponential(3)}`,
    );
    expect(candidate.report.extra?.backtrack).toBeLessThan(1);
    expect(candidate.report.extra?.klUnguarded).toBe(freeKl);
    expect(kl).toBe(candidate.report.kl);
    expect(kl).toBeLessThanOrEqual(klEps);
  });

  it('lowers the dissonance with the critics when λ > 0', async () => {
    const critic = new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 77 }), {
      name: 'critic',
    });
    const run = async (lambdaMax: number) =>
      createMlpTrainer({ epochs: 15, learningRate: 1e-2 }).fit(
        champion(),
        examples,
        constraints({ critics: [critic], lambdaMax, dTarget: 0 }),
      );
    const without = await run(0);
    const withTerm = await run(20);
    expect(without.report.extra?.lambda).toBe(0);
    expect(withTerm.report.extra?.lambda).toBe(20);
    expect(withTerm.report.dissonance!).toBeLessThan(without.report.dissonance! * 0.8);
  });

  it('caps λ at lambdaMax and notes the Jensen–Shannon fallback for committee detectors', async () => {
    const critic = champion(78);
    const candidate = await createMlpTrainer({ epochs: 1, lambda: 3 }).fit(
      champion(),
      examples,
      constraints({ critics: [critic], lambdaMax: 0.5, detector: committeeDetectorByName('mean-pairwise-js') }),
    );
    expect(candidate.report.extra?.lambda).toBe(0.5);
    expect(candidate.report.params).toMatchObject({
      divergence: 'jensen-shannon',
      detector: 'mean-pairwise-js',
      divergenceFallback: true,
    });
    expect(candidate.report.dissonance).toBeGreaterThan(0);
  });

  it('returns an ONNX artifact of the returned weights', async () => {
    const candidate = await createMlpTrainer({ epochs: 1, refitBelow: 0 }).fit(champion(), examples, constraints());
    expect(candidate.artifact.format).toBe('onnx');
    expect(candidate.artifact).toBe(candidate.model.artifact);
    expect(candidate.report.params).toMatchObject({
      epochs: 1,
      batchSize: 32,
      learningRate: 1e-3,
      precision: 'float32',
    });
  });

  describe('input checks', () => {
    const trainer = createMlpTrainer({ epochs: 1 });
    const bad = (change: (example: TrainingExample) => TrainingExample): TrainingExample[] => [
      examples[0]!,
      change(examples[1]!),
    ];

    it('rejects no examples with E_TRAINER', async () => {
      await expectCode(trainer.fit(champion(), [], constraints()), 'E_TRAINER');
    });

    it('rejects bad examples with E_INPUT', async () => {
      const base: LoadedModel = champion();
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, x: new Float32Array(WIDTH + 1) })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, x: new Float32Array(WIDTH).fill(Number.NaN) })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, target: { kind: 'hard', label: CLASSES } })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, target: { kind: 'hard', label: 1.5 } })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, target: { kind: 'soft', probs: new Float32Array(CLASSES - 1) } })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, target: { kind: 'soft', probs: Float32Array.from([1, -1, 0.5, 0.5]) } })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, weight: 0 })),
          constraints(),
        ),
        'E_INPUT',
      );
      await expectCode(
        trainer.fit(
          base,
          bad((e) => ({ ...e, weight: Infinity })),
          constraints(),
        ),
        'E_INPUT',
      );
    });

    it('rejects bad constraints and mismatched critics with E_INPUT', async () => {
      await expectCode(
        trainer.fit(champion(), examples, constraints({ reference: { x: new Float32Array(5), rows: 1 } })),
        'E_INPUT',
      );
      await expectCode(trainer.fit(champion(), examples, constraints({ dTarget: Number.NaN })), 'E_INPUT');
      const wide = new MlpModel(initMlp({ inputWidth: WIDTH + 1, hidden: [], classes: CLASSES, seed: 1 }), {
        name: 'wide',
      });
      await expectCode(trainer.fit(champion(), examples, constraints({ critics: [wide] })), 'E_INPUT');
    });

    it('rejects a critic returning non-finite values with E_MODEL', async () => {
      const broken = new FunctionModel({
        name: 'nan',
        inputWidth: WIDTH,
        classes: CLASSES,
        run: (_x, rows) => new Float32Array(rows * CLASSES).fill(Number.NaN),
      });
      await expectCode(trainer.fit(champion(), examples, constraints({ critics: [broken] })), 'E_MODEL');
    });
  });
});
