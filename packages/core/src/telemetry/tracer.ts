import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** Instrumentation scope of the core package. */
export const TRACER_NAME = '@dissonance/core';

/** The tracer core uses: the global one from `@opentelemetry/api` (a no-op until the app registers an SDK). */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside an active span named `name`; records an exception and sets ERROR status when it throws.
 * `root` starts a new trace; `links` point at other spans (a retrain's examples). With no SDK registered and
 * no trace context to carry, the span is the API's non-recording no-op and `fn` runs straight away: no context
 * switch, no wrapper.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { readonly root?: boolean; readonly links?: Link[] } = {},
): Promise<T> {
  const spanOptions =
    options.root === true || options.links !== undefined ? { attributes, ...options } : { attributes };
  const parent = context.active();
  const span = tracer.startSpan(name, spanOptions, parent);
  const spanContext = span.spanContext();
  // The API's no-op hands out the shared invalid context: an identity check, no id parsing.
  if (!span.isRecording() && (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext))) {
    try {
      return fn(span);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  return context.with(trace.setSpan(parent, span), () => settleSpan(span, fn));
}

/**
 * {@link inSpan} for synchronous work: `fn`'s value is returned as it is, with no promise and no tick, and the
 * span ends before this returns.
 */
export function inSpanSync<T>(tracer: Tracer, name: string, attributes: Attributes, fn: (span: Span) => T): T {
  const parent = context.active();
  const span = tracer.startSpan(name, { attributes }, parent);
  const spanContext = span.spanContext();
  if (!span.isRecording() && (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext)))
    return fn(span);
  return context.with(trace.setSpan(parent, span), () => {
    try {
      return fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Records `error` on `span`: the exception and an ERROR status. */
function recordError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `fn` in `span`, records a thrown error on it (exception and ERROR status), and ends it. */
export async function settleSpan<T>(span: Span, fn: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await fn(span);
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The W3C trace id of the active span, when one is recording. */
export function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context !== undefined && context.traceId !== '00000000000000000000000000000000' ? context.traceId : undefined;
}
