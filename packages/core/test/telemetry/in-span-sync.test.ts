import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSpanSync } from '../../src/telemetry/tracer.js';

describe('inSpanSync: a span around synchronous work', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('returns the value itself, with the span active inside and ended before it returns', () => {
    exporter.reset();
    let active: string | undefined;
    const value = inSpanSync(tracer, 'detect', { 'dissonance.batch.size': 3 }, (span) => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      expect(active).toBe(span.spanContext().spanId);
      return 42;
    });
    expect(value).toBe(42);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('detect');
    expect(span?.spanContext().spanId).toBe(active);
    expect(span?.attributes['dissonance.batch.size']).toBe(3);
    expect(trace.getActiveSpan()).toBe(undefined);
  });

  it('records a thrown error on the span, ends it and throws the same error', () => {
    exporter.reset();
    const error = new Error('bad rows');
    expect(() =>
      inSpanSync(tracer, 'detect', {}, () => {
        throw error;
      }),
    ).toThrow(error);
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad rows' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('with the no-op tracer, runs the work straight away and passes its error through', () => {
    const noop = trace.getTracer('no-sdk');
    expect(inSpanSync(noop, 'detect', {}, (span) => span.isRecording())).toBe(false);
    expect(() =>
      inSpanSync(noop, 'detect', {}, () => {
        throw new RangeError('x');
      }),
    ).toThrow(RangeError);
  });
});
