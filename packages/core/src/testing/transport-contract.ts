import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetter, Delivery, Envelope, Transport } from '../ports/transport.js';
import { createEnvelope } from '../schema/envelope.js';
import { expectCode } from './expect-code.js';
import { poisonMessageCases } from './transport-poison-cases.js';
import { invalidOptionCases, type InvalidTransportOptions, subscribeOptionCases } from './transport-option-cases.js';
import { collectEnvelopes, groupName, item, topicName } from './transport-names.js';
import { deferred, sleep, waitFor } from './wait.js';

/** What a transport contract factory returns: a connected transport. */
export interface TransportFixture {
  readonly transport: Transport;
  /** Runs after each test, once the suite has closed the transport. */
  readonly cleanup?: () => Promise<void>;
  /**
   * Puts `body` on `topic` as another producer would, bypassing the transport's publish checks (a raw broker
   * client). Brokers only: with it, the suite checks that undecodable messages are dead-lettered, never handled.
   */
  readonly publishRaw?: (topic: string, body: Uint8Array) => Promise<void>;
}

/** Options of {@link transportContract}. */
export interface TransportContractOptions {
  /** Longest wait for something to arrive, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** How long "nothing more arrives" is watched for, in milliseconds (default 250). */
  readonly quietMs?: number;
  /** The transport's factory and options it must refuse before connecting; see {@link InvalidTransportOptions}. */
  readonly invalidOptions?: InvalidTransportOptions;
}

/**
 * The {@link Transport} contract: every implementation (memory, AMQP, NATS JetStream, Redis Streams…) runs it
 * against a real broker, in real time. Each test uses fresh random topic and group names and subscribes before
 * it publishes. `factory` is called before each test; the suite closes the transport after it.
 */
