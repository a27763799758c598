import { describe, expect, it } from 'vitest';
import { createEngine, goldenAccuracy, MemoryRegistry, oracleLabels, type RetrainedEvent } from '../../src/index.js';
import { MlpModel } from '../../src/train/mlp-model.js';
import { createMlpTrainer } from '../../src/train/mlp-trainer.js';
import type { MlpWeights } from '../../src/train/mlp-weights.js';
import { batches, blobs } from '../engine/fixtures.js';

/** Logistic regression on the engine fixtures' 2-feature, 3-class blobs. */
function linear(w: number[]): MlpWeights {
  return {
    inputWidth: 2,
    classes: 3,
    layers: [{ inputs: 2, outputs: 3, weight: Float32Array.from(w), bias: new Float32Array(3), activation: 'none' }],
  };
}
const GOOD = linear([0, 2, -2, 2, -1, -1]);
const WEAK = linear([0.2, -0.3, 0.1, 0.1, 0.2, -0.3]);

describe('the mlp trainer in the engine loop', () => {
  const stream = blobs(1, 640);
  const golden = { ...blobs(2, 300), rows: 300 };

  async function run(klEps: number) {
    const ids = new Map<string, number>(Array.from({ length: 640 }, (_, i) => [`item-${i}`, i]));
    const registry = new MemoryRegistry();
    const retrained: RetrainedEvent[] = [];
    const engine = createEngine({
      modelName: 'blobs',
      proposer: new MlpModel(WEAK, { name: 'blobs' }),
      critics: [new MlpModel(GOOD, { name: 'critic' })],
      labels: oracleLabels(async (requests) => requests.map((r) => stream.labels[ids.get(r.itemId) ?? -1]), {
        budget: 400,
      }),
      trainer: createMlpTrainer({ epochs: 30, learningRate: 0.05, refitBelow: 0 }),
      registry,
      golden,
      policy: { klEps, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 60, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    engine.on('retrained', (event) => retrained.push(event));
    await engine.ready();
    for (const batch of batches(stream.x, 640, 32)) await engine.process(batch);
    await engine.stop();
    return { registry, retrained };
  }

  it('retrains warm-started candidates that improve the champion', async () => {
    const { registry, retrained } = await run(5);
    expect(retrained.length).toBeGreaterThan(0);
    const champion = await registry.resolve('blobs', 'champion');
    const before = await goldenAccuracy(new MlpModel(WEAK, { name: 'blobs' }), golden);
    expect(Number(champion.version)).toBeGreaterThan(1);
    // The engine wraps the candidate (withVersion), so the next retrain reads the weights back from its ONNX artifact.
    expect(champion.params).toMatchObject({ trainer: 'mlp', init: 'warm (onnx)' });
    expect(champion.metrics.golden_accuracy).toBeGreaterThan(before + 0.3);
  });

  it('never has a candidate rejected for KL: the guard keeps KL(old‖new) ≤ KL_eps', async () => {
    const klEps = 0.02;
    const { registry, retrained } = await run(klEps);
    expect(retrained.length).toBeGreaterThan(0);
    for (const event of retrained) {
      const version = await registry.get('blobs', event.candidate.version);
      expect(version.metrics.kl).toBeLessThanOrEqual(klEps);
      expect(version.tags.reason).not.toMatch(/KL_eps/);
    }
  });
});
