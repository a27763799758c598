import { randomId } from '@dissonance/core';
import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { exclusiveLock } from '../../../../test/support/exclusive-lock.js';
import { coalesceWrites } from '../src/write-coalescer.js';
import { BROKER_URL, RABBITMQ_DISRUPTION_LOCK } from './broker.js';
import { countWrites, type CountedSocket } from '../../../../test/support/count-writes.js';

describe('coalesceWrites (AMQP)', () => {
  it('sends the frames of a burst of publishes in one writev instead of one write per frame, losing none', async () => {
    // Its connection must stay up for the counts to mean anything.
    const release = await exclusiveLock(RABBITMQ_DISRUPTION_LOCK);
    const model = await connect(BROKER_URL);
    try {
      const channel = await model.createConfirmChannel();
      const queue = `dissonance-test-${randomId()}.coalesce`;
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      // Where amqplib keeps its socket (not in its types): an upgrade that moves it fails here, not silently.
      const socket = (model.connection as { stream?: CountedSocket }).stream;
      expect(typeof socket?.cork).toBe('function');
      const counts = countWrites(socket!);

      for (let i = 0; i < 10; i++) channel.sendToQueue(queue, Buffer.from(`plain ${i}`));
      await channel.waitForConfirms();
      const plain = { ...counts };
      expect(plain.write).toBeGreaterThanOrEqual(10);

      for (let i = 0; i < 10; i++) {
        channel.sendToQueue(queue, Buffer.from(`coalesced ${i}`));
        coalesceWrites(model.connection);
      }
      await channel.waitForConfirms();
      expect(counts.writev - plain.writev).toBe(1);
      expect(counts.write - plain.write).toBe(0);

      const { messageCount } = await channel.checkQueue(queue);
      expect(messageCount).toBe(20);
      await channel.deleteQueue(queue);
      await channel.close();
    } finally {
      await model.close();
      release();
    }
  });

  it('does nothing for a connection whose socket it cannot find', () => {
    expect(() => coalesceWrites({} as Parameters<typeof coalesceWrites>[0])).not.toThrow();
  });
});
