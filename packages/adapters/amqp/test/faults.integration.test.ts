import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'amqplib';
import { randomId, type DeadLetter, type Envelope, type Transport } from '@dissonance/core';
import { createEnvelope, decodeWireFrame, encodeBatch } from '@dissonance/core/adapter-kit';
import { sleep, waitFor } from '@dissonance/core/testing';
import { createAmqpTransport, INVALID_MESSAGE_TYPE } from '../src/index.js';
import { BROKER_URL, closeAllConnections, publishRaw, purgePrefix } from './broker.js';

describe('the AMQP transport under faults (real RabbitMQ)', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function open(): Promise<{ transport: Transport; prefix: string }> {
    const prefix = `dtest-${randomId()}`;
    const transport = await createAmqpTransport({
      url: BROKER_URL,
      prefix,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000, publishTimeoutMs: 20_000 },
    });
    cleanups.push(async () => {
      await transport.close();
      await purgePrefix(prefix);
    });
    return { transport, prefix };
  }

  it('reconnects after close_all_connections and handles every confirmed message', async () => {
    const { transport } = await open();
    const handled = new Set<string>();
    let deliveries = 0;
    await transport.subscribe(
      'orders',
      async (d) => {
        deliveries++;
        await sleep(2);
        handled.add(d.envelope.id);
        await d.ack();
      },
      { group: 'workers', prefetch: 8 },
    );
    const sent: string[] = [];
    const total = 300;
    for (let i = 0; i < total; i++) {
      if (i === 100 || i === 200) await closeAllConnections();
      const envelope = createEnvelope('order', { i });
      await transport.publish('orders', envelope);
      sent.push(envelope.id);
    }
    await waitFor(() => sent.every((id) => handled.has(id)), 30_000, 'every confirmed message');
    expect(handled.size).toBe(total);
    expect(deliveries).toBeGreaterThanOrEqual(total);
    await expect(transport.ping()).resolves.toBeUndefined();
    // Long: closeAllConnections may first wait for a test that holds the broker undisturbed (the distributed demo).
  }, 300_000);

  it('dead-letters a poison message after maxAttempts (delayed retries) while others flow', async () => {
    const { transport } = await open();
    const poison = createEnvelope('job', { poison: true });
    const attempts: number[] = [];
    const good = new Set<string>();
    const dead: Envelope[] = [];
    await transport.subscribe(
      'jobs.dead',
      async (d) => {
        dead.push(d.envelope);
        await d.ack();
      },
      { group: 'audit' },
    );
    await transport.subscribe(
      'jobs',
      async (d) => {
        if (d.envelope.id === poison.id) {
          attempts.push(d.envelope.attempt);
          if (d.envelope.attempt < 3) {
            await d.nack({ delayMs: 100, error: `retry ${d.envelope.attempt}` });
            return;
          }
          throw new Error('poisoned payload');
        }
        good.add(d.envelope.id);
      },
      { group: 'workers', maxAttempts: 3, deadLetterTopic: 'jobs.dead' },
    );
    await transport.publish('jobs', poison);
    const others = Array.from({ length: 20 }, (_, i) => createEnvelope('job', { i }));
    for (const other of others) await transport.publish('jobs', other);
    await waitFor(() => dead.length >= 1 && good.size >= others.length, 15_000, 'the dead letter and the others');
    await sleep(300);
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.type).toBe('dead-letter');
    const letter = dead[0]?.payload as DeadLetter;
    expect(letter.topic).toBe('jobs');
    expect(letter.error).toBe('poisoned payload');
    expect(letter.envelope).toEqual({ ...poison, attempt: 3 });
  }, 30_000);

  // Undecodable bodies (malformed JSON, bad schema, damaged frames) and envelope JSON of earlier releases: the
  // transport contract (contract.integration.test.ts). Here: the stand-in AMQP dead-letters in their place.
  it('dead-letters an undecodable message as a stand-in envelope holding its body', async () => {
    const { transport, prefix } = await open();
    const dead: Envelope[] = [];
    await transport.subscribe(
      'raw.dlq',
      async (d) => {
        dead.push(d.envelope);
        await d.ack();
      },
      { group: 'audit' },
    );
    await transport.subscribe('raw', (d) => d.ack(), { group: 'workers' });
    await publishRaw(`${prefix}.raw`, Buffer.from('{"not":"an envelope"'));
    await waitFor(() => dead.length >= 1, 10_000, 'the dead letter');
    const letter = dead[0]?.payload as DeadLetter<{ body: string }>;
    expect(letter.error).toContain('E_ENVELOPE');
    expect(letter.envelope.type).toBe(INVALID_MESSAGE_TYPE);
    expect(letter.envelope.payload.body).toBe('{"not":"an envelope"');
  }, 30_000);

  // Bad options and subscribe arguments (E_INPUT): the transport contract. Here: an unreachable broker.
  it('fails to connect with E_TRANSPORT within connectTimeoutMs', async () => {
    await expect(
      createAmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:1', connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: 'E_TRANSPORT',
    });
  }, 30_000);

  it('publishes a batch as the batch frame, or as format 1 with wireFormat 1 (readers before format 2)', async () => {
    const prefix = `dtest-${randomId()}`;
    const model = await connect(BROKER_URL);
    const channel = await model.createChannel();
    const magics: number[][] = [];
    for (const wireFormat of [2, 1] as const) {
      const transport = await createAmqpTransport({ url: BROKER_URL, prefix, wireFormat });
      // A raw queue bound to the topic's exchange sees the bytes as published.
      await channel.assertExchange(`${prefix}.jobs`, 'fanout', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, `${prefix}.jobs`, '');
      const sent = createEnvelope('job', encodeBatch({ x: Float32Array.of(1, 2), rows: 1 }, 2));
      await transport.publish('jobs', sent);
      const message = await channel.get(queue, { noAck: true });
      if (message === false) throw new Error('no message on the raw queue');
      magics.push([...message.content.subarray(0, 4)]);
      expect(decodeWireFrame(message.content)).toEqual(sent);
      await transport.close();
    }
    await model.close();
    await purgePrefix(prefix);
    expect(magics).toEqual([
      [0, 0x44, 0x46, 2],
      [0, 0x44, 0x46, 1],
    ]);
  }, 30_000);
});
