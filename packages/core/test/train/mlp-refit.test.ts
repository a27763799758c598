import { describe, expect, it } from 'vitest';
import { committeeDetectorByName } from '../../src/detect/index.js';
import type { TrainConstraints } from '../../src/ports/trainer.js';
import { modelKl } from '../../src/rollout/kl-divergence.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { initMlp } from '../../src/train/mlp-init.js';
import { BUFFER_ONLY_METADATA_KEY } from '../../src/train/fit-job.js';
import { MlpModel } from '../../src/train/mlp-model.js';
import { readOnnxMlp } from '../../src/onnx/index.js';
import { DEFAULT_MIN_STEPS, DEFAULT_REFIT_BELOW } from '../../src/train/mlp-trainer-options.js';
import { createMlpTrainer } from '../../src/train/mlp-trainer.js';
import { accuracy, blobs, hardExamples } from './fixtures.js';

const WIDTH = 6;
const CLASSES = 4;
const ROWS = 240;
const { x, labels } = blobs(11, ROWS, WIDTH, CLASSES);
const examples = hardExamples(x, labels, WIDTH);
const reference = { x: x.slice(0, 80 * WIDTH), rows: 80 };
/** Mini-batches of 32 per epoch over the examples. */
const BATCHES = Math.ceil(ROWS / 32);

function constraints(overrides: Partial<TrainConstraints> = {}): TrainConstraints {
  return {
    dTarget: 0.12,
    lambdaMax: 0,
    klEps: 100,
    critics: [],
    detector: committeeDetectorByName('jensen-shannon'),
    reference,
    seed: 1,
    ...overrides,
  };
}

/**
 * A champion of 8 hidden ReLU units whose random weights are far from the blobs' labels, marked as learnt from
 * the replay buffer only (as the built-in trainer marks its fresh fits), unless `foreign`.
 */
function champion(foreign = false): MlpModel {
  return new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 2 }), {
    name: 'blobs',
    version: '3',
    ...(foreign ? {} : { metadata: { [BUFFER_ONLY_METADATA_KEY]: 'true' } }),
  });
}

const bufferOnly = (bytes: Uint8Array): string | undefined => readOnnxMlp(bytes).metadata[BUFFER_ONLY_METADATA_KEY];

