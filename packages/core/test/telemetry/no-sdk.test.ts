import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createEngine, MemoryRegistry, MemoryStore, oracleLabels } from '../../src/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from '../engine/fixtures.js';

describe('with no OpenTelemetry SDK registered', () => {
  it('emits nothing: no active span inside stages, no trace ids in examples or lineage', async () => {
    const data = blobs(3, 128);
    const registry = new MemoryRegistry();
    const store = new MemoryStore();
    const seen: (string | undefined)[] = [];
    const engine = createEngine({
      modelName: 'quiet',
      proposer: linearModel('quiet', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => {
        seen.push(trace.getActiveSpan()?.spanContext().traceId);
        return requests.map((r) => data.labels[Number(r.itemId.split('-')[1])] ?? 0);
      }),
      trainer: linearTrainer(),
      registry,
      store,
      policy: { klEps: 10, maxDissonance: 1, dissonanceThreshold: 0 },
      retrain: { everyExamples: 64, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    for (const batch of batches(data.x, 128, 32)) await engine.process(batch);
    await engine.stop();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((id) => id === undefined)).toBe(true);
    const examples = await store.examples();
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      expect(example.provenance.traceId).toBe(undefined);
      expect(example.provenance.spanId).toBe(undefined);
    }
    const champion = await registry.resolve('quiet', 'champion');
    expect(champion.version).not.toBe('1');
    expect(champion.lineage.traceId).toBe(undefined);
  });
});
