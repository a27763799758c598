import {
  createTraceState,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/** W3C trace-context fields as they travel in an envelope. */
export interface TraceCarrier {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The W3C `traceparent` (and `tracestate`) of `spanContext`, or `undefined` for an invalid (no-op) context.
 * Implemented here rather than through the global propagator, which stays a no-op until an SDK registers one:
 * the envelope carries the context whenever a span context exists, whatever the app registered.
 */
export function formatTraceContext(spanContext: SpanContext): TraceCarrier | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const tracestate = spanContext.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}

/**
 * The remote span context a W3C `traceparent` names, or `undefined` when it is absent or malformed (version
 * `ff`, all-zero ids), as the W3C parsing rules ask.
 */
export function parseTraceparent(carrier: TraceCarrier): SpanContext | undefined {
  // Unchecked input (an envelope before validation): anything but a string is no trace context.
  const match = typeof carrier.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (match === null) return undefined;
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(typeof carrier.tracestate === 'string' ? { traceState: createTraceState(carrier.tracestate) } : {}),
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** `base` with the remote parent named by `carrier`, or `base` unchanged when there is none. */
export function extractTraceContext(base: Context, carrier: TraceCarrier): Context {
  const spanContext = parseTraceparent(carrier);
  return spanContext === undefined ? base : trace.setSpanContext(base, spanContext);
}
