import type { Channel, ConsumeMessage } from 'amqplib';
import {
  DEAD_LETTER_TYPE,
  DissonanceError,
  type DeadLetter,
  type Delivery,
  type Envelope,
  type Subscription,
} from '@dissonance/core';
import { createEnvelope, type WireFormat } from '@dissonance/core/adapter-kit';
import { backoffDelay, errorText } from './backoff.js';
import { decodeEnvelope } from './codec.js';
import type { AmqpLink, Session } from './link.js';
import type { SubscriberSettings } from './names.js';
import { declareRetryQueue, publishConfirmed, withSession } from './publisher.js';
import { coalesceWrites } from './write-coalescer.js';

/** What a subscription needs from its transport. */
export interface SubscriberHost {
  readonly link: AmqpLink;
  readonly prefix: string;
  readonly publishTimeoutMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Frames the transport writes. */
  readonly wireFormat: WireFormat;
  /** Publishes a valid envelope to `topic`, confirmed. */
  publish(topic: string, envelope: Envelope): Promise<void>;
  /** Called once the subscription closed. */
  forget(subscription: AmqpSubscription): void;
}

/** The channel a subscription currently consumes on. */
interface Consumer {
  readonly session: Session;
  readonly channel: Channel;
  readonly tag: string;
}

/**
 * One subscriber of one group: its own channel with `prefetch` unacked messages at most, consuming the
 * group's durable queue with manual acks. Consumes again on each new connection after a drop.
 */
