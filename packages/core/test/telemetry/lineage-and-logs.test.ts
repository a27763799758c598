import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  MemoryRegistry,
  oracleLabels,
  silentLogger,
  type LogFields,
  type Logger,
} from '../../src/index.js';
import { MAX_LINEAGE_LINKS } from '../../src/adapter-kit/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from '../engine/fixtures.js';

function recordingLogger(): Logger & { lines: { level: string; fields: LogFields; message: string | undefined }[] } {
  const lines: { level: string; fields: LogFields; message: string | undefined }[] = [];
  const at = (level: string) => (fields: LogFields, message?: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('lineage: a retrain span links to the traces of its examples', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('starts its own trace, links (bounded) to the reconcile spans, and the registered version records it', async () => {
    const data = blobs(11, 512);
    const registry = new MemoryRegistry();
    const logger = recordingLogger();
    const engine = createEngine({
      modelName: 'lineage',
      proposer: linearModel('lineage', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => data.labels[Number(r.itemId.split('-')[1])] ?? 0)),
      trainer: linearTrainer(),
      registry,
      logger,
      tracer: provider.getTracer('test'),
      policy: { klEps: 10, maxDissonance: 1, dissonanceThreshold: 0, dBudgetPerHour: 10_000 },
      // One example per batch of one row: more distinct example traces than the link bound.
      retrain: { everyExamples: MAX_LINEAGE_LINKS + 8, mode: 'inline', maxExamples: 5000 },
      rollout: { canaryFraction: 0 },
    });
    for (const batch of batches(data.x, MAX_LINEAGE_LINKS + 8, 1)) await engine.process(batch);
    await engine.stop();
    const spans = exporter.getFinishedSpans();
    const retrain = spans.find((s) => s.name === 'retrain');
    expect(retrain).toBeDefined();
    expect(retrain?.parentSpanContext).toBe(undefined);
    const reconciles = new Map(
      spans.filter((s) => s.name === 'reconcile').map((s) => [s.spanContext().spanId, s.spanContext().traceId]),
    );
    expect(retrain?.links.length).toBe(MAX_LINEAGE_LINKS);
    const linkedTraces = new Set<string>();
    for (const link of retrain?.links ?? []) {
      expect(reconciles.get(link.context.spanId)).toBe(link.context.traceId);
      expect(link.context.traceId).not.toBe(retrain?.spanContext().traceId);
      linkedTraces.add(link.context.traceId);
    }
    expect(linkedTraces.size).toBe(MAX_LINEAGE_LINKS);
    const champion = await registry.resolve('lineage', 'champion');
    expect(champion.lineage.traceId).toBe(retrain?.spanContext().traceId);
    const register = spans.find((s) => s.name === 'register');
    expect(register?.attributes['dissonance.model.version']).toBe(champion.version);

    const retrained = logger.lines.find((l) => l.message?.startsWith('retrained'));
    expect(retrained?.level).toBe('info');
    expect(retrained?.fields).toMatchObject({ candidate: champion.version, decision: 'promote' });
    expect(logger.lines.some((l) => l.level === 'info' && l.message === `promoted version ${champion.version}`)).toBe(
      true,
    );
  });

  it('logs nothing by default and rejects a logger without the four methods', () => {
    expect(() => silentLogger.error({ a: 1 }, 'dropped')).not.toThrow();
    expect(() =>
      createEngine({
        proposer: linearModel('x', WEAK_WEIGHTS),
        critics: [linearModel('q', GOOD_WEIGHTS)],
        logger: { info: () => undefined } as unknown as Logger,
      }),
    ).toThrow(/logger: expected a Logger/);
  });
});