describe('createMlpTrainer: refit from fresh weights on a small buffer', () => {
  it('defaults: refit below 2,000 examples, at least 600 steps', () => {
    expect(DEFAULT_REFIT_BELOW).toBe(2_000);
    expect(DEFAULT_MIN_STEPS).toBe(600);
  });

  it('refits fresh weights of the champion’s shape for at least minSteps steps, and learns', async () => {
    const base = champion();
    const candidate = await createMlpTrainer({ epochs: 2, learningRate: 5e-3 }).fit(base, examples, constraints());
    const epochs = Math.ceil(DEFAULT_MIN_STEPS / BATCHES);
    expect(candidate.report.params?.init).toBe(`fresh (refit: ${ROWS} examples < refitBelow)`);
    expect(candidate.report.params).toMatchObject({ hidden: '8', epochs });
    expect(candidate.report.extra).toMatchObject({
      refit: 1,
      refitFallback: 0,
      warmStart: 0,
      klGuard: 1,
      backtrack: 1,
    });
    expect(candidate.report.epochs).toBe(epochs);
    expect(candidate.report.extra?.steps).toBe(epochs * BATCHES);
    expect(candidate.report.kl).toBe(candidate.report.extra?.refitKl);
    expect(accuracy(await candidate.model.run(x, ROWS), labels, CLASSES)).toBeGreaterThan(0.95);
    expect(bufferOnly(candidate.artifact.bytes)).toBe('true');
  });

  it('warm-starts a model brought from elsewhere (not marked buffer-only), and so every model tuned from it', async () => {
    const tuned = await createMlpTrainer({ epochs: 2 }).fit(champion(true), examples, constraints());
    expect(tuned.report.params?.init).toBe('warm (mlp-model)');
    expect(tuned.report.epochs).toBe(2);
    expect(bufferOnly(tuned.artifact.bytes)).toBeUndefined();
    const next = await createMlpTrainer({ epochs: 2 }).fit(tuned.model, examples, constraints());
    expect(next.report.params?.init).toMatch(/^warm /);
    expect(bufferOnly(next.artifact.bytes)).toBeUndefined();
  });

  it('is deterministic: the same seed gives bit-identical bytes, another seed other ones', async () => {
    const trainer = createMlpTrainer({ epochs: 1, minSteps: 40 });
    const a = await trainer.fit(champion(), examples, constraints({ seed: 5 }));
    const b = await trainer.fit(champion(), examples, constraints({ seed: 5 }));
    const c = await trainer.fit(champion(), examples, constraints({ seed: 6 }));
    expect(a.artifact.bytes).toEqual(b.artifact.bytes);
    expect(a.artifact.bytes).not.toEqual(c.artifact.bytes);
  });

  it('falls back to the guarded warm start when the refit’s KL(old‖new) is above klEps', async () => {
    const base = champion();
    const klEps = 1e-3;
    const candidate = await createMlpTrainer({ epochs: 3, learningRate: 5e-2, minSteps: 100 }).fit(
      base,
      examples,
      constraints({ klEps }),
    );
    expect(candidate.report.extra?.refitKl).toBeGreaterThan(klEps);
    expect(candidate.report.extra).toMatchObject({ refit: 0, refitFallback: 1, warmStart: 1, klGuard: 1 });
    expect(candidate.report.epochs).toBe(3);
    expect(candidate.report.kl!).toBeLessThanOrEqual(klEps);
    expect(await modelKl(base, candidate.model, reference)).toBeLessThanOrEqual(klEps);
  });

  it('warm-starts at refitBelow examples or more, and with refitBelow 0', async () => {
    for (const refitBelow of [ROWS, 0]) {
      const candidate = await createMlpTrainer({ epochs: 2, refitBelow }).fit(champion(), examples, constraints());
      expect(candidate.report.params?.init).toBe('warm (mlp-model)');
      expect(candidate.report.extra).toMatchObject({ refit: 0, refitFallback: 0, warmStart: 1 });
      expect(candidate.report.epochs).toBe(2);
    }
  });

  it('warm-starts a champion of an architecture initMlp does not make', async () => {
    const weights = initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed: 2 });
    // A linear hidden layer: initMlp makes ReLU ones, so a refit could not have this shape.
    const linear = {
      ...weights,
      layers: weights.layers.map((layer, l) => (l === 0 ? { ...layer, activation: 'none' as const } : layer)),
    };
    const candidate = await createMlpTrainer({ epochs: 1 }).fit(
      new MlpModel(linear, { name: 'blobs', version: '3', metadata: { [BUFFER_ONLY_METADATA_KEY]: 'true' } }),
      examples,
      constraints(),
    );
    expect(candidate.report.params?.init).toBe('warm (mlp-model)');
    expect(candidate.report.epochs).toBe(1);
  });

  it('minSteps raises the epochs of any fit from fresh weights; 0 turns it off', async () => {
    const fresh = (minSteps: number) =>
      createMlpTrainer({ epochs: 1, warmStart: false, hidden: [4], minSteps }).fit(champion(), examples, constraints());
    expect((await fresh(3 * BATCHES)).report.epochs).toBe(3);
    expect((await fresh(3 * BATCHES + 1)).report.epochs).toBe(4);
    expect((await fresh(0)).report.epochs).toBe(1);
  });

  it('rejects a bad refitBelow or minSteps with E_CONFIG', async () => {
    await expectCode(() => createMlpTrainer({ refitBelow: -1 }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ refitBelow: 1.5 }), 'E_CONFIG');
    await expectCode(() => createMlpTrainer({ minSteps: Number.NaN }), 'E_CONFIG');
  });
});
