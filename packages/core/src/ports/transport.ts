/** Version of the envelope format on the wire. */
export const ENVELOPE_VERSION = 1 as const;

/**
 * What travels on a queue: a versioned envelope. `id` makes handlers idempotent; `attempt` counts deliveries
 * (1 on first delivery); `traceparent`/`tracestate` carry the W3C trace context across the hop.
 */
export interface Envelope<P = unknown> {
  readonly v: typeof ENVELOPE_VERSION;
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  /** ISO-8601 time of first publication. */
  readonly createdAt: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly payload: P;
}

/** Envelope type of a dead-lettered message; its payload is a {@link DeadLetter}. */
export const DEAD_LETTER_TYPE = 'dead-letter' as const;

/**
 * A delivered envelope with its settlement calls. Settle once: a second settlement is ignored, and a
 * handler that resolves without settling is treated as `ack()`.
 */
export interface Delivery<P = unknown> {
  readonly envelope: Envelope<P>;
  /** The effect is durable: do not deliver again. */
  ack(): Promise<void>;
  /**
   * Processing failed: deliver again after `delayMs` (attempt + 1), or dead-letter once `maxAttempts`
   * is reached, recording `error`.
   */
  nack(options?: { delayMs?: number; error?: string }): Promise<void>;
}

/** Options of {@link Transport.subscribe}. */
export interface SubscribeOptions {
  /** Consumer group: subscribers of one group share the messages; different groups each get all. */
  readonly group: string;
  /** Most deliveries in flight (unsettled) at once for this subscriber: backpressure. Default 16. */
  readonly prefetch?: number;
  /** Deliveries before a message goes to the dead-letter topic. Default 5. */
  readonly maxAttempts?: number;
  /** Dead-letter topic; default `<topic>.dlq`. */
  readonly deadLetterTopic?: string;
}

/** A dead-lettered message, published to the dead-letter topic as an envelope of type `dead-letter`. */
export interface DeadLetter<P = unknown> {
  readonly envelope: Envelope<P>;
  readonly error: string;
  readonly topic: string;
}

/** A live subscription. */
export interface Subscription {
  /** Stops new deliveries and waits for in-flight handlers to settle. */
  close(): Promise<void>;
}

/**
 * Publish/subscribe with at-least-once delivery, ack/nack with retry delay, dead-lettering and bounded
 * in-flight work. A handler that throws is treated as `nack()` with the error.
 */
export interface Transport {
  readonly name: string;
  /** Publishes an envelope; resolves once the broker has accepted it (durably, where it can). */
  publish<P>(topic: string, envelope: Envelope<P>): Promise<void>;
  /** Delivers envelopes of `topic` to `handler`. */
  subscribe<P>(
    topic: string,
    handler: (delivery: Delivery<P>) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  /** Cheap reachability check for health reports. */
  ping(): Promise<void>;
  /** Drains subscriptions and releases connections. */
  close(): Promise<void>;
}
