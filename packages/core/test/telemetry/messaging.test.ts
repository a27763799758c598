import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTransport, type Envelope } from '../../src/index.js';
import { createEnvelope } from '../../src/adapter-kit/index.js';

/** Publishes one envelope and resolves with what the subscriber received, inside its handler's span. */
async function hop(
  transport: MemoryTransport,
  envelope: Envelope,
): Promise<{ received: Envelope; activeTraceId: string | undefined }> {
  return new Promise((resolve, reject) => {
    void transport
      .subscribe(
        'items',
        async (delivery) => {
          resolve({ received: delivery.envelope, activeTraceId: trace.getActiveSpan()?.spanContext().traceId });
          await delivery.ack();
        },
        { group: 'detect' },
      )
      .then(() => transport.publish('items', envelope))
      .catch(reject);
  });
}

describe('messaging spans through the memory transport, no SDK registered', () => {
  it('passes the envelope on unchanged and emits nothing', async () => {
    const transport = new MemoryTransport();
    const envelope = createEnvelope('item', { n: 1 }, { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });
    const { received } = await hop(transport, envelope);
    expect(received).toEqual(envelope);
    const plain = createEnvelope('item', { n: 2 });
    const second = new MemoryTransport();
    expect((await hop(second, plain)).received).toEqual(plain);
    await Promise.all([transport.close(), second.close()]);
  });
});

describe('messaging spans through the memory transport, SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterEach(() => exporter.reset());
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('injects the producer span into traceparent; the consumer span is its child with messaging attributes', async () => {
    const transport = new MemoryTransport();
    const tracer = provider.getTracer('test');
    const envelope = createEnvelope('item', { n: 1 }, { id: 'env-1' });
    const { received, activeTraceId } = await tracer.startActiveSpan('generate', async (span) => {
      try {
        return await hop(transport, envelope);
      } finally {
        span.end();
      }
    });
    await transport.close();
    const spans = exporter.getFinishedSpans();
    const generate = spans.find((s) => s.name === 'generate');
    const send = spans.find((s) => s.name === 'send items');
    const process = spans.find((s) => s.name === 'process items');
    expect(generate && send && process).toBeTruthy();
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(send?.parentSpanContext?.spanId).toBe(generate?.spanContext().spanId);
    expect(send?.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'items',
      'messaging.message.id': 'env-1',
    });
    expect(received.traceparent).toBe(`00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`);
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(process?.spanContext().traceId).toBe(generate?.spanContext().traceId);
    expect(process?.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'detect',
      'messaging.message.id': 'env-1',
    });
    expect(activeTraceId).toBe(generate?.spanContext().traceId);
  });

  it('continues a trace named only by the envelope when no span is active', async () => {
    const transport = new MemoryTransport();
    const traceId = 'c'.repeat(32);
    const envelope = createEnvelope('item', null, { traceparent: `00-${traceId}-${'d'.repeat(16)}-01` });
    const { received } = await hop(transport, envelope);
    await transport.close();
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send items');
    expect(send?.spanContext().traceId).toBe(traceId);
    expect(send?.parentSpanContext?.spanId).toBe('d'.repeat(16));
    expect(received.traceparent).toBe(`00-${traceId}-${send?.spanContext().spanId}-01`);
  });

  it('still rejects an invalid envelope with E_ENVELOPE, recording it on the producer span', async () => {
    const transport = new MemoryTransport();
    const bad = { v: 1, id: 'x', traceparent: 7, tracestate: { a: 1 } } as unknown as Envelope;
    await expect(transport.publish('items', bad)).rejects.toMatchObject({ code: 'E_ENVELOPE' });
    await expect(transport.publish('items', null as unknown as Envelope)).rejects.toMatchObject({ code: 'E_ENVELOPE' });
    await transport.close();
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send items');
    expect(send?.status.code).toBe(2);
  });

  it('records a throwing handler as an error on the consumer span', async () => {
    const transport = new MemoryTransport();
    const failed = new Promise<void>((resolve) => {
      void transport.subscribe(
        'items',
        async () => {
          resolve();
          throw new Error('boom');
        },
        { group: 'g', maxAttempts: 1 },
      );
    });
    await transport.publish('items', createEnvelope('item', null));
    await failed;
    await transport.close();
    const process = exporter.getFinishedSpans().find((s) => s.name === 'process items');
    expect(process?.status.code).toBe(2);
    expect(process?.events.some((e) => e.name === 'exception')).toBe(true);
  });
});
