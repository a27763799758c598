import {
  DissonanceError,
  type Delivery,
  type Envelope,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '@dissonance/core';
import { parseEnvelope, tracedHandler, tracedPublish } from '@dissonance/core/adapter-kit';
import { encodeEnvelope } from './codec.js';
import { AmqpLink } from './link.js';
import { checkTopic, exchangeName, subscriberSettings } from './names.js';
import { resolveAmqpOptions, invalid, type AmqpTransportOptions, type ResolvedAmqpOptions } from './options.js';
import { declareExchange, publishConfirmed, withSession } from './publisher.js';
import { AmqpSubscription, type SubscriberHost } from './subscriber.js';

/**
 * The RabbitMQ (AMQP 0-9-1) {@link Transport}.
 *
 * - A topic is a durable fanout exchange `<prefix>.<topic>`; a consumer group is a durable queue
 *   `<prefix>.<topic>.<group>` bound to it, so every group gets every message and the subscribers of a group
 *   share its queue. A message published while a topic has no group queue is dropped by the broker.
 * - `publish` validates the envelope (`E_ENVELOPE`), sends it as a persistent binary wire frame (core's
 *   `encodeWireFrame`: JSON header, float32 features as raw bytes) on a confirm channel and
 *   resolves once the broker confirmed it; during a reconnect it waits up to `publishTimeoutMs`, then
 *   rejects with `E_TRANSPORT`.
 * - Each subscriber has its own channel with `prefetch` unacked messages at most and manual acks. A nack
 *   republishes the envelope with attempt + 1 (confirmed) before acking the original: straight to the group
 *   queue, or through a durable per-delay TTL queue that dead-letters back to it. Once `maxAttempts` is reached,
 *   a `dead-letter` envelope goes to the dead-letter topic. A received body that is not a valid envelope is
 *   dead-lettered with the `E_ENVELOPE` error. Envelope JSON (earlier releases, other producers) is read as well.
 * - Traced per the OpenTelemetry messaging conventions (`messaging.system = rabbitmq`): a PRODUCER span
 *   `send <topic>` per publish, its W3C context injected into the envelope's `traceparent`, and a CONSUMER
 *   span `process <topic>` per delivery, child of that context. No-ops without an SDK.
 * - After a dropped connection it reconnects with jittered exponential backoff and every open subscription
 *   consumes again; unacked messages are redelivered by the broker (at-least-once: duplicates are possible).
 */
export class AmqpTransport implements Transport {
  /** `amqp`. */
  readonly name = 'amqp';
  readonly #options: ResolvedAmqpOptions;
  readonly #link: AmqpLink;
  readonly #subscriptions = new Set<AmqpSubscription>();
  readonly #host: SubscriberHost;
  #closed = false;

  private constructor(options: ResolvedAmqpOptions) {
    this.#options = options;
    this.#link = new AmqpLink(options);
    this.#host = {
      link: this.#link,
      prefix: options.prefix,
      publishTimeoutMs: options.publishTimeoutMs,
      initialDelayMs: options.initialDelayMs,
      maxDelayMs: options.maxDelayMs,
      wireFormat: options.wireFormat,
      publish: (topic, envelope) => this.#publish(topic, envelope),
      forget: (subscription) => this.#subscriptions.delete(subscription),
    };
  }

  /**
   * Connects to the broker. Rejects with `E_INPUT` for bad options and `E_TRANSPORT` when no connection is made
   * within `connectTimeoutMs`.
   */
  static async connect(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
    const transport = new AmqpTransport(resolveAmqpOptions(options));
    await transport.#link.open();
    return transport;
  }

  /** The first segment of every exchange and queue name. */
  get prefix(): string {
    return this.#options.prefix;
  }

  async publish<P>(topic: string, envelope: Envelope<P>): Promise<void> {
    this.#open();
    checkTopic(topic, 'topic');
    await tracedPublish({ system: 'rabbitmq', destination: topic }, envelope, async (traced) => {
      const valid = parseEnvelope(traced);
      encodeEnvelope(valid, this.#options.wireFormat);
      await this.#publish(topic, valid);
    });
  }

  async subscribe<P>(
    topic: string,
    handler: (delivery: Delivery<P>) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    this.#open();
    if (typeof handler !== 'function') throw invalid('handler', 'must be a function');
    const settings = subscriberSettings(this.#options.prefix, topic, options);
    const traced = tracedHandler({ system: 'rabbitmq', destination: topic, group: options.group }, handler);
    const subscription = new AmqpSubscription(this.#host, settings, (delivery) => traced(delivery as Delivery<P>));
    await subscription.start();
    this.#subscriptions.add(subscription);
    if (this.#closed) await subscription.close();
    return subscription;
  }

  /** Resolves when the connection is up and the broker answers a passive declare. */
  async ping(): Promise<void> {
    this.#open();
    const session = this.#link.current;
    if (session === undefined) throw new DissonanceError('E_TRANSPORT', 'AMQP broker unreachable: reconnecting');
    try {
      await session.publisher.checkExchange('amq.fanout');
    } catch (error) {
      throw new DissonanceError('E_TRANSPORT', 'AMQP broker did not answer the ping', { cause: error });
    }
  }

  /** Closes every subscription (waiting for in-flight handlers), then the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#link.close();
  }

  #publish(topic: string, envelope: Envelope): Promise<void> {
    const exchange = exchangeName(this.#options.prefix, topic);
    return withSession(this.#link, this.#options.publishTimeoutMs, async (session) => {
      await declareExchange(session, exchange);
      await publishConfirmed(session, exchange, '', envelope, this.#options.wireFormat);
    });
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_TRANSPORT', 'AMQP transport is closed');
  }
}

/** Connects an {@link AmqpTransport}; see {@link AmqpTransport.connect}. */
export function connectAmqpTransport(options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  return AmqpTransport.connect(options);
}