export function transportContract(
  name: string,
  factory: () => Promise<TransportFixture>,
  options: TransportContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const quietMs = options.quietMs ?? 250;
  const testTimeout = timeoutMs * 3 + quietMs * 2;

  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture;
    let transport: Transport;

    beforeEach(async () => {
      fixture = await factory();
      transport = fixture.transport;
    });

    afterEach(async () => {
      await transport.close();
      await fixture.cleanup?.();
    });

    it(
      'delivers a published envelope with every field and the payload intact',
      async () => {
        const topic = topicName();
        const received: Envelope[] = [];
        await transport.subscribe(
          topic,
          async (d) => {
            received.push(d.envelope);
            await d.ack();
          },
          { group: groupName() },
        );
        const sent = createEnvelope(
          'contract.item',
          { text: 'héllo ✓', n: 1.25, flag: false, none: null, list: [1, 'two', { three: 3 }] },
          { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=opaque' },
        );
        await transport.publish(topic, sent);
        await waitFor(() => received.length >= 1, timeoutMs, 'the delivery');
        expect(received[0]).toEqual(sent);
      },
      testTimeout,
    );

    it(
      'carries Float32Array and Uint8Array payload values bit for bit, through a redelivery and into a dead letter',
      async () => {
        const topic = topicName();
        const seen: Envelope[] = [];
        const dead = await collectEnvelopes(transport, `${topic}.dlq`);
        await transport.subscribe(
          topic,
          async (d) => {
            seen.push(d.envelope);
            const keep = (d.envelope.payload as { keep: boolean }).keep;
            await (keep && d.envelope.attempt > 1 ? d.ack() : d.nack({ error: 'not yet' }));
          },
          { group: groupName(), maxAttempts: 2 },
        );
        const features = Float32Array.of(1.5, -0, Number.NaN, Infinity, -3.4e38, 1e-45);
        const binary = (keep: boolean): Envelope =>
          createEnvelope('contract.binary', {
            keep,
            batch: { rows: 2, width: 3, x: features.slice() },
            nested: [{ bytes: Uint8Array.of(0, 255, 7) }, Float32Array.of()],
          });
        const kept = binary(true);
        const lost = binary(false);
        await transport.publish(topic, kept);
        await transport.publish(topic, lost);
        await waitFor(() => seen.length >= 4 && dead.length >= 1, timeoutMs, 'two deliveries each and the dead letter');
        await sleep(quietMs);
        const letter = dead[0]?.payload as DeadLetter;
        const received = [...seen.map((e) => e.payload), letter.envelope.payload];
        expect(received).toHaveLength(5);
        for (const payload of received) {
          const p = payload as { batch: { x: unknown }; nested: [{ bytes: unknown }, unknown] };
          expect(p.batch.x).toBeInstanceOf(Float32Array);
          expect(bytesOf(p.batch.x as Float32Array)).toEqual(bytesOf(features));
          expect(p.nested[0].bytes).toBeInstanceOf(Uint8Array);
          expect([...(p.nested[0].bytes as Uint8Array)]).toEqual([0, 255, 7]);
          expect(p.nested[1]).toBeInstanceOf(Float32Array);
          expect((p.nested[1] as Float32Array).length).toBe(0);
        }
        expect(letter.envelope.id).toBe(lost.id);
      },
      testTimeout,
    );

    it(
      'does not redeliver an acked message',
      async () => {
        const topic = topicName();
        const ids: string[] = [];
        await transport.subscribe(
          topic,
          async (d) => {
            ids.push(d.envelope.id);
            await d.ack();
          },
          { group: groupName() },
        );
        const first = item(1);
        await transport.publish(topic, first);
        await waitFor(() => ids.length >= 1, timeoutMs, 'the delivery');
        await sleep(quietMs);
        const second = item(2);
        await transport.publish(topic, second);
        await waitFor(() => ids.includes(second.id), timeoutMs, 'the second delivery');
        await sleep(quietMs);
        expect(ids).toEqual([first.id, second.id]);
      },
      testTimeout,
    );

    it(
      'acks a message whose handler returns without settling',
      async () => {
        const topic = topicName();
        const ids: string[] = [];
        await transport.subscribe(
          topic,
          (d) => {
            ids.push(d.envelope.id);
            return Promise.resolve();
          },
          { group: groupName() },
        );
        const sent = item(1);
        await transport.publish(topic, sent);
        await waitFor(() => ids.length >= 1, timeoutMs, 'the delivery');
        await sleep(quietMs);
        expect(ids).toEqual([sent.id]);
      },
      testTimeout,
    );

    it(
      'redelivers a nacked message with attempt + 1',
      async () => {
        const topic = topicName();
        const seen: Envelope[] = [];
        await transport.subscribe(
          topic,
          async (d) => {
            seen.push(d.envelope);
            await (d.envelope.attempt === 1 ? d.nack({ error: 'try again' }) : d.ack());
          },
          { group: groupName() },
        );
        const sent = item(1);
        await transport.publish(topic, sent);
        await waitFor(() => seen.length >= 2, timeoutMs, 'the redelivery');
        await sleep(quietMs);
        expect(seen.map((e) => e.attempt)).toEqual([1, 2]);
        expect(seen.map((e) => e.id)).toEqual([sent.id, sent.id]);
        expect(seen[1]?.payload).toEqual(sent.payload);
      },
      testTimeout,
    );

    it(
      'waits at least about delayMs before redelivering',
      async () => {
        const topic = topicName();
        const delayMs = 400;
        const times: number[] = [];
        await transport.subscribe(
          topic,
          async (d) => {
            times.push(Date.now());
            await (d.envelope.attempt === 1 ? d.nack({ delayMs }) : d.ack());
          },
          { group: groupName() },
        );
        await transport.publish(topic, item(1));
        await waitFor(() => times.length >= 2, timeoutMs + delayMs, 'the delayed redelivery');
        const [first = 0, second = 0] = times;
        expect(second - first).toBeGreaterThanOrEqual(delayMs * 0.8);
      },
      testTimeout + 400,
    );

    it(
      'retries a throwing handler, then dead-letters with the error while other messages flow on',
      async () => {
        const topic = topicName();
        const poison = item(0);
        const attempts: number[] = [];
        const good: string[] = [];
        const dead = await collectEnvelopes(transport, `${topic}.dlq`);
        await transport.subscribe(
          topic,
          async (d) => {
            if (d.envelope.id === poison.id) {
              attempts.push(d.envelope.attempt);
              throw new Error(`boom ${d.envelope.attempt}`);
            }
            good.push(d.envelope.id);
            await d.ack();
          },
          { group: groupName(), maxAttempts: 3 },
        );
        const others = [item(1), item(2), item(3)];
        await transport.publish(topic, poison);
        for (const other of others) await transport.publish(topic, other);
        await waitFor(
          () => dead.length >= 1 && good.length >= others.length,
          timeoutMs,
          'the dead letter and the others',
        );
        await sleep(quietMs);
        expect(attempts).toEqual([1, 2, 3]);
        expect(new Set(good)).toEqual(new Set(others.map((o) => o.id)));
        expect(dead).toHaveLength(1);
        expect(dead[0]?.type).toBe('dead-letter');
        const letter = dead[0]?.payload as DeadLetter;
        expect(letter.topic).toBe(topic);
        expect(letter.error).toContain('boom 3');
        expect(letter.envelope.id).toBe(poison.id);
        expect(letter.envelope.payload).toEqual(poison.payload);
      },
      testTimeout,
    );

    it(
      'dead-letters to a chosen topic, recording the nack error',
      async () => {
        const topic = topicName();
        const deadLetterTopic = topicName();
        const dead = await collectEnvelopes(transport, deadLetterTopic);
        await transport.subscribe(topic, (d) => d.nack({ error: 'unusable payload' }), {
          group: groupName(),
          maxAttempts: 1,
          deadLetterTopic,
        });
        const sent = item(1);
        await transport.publish(topic, sent);
        await waitFor(() => dead.length >= 1, timeoutMs, 'the dead letter');
        const letter = dead[0]?.payload as DeadLetter;
        expect(letter).toMatchObject({ error: 'unusable payload', topic });
        expect(letter.envelope.id).toBe(sent.id);
      },
      testTimeout,
    );

    it(
      'gives every message to each group',
      async () => {
        const topic = topicName();
        const byGroup = new Map<string, string[]>([
          [groupName(), []],
          [groupName(), []],
        ]);
        for (const [group, ids] of byGroup) {
          await transport.subscribe(
            topic,
            async (d) => {
              ids.push(d.envelope.id);
              await d.ack();
            },
            { group },
          );
        }
        const sent = Array.from({ length: 10 }, (_, i) => item(i));
        for (const envelope of sent) await transport.publish(topic, envelope);
        const lists = [...byGroup.values()];
        await waitFor(() => lists.every((ids) => ids.length >= sent.length), timeoutMs, 'both groups');
        await sleep(quietMs);
        for (const ids of lists) expect([...ids].sort()).toEqual(sent.map((e) => e.id).sort());
      },
      testTimeout,
    );

    it(
      'shares a group between its subscribers: each message is handled once',
      async () => {
        const topic = topicName();
        const group = groupName();
        const handled: string[][] = [[], []];
        for (const ids of handled) {
          await transport.subscribe(
            topic,
            async (d) => {
              ids.push(d.envelope.id);
              await d.ack();
            },
            { group },
          );
        }
        const sent = Array.from({ length: 20 }, (_, i) => item(i));
        for (const envelope of sent) await transport.publish(topic, envelope);
        await waitFor(() => handled.flat().length >= sent.length, timeoutMs, 'all messages');
        await sleep(quietMs);
        expect(handled.flat().sort()).toEqual(sent.map((e) => e.id).sort());
      },
      testTimeout,
    );

    it(
      'never holds more unsettled deliveries than prefetch',
      async () => {
        const topic = topicName();
        const prefetch = 3;
        let unsettled = 0;
        let most = 0;
        let done = 0;
        await transport.subscribe(
          topic,
          async (d) => {
            unsettled++;
            most = Math.max(most, unsettled);
            await sleep(30);
            unsettled--;
            await d.ack();
            done++;
          },
          { group: groupName(), prefetch },
        );
        for (let i = 0; i < 12; i++) await transport.publish(topic, item(i));
        await waitFor(() => done >= 12, timeoutMs, 'all messages');
        expect(most).toBeGreaterThanOrEqual(1);
        expect(most).toBeLessThanOrEqual(prefetch);
      },
      testTimeout,
    );

    it(
      'closes a subscription only after its in-flight handler settled, then delivers no more',
      async () => {
        const topic = topicName();
        const started = deferred();
        const release = deferred();
        const ids: string[] = [];
        let finished = false;
        const subscription = await transport.subscribe(
          topic,
          async (d: Delivery) => {
            ids.push(d.envelope.id);
            started.resolve();
            await release.promise;
            await d.ack();
            finished = true;
          },
          { group: groupName() },
        );
        await transport.publish(topic, item(1));
        await started.promise;
        let closed = false;
        const closing = subscription.close().then(() => {
          closed = true;
        });
        await sleep(quietMs);
        expect(closed).toBe(false);
        release.resolve();
        await closing;
        expect(finished).toBe(true);
        await transport.publish(topic, item(2));
        await sleep(quietMs);
        expect(ids).toHaveLength(1);
      },
      testTimeout,
    );

    it('rejects an invalid envelope with E_ENVELOPE', async () => {
      const topic = topicName();
      const bad = { ...item(1), attempt: 0 };
      await expectCode(transport.publish(topic, bad), 'E_ENVELOPE');
      await expectCode(transport.publish(topic, { ...item(2), extra: true } as Envelope), 'E_ENVELOPE');
    });

    subscribeOptionCases(() => transport);
    if (options.invalidOptions !== undefined) invalidOptionCases(options.invalidOptions);
    poisonMessageCases(() => fixture, { timeoutMs, quietMs, testTimeout });

    it('pings while open; after close, publish rejects with E_TRANSPORT', async () => {
      await expect(transport.ping()).resolves.toBeUndefined();
      await transport.close();
      await transport.close();
      await expectCode(transport.publish(topicName(), item(1)), 'E_TRANSPORT');
    });
  });
}

/** The bytes of `values`, to compare floats bit for bit (`-0`, NaN). */
function bytesOf(values: Float32Array): number[] {
  return [...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
}
