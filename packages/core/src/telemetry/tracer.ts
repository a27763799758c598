import { SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

/** Instrumentation scope of the core package. */
export const TRACER_NAME = '@dissonance/core';

/** The tracer core uses: the global one from `@opentelemetry/api` (a no-op until the app registers an SDK). */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside an active span named `name`; records an exception and sets ERROR status when it throws.
 * With no SDK registered the span is a no-op and costs a few allocations.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The W3C trace id of the active span, when one is recording. */
export function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context !== undefined && context.traceId !== '00000000000000000000000000000000' ? context.traceId : undefined;
}
