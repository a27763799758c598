import { describe, expect, it } from 'vitest';
import { idempotent, MemoryDedupStore, MemoryTransport } from '../../src/index.js';
import { createEnvelope } from '../../src/adapter-kit/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { waitFor } from '../../src/testing/index.js';

describe('idempotent handlers over at-least-once delivery', () => {
  it('runs the effect once per envelope id, across duplicates and a failed first attempt', async () => {
    const transport = new MemoryTransport();
    const store = new MemoryDedupStore();
    const effects: string[] = [];
    let failOnce = true;
    await transport.subscribe<{ n: number }>(
      'work',
      idempotent(store, async (delivery) => {
        if (delivery.envelope.payload.n === 2 && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        effects.push(delivery.envelope.id);
      }),
      { group: 'g', maxAttempts: 3 },
    );
    const envelopes = [1, 2, 3].map((n) => createEnvelope('job', { n }, { id: `job-${n}` }));
    for (const e of envelopes) await transport.publish('work', e);
    // Duplicates of every message (a publisher retry, a redelivery after a crash before the ack).
    for (const e of envelopes) await transport.publish('work', e);
    await waitFor(() => effects.length >= 3 && !failOnce, 2_000, 'three effects');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(effects.sort()).toEqual(['job-1', 'job-2', 'job-3']);
    await transport.close();
  });

  it('forgets an id after its ttl, and a nacked delivery is not marked', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryDedupStore({ clock, capacity: 2 });
    await store.mark('a', 1_000);
    expect(await store.has('a')).toBe(true);
    clock.advance(1_000);
    expect(await store.has('a')).toBe(false);
    await store.mark('b', 10);
    await store.mark('c', 10);
    await store.mark('d', 10);
    expect(await store.has('b')).toBe(false); // capacity 2: the oldest mark is dropped
    expect(await store.has('d')).toBe(true);
    await expect(store.mark('', 10)).rejects.toMatchObject({ code: 'E_INPUT' });
    await expect(store.mark('x', Number.NaN)).rejects.toMatchObject({ code: 'E_INPUT' });

    const settled: string[] = [];
    const handler = idempotent(store, async (delivery) => delivery.nack({ error: 'no' }));
    const envelope = createEnvelope('job', {}, { id: 'nacked' });
    await handler({ envelope, ack: async () => void settled.push('ack'), nack: async () => void settled.push('nack') });
    expect(settled).toEqual(['nack']);
    expect(await store.has('nacked')).toBe(false);
  });
});