export class AmqpSubscription implements Subscription {
  readonly #host: SubscriberHost;
  readonly #settings: SubscriberSettings;
  readonly #handler: (delivery: Delivery) => Promise<void>;
  readonly #running = new Set<Promise<void>>();
  readonly #unlisten: () => void;
  #consumer: Consumer | undefined;
  #chain: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  #retries = 0;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(host: SubscriberHost, settings: SubscriberSettings, handler: (delivery: Delivery) => Promise<void>) {
    this.#host = host;
    this.#settings = settings;
    this.#handler = handler;
    this.#unlisten = host.link.onReconnect(() => this.#restart());
  }

  /** Declares the topology and starts consuming; rejects (`E_TRANSPORT`) when that fails. */
  async start(): Promise<void> {
    const session = await this.#host.link.session(this.#host.publishTimeoutMs);
    try {
      await this.#consume(session);
    } catch (error) {
      this.#unlisten();
      throw new DissonanceError('E_TRANSPORT', `cannot subscribe to ${this.#settings.queue}: ${errorText(error)}`, {
        cause: error,
      });
    }
  }

  /** Stops new deliveries, waits for in-flight handlers and their settlement, then closes the channel. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#unlisten();
    clearTimeout(this.#retryTimer);
    await this.#chain;
    const consumer = this.#consumer;
    if (consumer !== undefined) await consumer.channel.cancel(consumer.tag).catch(() => undefined);
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    this.#consumer = undefined;
    if (consumer !== undefined) await consumer.channel.close().catch(() => undefined);
    this.#host.forget(this);
  }

  /** Queues a (re)start on the live session, after any one already running. */
  #restart(): void {
    this.#chain = this.#chain.then(() => this.#restartNow());
  }

  async #restartNow(): Promise<void> {
    const session = this.#host.link.current;
    if (this.#closing || session === undefined) return;
    if (this.#consumer?.session === session && this.#consumerAlive) return;
    try {
      await this.#consume(session);
      this.#retries = 0;
    } catch {
      this.#scheduleRestart();
    }
  }

  #consumerAlive = false;

  #scheduleRestart(): void {
    if (this.#closing) return;
    clearTimeout(this.#retryTimer);
    const wait = backoffDelay(this.#retries++, this.#host.initialDelayMs, this.#host.maxDelayMs);
    this.#retryTimer = setTimeout(() => this.#restart(), wait);
  }

  async #consume(session: Session): Promise<void> {
    const previous = this.#consumer;
    this.#consumer = undefined;
    this.#consumerAlive = false;
    if (previous !== undefined) await previous.channel.close().catch(() => undefined);
    const { exchange, queue, prefetch } = this.#settings;
    const channel = await session.model.createChannel();
    let consumer: Consumer | undefined;
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.#consumer !== consumer || consumer === undefined) return;
      this.#consumerAlive = false;
      // The channel failed while the connection lives on: consume again on a fresh channel.
      if (this.#host.link.current === session) this.#scheduleRestart();
    });
    try {
      await channel.prefetch(prefetch, false);
      await channel.assertExchange(exchange, 'fanout', { durable: true });
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, '');
      const reply = await channel.consume(queue, (message) => this.#receive(channel, message), { noAck: false });
      consumer = { session, channel, tag: reply.consumerTag };
      this.#consumer = consumer;
      this.#consumerAlive = true;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #receive(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): declare and consume again.
      this.#consumerAlive = false;
      this.#scheduleRestart();
      return;
    }
    // While closing, leave it unacked: closing the channel hands it back to the queue.
    if (this.#closing) return;
    const run = this.#handle(channel, message);
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const decoded = decodeEnvelope(message.content);
    if (!decoded.ok) {
      await this.#settle(channel, message, () => this.#deadLetter(decoded.standIn, decoded.error));
      return;
    }
    const envelope = decoded.envelope;
    let settlement: Promise<void> | undefined;
    const delivery: Delivery = {
      envelope,
      ack: () => {
        settlement ??= this.#settle(channel, message, () => Promise.resolve());
        return settlement;
      },
      nack: (options = {}) => {
        const delayMs = options.delayMs ?? 0;
        if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
          return Promise.reject(
            new DissonanceError('E_INPUT', `nack delayMs must be a finite number ≥ 0, got ${String(delayMs)}`),
          );
        }
        const error = options.error ?? 'nacked without an error message';
        settlement ??= this.#settle(channel, message, () => this.#retry(envelope, Math.ceil(delayMs), error));
        return settlement;
      },
    };
    await Promise.resolve()
      .then(() => this.#handler(delivery))
      .then(
        () => delivery.ack(),
        (error: unknown) => delivery.nack({ error: errorText(error) }),
      )
      .catch(() => undefined);
    await settlement?.catch(() => undefined);
  }

  /**
   * Runs `before` (a confirmed republish or dead letter), then acks. When `before` fails the message goes back
   * to its queue unchanged (or, on a dropped channel, the broker redelivers it), so nothing is lost.
   */
  async #settle(channel: Channel, message: ConsumeMessage, before: () => Promise<void>): Promise<void> {
    try {
      await before();
    } catch (error) {
      try {
        channel.nack(message, false, true);
      } catch {
        // The channel is gone: the broker redelivers the message.
      }
      throw error;
    }
    try {
      channel.ack(message);
      coalesceWrites(channel.connection);
    } catch {
      // The channel is gone: the broker redelivers the message (at-least-once).
    }
  }

  async #retry(envelope: Envelope, delayMs: number, error: string): Promise<void> {
    if (envelope.attempt >= this.#settings.maxAttempts) {
      await this.#deadLetter(envelope, error);
      return;
    }
    const next: Envelope = { ...envelope, attempt: envelope.attempt + 1 };
    const { queue } = this.#settings;
    await withSession(this.#host.link, this.#host.publishTimeoutMs, async (session) => {
      const target = delayMs === 0 ? queue : await declareRetryQueue(session, queue, delayMs);
      await publishConfirmed(session, '', target, next, this.#host.wireFormat);
    });
  }

  async #deadLetter(envelope: Envelope, error: string): Promise<void> {
    const letter: DeadLetter = { envelope, error, topic: this.#settings.topic };
    const { traceparent, tracestate } = envelope;
    const wrapped = createEnvelope(DEAD_LETTER_TYPE, letter, {
      ...(traceparent === undefined ? {} : { traceparent }),
      ...(tracestate === undefined ? {} : { tracestate }),
    });
    await this.#host.publish(this.#settings.deadLetterTopic, wrapped);
  }
}
