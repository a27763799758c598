import type { DedupStore } from '../ports/dedup-store.js';
import type { Delivery } from '../ports/transport.js';

/** Options of {@link idempotent}. */
export interface IdempotentOptions {
  /** How long an id is remembered after its effect (default 24 h). */
  readonly ttlMs?: number;
}

/**
 * Wraps a transport handler so that an envelope whose id already had its effect is acked without running the
 * handler again (at-least-once delivery made effectively-once). The id is marked only after the handler
 * resolved — its effect durable — and before the ack; a crash between the two means a redelivery that is
 * then skipped. A handler that throws is not marked, so the retry runs it again.
 */
export function idempotent<P>(
  store: DedupStore,
  handler: (delivery: Delivery<P>) => Promise<void>,
  options: IdempotentOptions = {},
): (delivery: Delivery<P>) => Promise<void> {
  const ttlMs = options.ttlMs ?? 86_400_000;
  return async (delivery) => {
    const id = delivery.envelope.id;
    if (await store.has(id)) {
      await delivery.ack();
      return;
    }
    let settled: 'ack' | 'nack' | undefined;
    const tracked: Delivery<P> = {
      envelope: delivery.envelope,
      ack: async () => {
        settled ??= 'ack';
      },
      nack: async (nackOptions) => {
        settled ??= 'nack';
        await delivery.nack(nackOptions);
      },
    };
    await handler(tracked);
    if (settled === 'nack') return;
    await store.mark(id, ttlMs);
    await delivery.ack();
  };
}
