import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createEnvelope, type Envelope } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTransport } from '../src/index.js';
import { adminClient, deletePrefix, REDIS_URL, uniquePrefix } from './redis-env.js';

describe('Redis Streams messaging spans (real Redis)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('publishes in a PRODUCER span whose context the CONSUMER span continues, with messaging attributes', async () => {
    const prefix = uniquePrefix();
    const producer = new RedisTransport({ url: REDIS_URL, prefix });
    const consumer = new RedisTransport({ url: REDIS_URL, prefix });
    try {
      let received: { envelope: Envelope; traceId: string | undefined } | undefined;
      await consumer.subscribe(
        'items',
        async (delivery) => {
          received = { envelope: delivery.envelope, traceId: trace.getActiveSpan()?.spanContext().traceId };
          await delivery.ack();
        },
        { group: 'g' },
      );
      const traceId = await trace.getTracer('test').startActiveSpan('generate', async (span) => {
        await producer.publish('items', createEnvelope('item', { n: 1 }, { id: 'redis-1' }));
        span.end();
        return span.spanContext().traceId;
      });
      for (let i = 0; i < 200 && received === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      const spans = exporter.getFinishedSpans();
      const send = spans.find((s) => s.name === 'send items');
      const process = spans.find((s) => s.name === 'process items');
      expect(send?.kind).toBe(SpanKind.PRODUCER);
      expect(process?.kind).toBe(SpanKind.CONSUMER);
      expect(send?.attributes).toMatchObject({
        'messaging.system': 'redis',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'items',
        'messaging.message.id': 'redis-1',
      });
      expect(process?.attributes).toMatchObject({ 'messaging.system': 'redis', 'messaging.operation.type': 'process', 'messaging.consumer.group.name': 'g' });
      expect(received?.envelope.traceparent).toBe(`00-${traceId}-${send?.spanContext().spanId}-01`);
      expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
      expect(received?.traceId).toBe(traceId);
    } finally {
      await Promise.all([producer.close(), consumer.close()]);
      const admin = adminClient();
      await deletePrefix(admin, prefix);
      await admin.quit();
    }
  });
});
