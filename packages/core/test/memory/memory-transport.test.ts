import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { MemoryTransport } from '../../src/memory/memory-transport.js';
import type { DeadLetter, Delivery, Envelope } from '../../src/ports/transport.js';
import { createEnvelope } from '../../src/schema/envelope.js';
import { expectCode } from '../../src/testing/expect-code.js';

/** Lets queued microtasks and handler promises run. */
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const item = (n: number): Envelope<{ n: number }> => createEnvelope('test.item', { n });

describe('MemoryTransport', () => {
  it('redelivers after exactly delayMs on the injected clock', async () => {
    const clock = new ManualClock(1_000);
    const transport = new MemoryTransport({ clock });
    const attempts: number[] = [];
    await transport.subscribe(
      't',
      async (d) => {
        attempts.push(d.envelope.attempt);
        if (d.envelope.attempt === 1) await d.nack({ delayMs: 1000 });
      },
      { group: 'g' },
    );
    await transport.publish('t', item(1));
    await flush();
    expect(attempts).toEqual([1]);
    clock.advance(999);
    await flush();
    expect(attempts).toEqual([1]);
    clock.advance(1);
    await flush();
    expect(attempts).toEqual([1, 2]);
    await transport.close();
  });

  it('does not starve timers when a handler always fails', async () => {
    const transport = new MemoryTransport();
    let attempts = 0;
    await transport.subscribe(
      't',
      () => {
        attempts++;
        return Promise.reject(new Error('always'));
      },
      { group: 'g', maxAttempts: 1_000_000 },
    );
    await transport.publish('t', item(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(attempts).toBeGreaterThan(1);
    await transport.close();
  });

  it('cancels pending redeliveries on close', async () => {
    const clock = new ManualClock();
    const transport = new MemoryTransport({ clock });
    await transport.subscribe('t', (d) => d.nack({ delayMs: 50 }), { group: 'g' });
    await transport.publish('t', item(1));
    await flush();
    expect(clock.pendingTimers).toBe(1);
    await transport.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps messages published before any group for the first group', async () => {
    const transport = new MemoryTransport();
    const sent = [item(1), item(2)];
    for (const envelope of sent) await transport.publish('t', envelope);
    const first: string[] = [];
    const second: string[] = [];
    await transport.subscribe('t', async (d) => void first.push(d.envelope.id), { group: 'a' });
    await transport.subscribe('t', async (d) => void second.push(d.envelope.id), { group: 'b' });
    await flush();
    expect(first).toEqual(sent.map((e) => e.id));
    expect(second).toEqual([]);
    await transport.close();
  });

  it('keeps a group queue while the group has no subscriber', async () => {
    const transport = new MemoryTransport();
    const seen: number[] = [];
    const handler = async (d: Delivery<{ n: number }>): Promise<void> => void seen.push(d.envelope.payload.n);
    const subscription = await transport.subscribe('t', handler, { group: 'g' });
    await subscription.close();
    await transport.publish('t', item(7));
    await flush();
    expect(seen).toEqual([]);
    await transport.subscribe('t', handler, { group: 'g' });
    await flush();
    expect(seen).toEqual([7]);
    await transport.close();
  });

  it('shares a group round-robin and fills prefetch exactly', async () => {
    const transport = new MemoryTransport();
    const held: Array<{ who: string; d: Delivery }> = [];
    for (const who of ['a', 'b']) {
      await transport.subscribe(
        't',
        (d) => {
          held.push({ who, d });
          return new Promise<void>(() => undefined);
        },
        { group: 'g', prefetch: 2 },
      );
    }
    for (let i = 0; i < 6; i++) await transport.publish('t', item(i));
    await flush();
    expect(held.map((h) => h.who)).toEqual(['a', 'b', 'a', 'b']);
    await held[0]?.d.ack();
    await flush();
    expect(held.map((h) => h.who)).toEqual(['a', 'b', 'a', 'b', 'a']);
  });

  it('dead-letters to <topic>.dlq with the envelope, last error and topic, keeping the trace context', async () => {
    const transport = new MemoryTransport();
    const dead: Envelope<DeadLetter>[] = [];
    await transport.subscribe<DeadLetter>('t.dlq', async (d) => void dead.push(d.envelope), { group: 'dlq' });
    await transport.subscribe('t', () => Promise.reject(new Error('bad row')), { group: 'g', maxAttempts: 2 });
    const sent = createEnvelope(
      'test.item',
      { n: 1 },
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    await transport.publish('t', sent);
    for (let i = 0; i < 5; i++) await flush();
    expect(dead).toHaveLength(1);
    const [letter] = dead;
    expect(letter?.type).toBe('dead-letter');
    expect(letter?.traceparent).toBe(sent.traceparent);
    expect(letter?.payload).toEqual({ envelope: { ...sent, attempt: 2 }, error: 'bad row', topic: 't' });
    await transport.close();
  });

  it('treats a second settle as a no-op', async () => {
    const transport = new MemoryTransport();
    const attempts: number[] = [];
    await transport.subscribe(
      't',
      async (d) => {
        attempts.push(d.envelope.attempt);
        await d.ack();
        await d.nack({ error: 'too late' });
      },
      { group: 'g' },
    );
    await transport.publish('t', item(1));
    await flush();
    await flush();
    expect(attempts).toEqual([1]);
    await transport.close();
  });

  it('gives each group its own copy of the payload', async () => {
    const transport = new MemoryTransport();
    const payloads: Array<{ n: number }> = [];
    for (const group of ['a', 'b']) {
      await transport.subscribe<{ n: number }>(
        't',
        async (d) => {
          payloads.push(d.envelope.payload);
          (d.envelope.payload as { n: number }).n += 100;
        },
        { group },
      );
    }
    const sent = item(1);
    await transport.publish('t', sent);
    await flush();
    expect(sent.payload.n).toBe(1);
    expect(payloads.map((p) => p.n)).toEqual([101, 101]);
    await transport.close();
  });

  it('rejects bad envelopes naming the field, and uncopyable payloads', async () => {
    const transport = new MemoryTransport();
    const error = await expectCode(transport.publish('t', { ...item(1), traceparent: 'not-a-trace' }), 'E_ENVELOPE');
    expect(error.message).toContain('traceparent');
    await expectCode(transport.publish('t', createEnvelope('x', { f: () => 1 })), 'E_ENVELOPE');
    await transport.close();
  });

  // Bad subscribe options: the transport contract (contracts.test.ts) checks them for every transport.
  it('rejects a bad nack delay with E_INPUT', async () => {
    const transport = new MemoryTransport();
    let nackError: unknown;
    await transport.subscribe(
      't',
      async (d) => {
        await d.nack({ delayMs: -1 }).catch((e: unknown) => {
          nackError = e;
        });
        await d.ack();
      },
      { group: 'g' },
    );
    await transport.publish('t', item(1));
    await flush();
    expect((nackError as { code?: string }).code).toBe('E_INPUT');
    await transport.close();
  });

  it('rejects publish, subscribe and ping after close with E_TRANSPORT', async () => {
    const transport = new MemoryTransport();
    await transport.close();
    await expectCode(transport.publish('t', item(1)), 'E_TRANSPORT');
    await expectCode(
      transport.subscribe('t', () => Promise.resolve(), { group: 'g' }),
      'E_TRANSPORT',
    );
    await expectCode(transport.ping(), 'E_TRANSPORT');
  });
});
