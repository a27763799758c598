import { describe, expect, it } from 'vitest';
import { createEngine, DissonanceError, MemoryRegistry, oracleLabels, type ModelRegistry } from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from './fixtures.js';

/** A MemoryRegistry whose register() fails like an unreachable server while `down` is set. */
function flakyRegistry() {
  const inner = new MemoryRegistry();
  const state = { down: false, refused: 0 };
  const registry: ModelRegistry = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'register') {
        return (...args: Parameters<ModelRegistry['register']>) => {
          if (state.down) {
            state.refused++;
            return Promise.reject(new DissonanceError('E_REGISTRY_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:5001'));
          }
          return target.register(...args);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { registry, state };
}

describe('registry down during a retrain', () => {
  it('keeps serving the champion, keeps the validated candidate, and registers it once the registry returns', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { registry, state } = flakyRegistry();
    const data = blobs(7, 256);
    const golden = blobs(8, 200);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => data.labels[Number(r.itemId.split('-')[1])])),
      trainer: linearTrainer(),
      registry,
      clock,
      golden: { x: golden.x, rows: 200, labels: golden.labels },
      policy: { klEps: 10, maxDissonance: 1, dissonanceThreshold: 0, dBudgetPerHour: 1e6 },
      retrain: { everyExamples: 64, mode: 'inline', registryRetryMs: 1_000 },
      rollout: { canaryFraction: 0 },
    });
    const errors: string[] = [];
    const promoted: string[] = [];
    engine.on('error', (e) => errors.push(e.error.code));
    engine.on('promoted', (e) => promoted.push(e.version));
    await engine.ready();

    state.down = true;
    for (const batch of batches(data.x, 128, 32)) await engine.process(batch);
    expect(state.refused).toBeGreaterThanOrEqual(1);
    expect(errors).toContain('E_REGISTRY_UNAVAILABLE');
    expect(engine.championVersion).toBe('1');
    // Serving goes on, and no example is lost.
    for (const batch of batches(data.x.subarray(256), 64, 32, 2, 'later')) await engine.process(batch);
    expect(engine.counters).toMatchObject({ accepted: 192, processed: 192, failed: 0 });
    expect(await engine.store.countExamples()).toBe(192);
    expect(promoted).toEqual([]);

    state.down = false;
    clock.advance(1_000);
    await engine.drained();
    expect(promoted).toEqual(['2']);
    expect(engine.championVersion).toBe('2');
    const v2 = await registry.get('blobs', '2');
    expect(v2.lineage.parent).toBe('1');
    expect(v2.tags.decision).toBe('accepted');
    await engine.stop();
  });
});
