import type { Subscription, Transport } from '../../packages/core/src/index.js';
import { preEncodedEnvelope, sdkEnvelope, sdkReceive, type Workload } from './batch-data.js';
import { Arrivals, publishWindowed, type Hop } from './hop.js';

/** Settings of one measured hop. */
export interface HopSettings {
  readonly workload: Workload;
  /** Unsettled deliveries per subscriber. */
  readonly prefetch: number;
  /** Unconfirmed publishes at once. */
  readonly window: number;
  readonly timeoutMs: number;
}

/** What the SDK hop does besides the transport: the batch codec (`full`) or nothing (`transport`). */
export type SdkMode = 'full' | 'transport';

/**
 * The SDK hop: `publisher.publish(topic, createEnvelope('dissonance.batch', encodeBatch(batch)))` with up to
 * `window` publishes in flight, into a subscriber of group `group` (`prefetch` unsettled) on `consumer` that
 * decodes each batch with `decodeBatch` and acks it. Publisher and consumer are separate transports (separate
 * connections), as they would be in two processes; for `memory` they are the same object.
 * With `mode` `transport` the payload is encoded ahead of time and the consumer does not decode it: what is
 * left is the transport itself (envelope creation and validation, the wire frame, the adapter, the broker).
 */
export async function sdkHop(
  publisher: Transport,
  consumer: Transport,
  topic: string,
  group: string,
  settings: HopSettings,
  mode: SdkMode = 'full',
): Promise<Hop> {
  const { workload, prefetch, window } = settings;
  const envelopeOf = mode === 'full' ? sdkEnvelope : preEncodedEnvelope;
  const arrivals = new Arrivals(settings.timeoutMs);
  const subscription: Subscription = await consumer.subscribe(
    topic,
    async (delivery) => {
      try {
        if (mode === 'full') sdkReceive(workload, delivery.envelope);
      } catch (error) {
        arrivals.fail(error as Error);
        throw error;
      }
      await delivery.ack();
      arrivals.arrive();
    },
    { group, prefetch },
  );
  return {
    async run(messages) {
      const done = arrivals.expect(messages);
      await Promise.all([
        done,
        publishWindowed(messages, window, (i) => publisher.publish(topic, envelopeOf(workload, i))),
      ]);
    },
    async close() {
      await subscription.close();
    },
  };
}
