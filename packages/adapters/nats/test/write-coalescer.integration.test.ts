import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { exclusiveLock } from '../../../../test/support/exclusive-lock.js';
import { coalesceWrites } from '../src/write-coalescer.js';
import { SERVERS, uniquePrefix } from './nats-fixture.js';
import { NATS_DISRUPTION_LOCK } from './nats-server-control.js';
import { countWrites, type CountedSocket } from '../../../../test/support/count-writes.js';

/** Publishes `count` messages, each in its own turn of the event loop (as replies arriving one by one do). */
async function publishApart(nc: NatsConnection, subject: string, count: number, coalesce: boolean): Promise<void> {
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        nc.publish(subject, `m${i}`);
        if (coalesce) coalesceWrites(nc);
        resolve();
      }, 0),
    );
  }
}

describe('coalesceWrites (NATS)', () => {
  it('sends what nats.js flushes within one loop iteration in one writev, losing nothing', async () => {
    // Its connection must stay up for the counts to mean anything.
    const release = await exclusiveLock(NATS_DISRUPTION_LOCK);
    const nc = await connect({ servers: SERVERS });
    const subject = `${uniquePrefix()}.coalesce`;
    try {
      const received: string[] = [];
      const sub = nc.subscribe(subject, { callback: (_error, msg) => void received.push(msg.string()) });
      await nc.flush();
      // Where nats.js keeps its socket (not in its types): an upgrade that moves it fails here, not silently.
      const socket = (nc as unknown as { protocol: { transport: { socket?: CountedSocket } } }).protocol.transport
        .socket;
      expect(typeof socket?.cork).toBe('function');
      const counts = countWrites(socket!);

      // nats.js writes once per microtask flush: messages of separate callbacks go out one write each…
      await publishApart(nc, subject, 10, false);
      await nc.flush();
      const plain = { ...counts };
      expect(plain.write).toBeGreaterThanOrEqual(10);

      // …and with the socket corked until the check phase, the flushes of one iteration's callbacks leave together.
      await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                nc.publish(subject, `c${i}`);
                coalesceWrites(nc);
                resolve();
              }, 1),
            ),
        ),
      );
      await nc.flush();
      expect(counts.write - plain.write).toBeLessThanOrEqual(2);
      expect(counts.writev - plain.writev).toBeGreaterThanOrEqual(1);
      await nc.flush();
      expect(received).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `m${i}`),
        ...Array.from({ length: 10 }, (_, i) => `c${i}`),
      ]);
      sub.unsubscribe();
    } finally {
      await nc.close();
      release();
    }
  });

  it('does nothing for a connection whose socket it cannot find', () => {
    expect(() => coalesceWrites({} as NatsConnection)).not.toThrow();
  });
});
