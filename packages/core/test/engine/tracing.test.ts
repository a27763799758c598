import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, MemoryRegistry, oracleLabels } from '../../src/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from './fixtures.js';

describe('spans per stage through @opentelemetry/api', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('emits generate, detect, reconcile, retrain, validate, register and promote spans with attributes', async () => {
    const data = blobs(5, 128);
    const registry = new MemoryRegistry();
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => data.labels[Number(r.itemId.split('-')[1])])),
      trainer: linearTrainer(),
      registry,
      tracer: provider.getTracer('test'),
      policy: { klEps: 10, maxDissonance: 1, dissonanceThreshold: 0 },
      retrain: { everyExamples: 64, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    for (const batch of batches(data.x, 128, 64)) await engine.process(batch);
    await engine.stop();
    const spans = exporter.getFinishedSpans();
    const names = new Set(spans.map((s) => s.name));
    for (const stage of ['generate', 'detect', 'reconcile', 'retrain', 'validate', 'register', 'promote']) {
      expect(names).toContain(stage);
    }
    const detect = spans.find((s) => s.name === 'detect');
    expect(detect?.attributes['dissonance.mean']).toBeTypeOf('number');
    // The last retrain promoted the champion (the stream retrains twice: the hourly bucket no longer defers it).
    const retrain = spans.filter((s) => s.name === 'retrain').at(-1);
    const validate = spans.filter((s) => s.name === 'validate').at(-1);
    expect(validate?.parentSpanContext?.spanId).toBe(retrain?.spanContext().spanId);
    const champion = await registry.resolve('blobs', 'champion');
    expect(champion.lineage.traceId).toBe(retrain?.spanContext().traceId);
  });
});
