import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Envelope, Transport } from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What {@link messagingSpansSuite} needs of one transport adapter. */
export interface MessagingSpansTarget {
  /** Suite title, e.g. `NATS messaging spans (real JetStream)`. */
  readonly title: string;
  /** Expected `messaging.system`. */
  readonly system: string;
  /** A new transport on a fresh topic prefix; called twice per test (producer, consumer). */
  readonly open: (prefix: string) => Promise<Transport>;
  readonly uniquePrefix: () => string;
  /** Removes what the test left on the broker under `prefix`. */
  readonly cleanUp: (prefix: string) => Promise<void>;
}

/**
 * The adapter publishes in a PRODUCER span whose W3C context travels in the envelope and is continued by the
 * CONSUMER span, both with the messaging semantic-convention attributes (with a real SDK registered).
 */
export function messagingSpansSuite(target: MessagingSpansTarget): void {
  describe(target.title, () => {
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
      const prefix = target.uniquePrefix();
      const id = `${target.system}-1`;
      const producer = await target.open(prefix);
      const consumer = await target.open(prefix);
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
          await producer.publish('items', createEnvelope('item', { n: 1 }, { id }));
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
          'messaging.system': target.system,
          'messaging.operation.type': 'send',
          'messaging.destination.name': 'items',
          'messaging.message.id': id,
        });
        expect(process?.attributes).toMatchObject({
          'messaging.system': target.system,
          'messaging.operation.type': 'process',
          'messaging.consumer.group.name': 'g',
        });
        expect(received?.envelope.traceparent).toBe(`00-${traceId}-${send?.spanContext().spanId}-01`);
        expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
        expect(received?.traceId).toBe(traceId);
      } finally {
        await Promise.all([producer.close(), consumer.close()]);
        await target.cleanUp(prefix);
      }
    });
  });
}
