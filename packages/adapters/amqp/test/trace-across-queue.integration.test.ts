import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  oracleLabels,
  randomId,
  type LoadedModel,
  type Trainer,
} from '@dissonance/core';
import { createEnvelope, MAX_LINEAGE_LINKS } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import { createAmqpTransport } from '../src/index.js';
import { BROKER_URL, purgePrefix } from './broker.js';

/** What side A puts on the queue for one item: its features and what the proposer answered. */
interface ProposedItem {
  readonly itemId: string;
  readonly x: number[];
  readonly probabilities: number[];
  readonly version: string;
}

/** Two classes from the sign of x0 − x1, sharp (`scale` large) or vague. */
function model(name: string, scale: number, version = '0'): LoadedModel {
  return new FunctionModel({
    name,
    version,
    inputWidth: 2,
    classes: 2,
    run: (x, rows) => {
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const p = 1 / (1 + Math.exp(-scale * ((x[r * 2] ?? 0) - (x[r * 2 + 1] ?? 0))));
        out[r * 2] = p;
        out[r * 2 + 1] = 1 - p;
      }
      return out;
    },
  });
}

/** A trainer that returns a sharper copy of the base: enough for a register and a promote. */
const sharpen: Trainer = {
  name: 'sharpen',
  fit: async (base) => {
    const candidate = model(base.name, 6, 'candidate');
    return {
      model: candidate,
      artifact: { format: 'opaque', bytes: new TextEncoder().encode(`sharpen-${randomId()}`) },
      report: { loss: [] },
    };
  },
};

describe('one trace per item across a real RabbitMQ hop (two sides, two connections, one process)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('generate → send → process → detect → reconcile share the item trace; the retrain links to them; the manifest holds its trace id', async () => {
    const prefix = `dtrace-${randomId()}`;
    const sideA = await createAmqpTransport({ url: BROKER_URL, prefix });
    const sideB = await createAmqpTransport({ url: BROKER_URL, prefix });
    const proposer = model('items', 1);
    const registry = new MemoryRegistry();
    const engine = createEngine({
      modelName: 'items',
      proposer,
      critics: [model('critic', 8)],
      labels: oracleLabels(async (requests) => requests.map((r) => ((r.x[0] ?? 0) > (r.x[1] ?? 0) ? 0 : 1))),
      trainer: sharpen,
      registry,
      policy: { klEps: 10, maxDissonance: 1, dissonanceThreshold: 0, dBudgetPerHour: 10_000 },
      retrain: { everyExamples: 12, minExamples: 1, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    try {
      await engine.ready();
      // Side B: consume, then detect + reconcile on what side A's proposer answered.
      let handled = 0;
      await sideB.subscribe<ProposedItem>(
        'proposed',
        async (delivery) => {
          const item = delivery.envelope.payload;
          await engine.process(
            { x: Float32Array.from(item.x), rows: 1, ids: [item.itemId] },
            { proposed: { probabilities: Float32Array.from(item.probabilities), versions: [item.version] } },
          );
          handled++;
          await delivery.ack();
        },
        { group: 'detect', prefetch: 1 },
      );
      // Side A: generate (one span per item) and publish inside it.
      const tracer = trace.getTracer('side-a');
      const itemTraces = new Map<string, string>();
      for (let i = 0; i < 12; i++) {
        const x = Float32Array.of(Math.sin(i), Math.cos(i));
        const itemId = `item-${i}`;
        await tracer.startActiveSpan('generate', { attributes: { 'dissonance.batch.size': 1 } }, async (span) => {
          itemTraces.set(itemId, span.spanContext().traceId);
          const probabilities = await proposer.run(x, 1);
          const payload: ProposedItem = {
            itemId,
            x: [...x],
            probabilities: [...probabilities],
            version: proposer.version,
          };
          await sideA.publish('proposed', createEnvelope('proposed', payload, { id: `env-${itemId}` }));
          span.end();
        });
      }
      await waitFor(() => handled === 12, 20_000, 'side B to handle 12 items');
      await engine.stop();

      const spans = exporter.getFinishedSpans();
      const byTrace = (traceId: string): ReadableSpan[] => spans.filter((s) => s.spanContext().traceId === traceId);
      for (const [itemId, traceId] of itemTraces) {
        const own = byTrace(traceId);
        const one = (name: string): ReadableSpan => {
          const found = own.filter((s) => s.name === name);
          expect(found, `${name} in the trace of ${itemId}`).toHaveLength(1);
          return found[0] as ReadableSpan;
        };
        const generate = one('generate');
        const send = one('send proposed');
        const process = one('process proposed');
        const detect = one('detect');
        const reconcile = one('reconcile');
        expect(generate.parentSpanContext).toBe(undefined);
        expect(send.kind).toBe(SpanKind.PRODUCER);
        expect(send.parentSpanContext?.spanId).toBe(generate.spanContext().spanId);
        expect(process.kind).toBe(SpanKind.CONSUMER);
        expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
        expect(process.parentSpanContext?.isRemote).toBe(true);
        expect(detect.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
        expect(reconcile.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
        for (const [span, operation] of [
          [send, 'send'],
          [process, 'process'],
        ] as const) {
          expect(span.attributes).toMatchObject({
            'messaging.system': 'rabbitmq',
            'messaging.destination.name': 'proposed',
            'messaging.operation.type': operation,
            'messaging.message.id': `env-${itemId}`,
          });
        }
        expect(process.attributes['messaging.consumer.group.name']).toBe('detect');
        expect(detect.attributes['dissonance.mean']).toBeTypeOf('number');
        expect(reconcile.attributes['dissonance.reconcile.examples']).toBe(1);
      }

      const retrain = spans.find((s) => s.name === 'retrain');
      expect(retrain).toBeDefined();
      expect(retrain?.parentSpanContext).toBe(undefined);
      const linked = new Set(retrain?.links.map((l) => l.context.traceId));
      expect(retrain?.links.length).toBe(Math.min(12, MAX_LINEAGE_LINKS));
      expect(linked).toEqual(new Set(itemTraces.values()));
      for (const link of retrain?.links ?? []) {
        const target = spans.find((s) => s.spanContext().spanId === link.context.spanId);
        expect(target?.name).toBe('reconcile');
      }
      const champion = await registry.resolve('items', 'champion');
      expect(champion.tags.decision).toBe('accepted');
      expect(champion.lineage.traceId).toBe(retrain?.spanContext().traceId);
    } finally {
      await engine.stop();
      await Promise.all([sideA.close(), sideB.close()]);
      await purgePrefix(prefix);
    }
  });
});
