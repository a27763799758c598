import {
  context,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { Delivery, Envelope } from '../ports/transport.js';
import { extractTraceContext, formatTraceContext, type TraceCarrier } from './trace-context.js';
import { TRACER_NAME, defaultTracer, settleSpan } from './tracer.js';

/**
 * `messaging.system` of a transport: `rabbitmq` is a semantic-conventions value; `nats`, `redis` and `memory`
 * are not in the list, so they follow its rule for other systems (the lower-case product name).
 */
export type MessagingSystem = 'rabbitmq' | 'nats' | 'redis' | 'memory' | (string & {});

/** Where a transport publishes: the messaging system and the destination (topic). */
export interface MessagingTarget {
  readonly system: MessagingSystem;
  /** The topic, used as `messaging.destination.name` and in the span name. */
  readonly destination: string;
  /** Tracer to use (default: the global tracer of `@opentelemetry/api`). */
  readonly tracer?: Tracer;
}

/** A subscription's side of {@link MessagingTarget}: adds the consumer group. */
export interface MessagingSubscription extends MessagingTarget {
  /** The consumer group, used as `messaging.consumer.group.name`. */
  readonly group: string;
}

/**
 * Whether a messaging span for `target` would be a no-op that carries nothing: no tracer named in `target`, no
 * OpenTelemetry SDK registered with the global API, and no active span. {@link tracedPublish} and
 * {@link tracedHandler} then skip the span (and its attributes) altogether.
 */
export function messagingUntraced(target: MessagingTarget): boolean {
  if (target.tracer !== undefined) return false;
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined) return false;
  return trace.getSpan(context.active()) === undefined;
}

/**
 * Publishes `envelope` inside a PRODUCER span `send <topic>` (`messaging.operation.type = send`) and injects
 * the span's W3C `traceparent`/`tracestate` into the envelope handed to `publish`. A `traceparent` already in
 * the envelope is the producer span's parent when no span is active. With no SDK registered and no active span
 * the envelope is passed on unchanged, without a span. Never throws: a failure of `publish` rejects.
 */
export function tracedPublish<P>(
  target: MessagingTarget,
  envelope: Envelope<P>,
  publish: (envelope: Envelope<P>) => Promise<void>,
): Promise<void> {
  try {
    if (typeof envelope !== 'object' || envelope === null || messagingUntraced(target)) return publish(envelope);
    return publishInSpan(target, envelope, publish);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function publishInSpan<P>(
  target: MessagingTarget,
  envelope: Envelope<P>,
  publish: (envelope: Envelope<P>) => Promise<void>,
): Promise<void> {
  const tracer = target.tracer ?? defaultTracer();
  const active = context.active();
  const parent = trace.getSpan(active) === undefined ? extractTraceContext(active, envelope as TraceCarrier) : active;
  const span = tracer.startSpan(
    `send ${target.destination}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': target.system,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        'messaging.destination.name': target.destination,
        'messaging.message.id': String(envelope.id),
      },
    },
    parent,
  );
  // Inject when the span records, or when it carries a context that came from the caller's active span.
  const carrier = span.isRecording() || parent === active ? formatTraceContext(span.spanContext()) : undefined;
  // No SDK and no context to carry: nothing to record or switch to.
  if (carrier === undefined && !span.isRecording()) return publish(envelope);
  const sent = carrier === undefined ? envelope : withCarrier(envelope, carrier);
  return settleSpan(span, () => context.with(trace.setSpan(parent, span), () => publish(sent)));
}

/**
 * Wraps a subscription handler: each delivery runs inside a CONSUMER span `process <topic>`
 * (`messaging.operation.type = process`) whose parent is the producer context extracted from the envelope's
 * `traceparent`, so the item's trace continues across the hop (a new trace when the envelope has none).
 */
export function tracedHandler<P>(
  target: MessagingSubscription,
  handler: (delivery: Delivery<P>) => Promise<void>,
): (delivery: Delivery<P>) => Promise<void> {
  const tracer = target.tracer ?? defaultTracer();
  return (delivery) => {
    const envelope = delivery.envelope;
    // No SDK, no active span and no producer context: the span would be the API's no-op.
    if (envelope.traceparent === undefined && messagingUntraced(target)) return handler(delivery);
    const parent = extractTraceContext(ROOT_CONTEXT, envelope);
    const span = tracer.startSpan(
      `process ${target.destination}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': target.system,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': target.destination,
          'messaging.consumer.group.name': target.group,
          'messaging.message.id': envelope.id,
          'dissonance.envelope.type': envelope.type,
          'dissonance.envelope.attempt': envelope.attempt,
        },
      },
      parent,
    );
    if (!span.isRecording() && span.spanContext() === INVALID_SPAN_CONTEXT) return handler(delivery);
    return settleSpan(span, () => context.with(trace.setSpan(parent, span), () => handler(delivery)));
  };
}

function withCarrier<P>(envelope: Envelope<P>, carrier: TraceCarrier): Envelope<P> {
  const { tracestate: _previous, ...rest } = envelope;
  return { ...rest, ...carrier } as Envelope<P>;
}
