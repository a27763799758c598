import type { Envelope, Transport } from '../ports/transport.js';
import { createEnvelope } from '../schema/envelope.js';
import { randomId } from '../util/ids.js';

/** A fresh topic name of the suite. */
export function topicName(): string {
  return `contract.${randomId()}`;
}

/** A fresh consumer group name of the suite. */
export function groupName(): string {
  return `group-${randomId()}`;
}

/** A small envelope of the suite. */
export function item(n: number): Envelope<{ n: number }> {
  return createEnvelope('contract.item', { n });
}

/** Subscribes a fresh group to `topic` that acks and keeps every envelope (a dead-letter topic's reader). */
export async function collectEnvelopes(transport: Transport, topic: string): Promise<Envelope[]> {
  const seen: Envelope[] = [];
  await transport.subscribe(
    topic,
    async (d) => {
      seen.push(d.envelope);
      await d.ack();
    },
    { group: groupName() },
  );
  return seen;
}
