import {
  DissonanceError,
  toDissonanceError,
  type Delivery,
  type Envelope,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '@dissonance/core';
import { encodeWireFrame, parseEnvelope, tracedHandler, tracedPublish } from '@dissonance/core/adapter-kit';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { coalesceWrites } from './write-coalescer.js';
import { checkName, durableNameOf, streamNameOf, subjectOf } from './names.js';
import { NatsSubscription } from './nats-subscription.js';
import { resolveOptions, resolveSubscribeOptions, type NatsTransportOptions, type ResolvedOptions } from './options.js';
import { ensureConsumer, ensureStream } from './streams.js';

/** Longest single JetStream publish request, in ms (publish retries within `publishTimeoutMs`). */
const PUBLISH_REQUEST_MS = 5000;
/** Longest wait for a `ping` round trip, in ms. */
const PING_TIMEOUT_MS = 2000;

/**
 * Returns the NATS JetStream {@link Transport} (see {@link NatsTransport}). Checks the options first (`E_INPUT`
 * naming the first bad one), then connects (reconnecting forever) and owns the connection — or, with
 * `options.connection`, uses that one and leaves it open on `close()` unless `closeConnection` is set.
 * Rejects with `E_TRANSPORT` when no server answers.
 */
export async function createNatsTransport(options: NatsTransportOptions = {}): Promise<Transport> {
  const resolved = resolveOptions(options);
  const shared: unknown = options.connection;
  if (shared !== undefined) {
    if (typeof shared !== 'object' || shared === null || typeof (shared as NatsConnection).isClosed !== 'function') {
      throw new DissonanceError('E_INPUT', 'connection must be a NatsConnection', { details: { field: 'connection' } });
    }
    return new NatsTransport(shared as NatsConnection, resolved);
  }
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: resolved.servers,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      name: 'dissonance',
      // nats.js otherwise builds an Error (stack trace included) for every request up front, in case it fails:
      // about a sixth of the client's CPU per JetStream publish. Failures still reach the caller as E_TRANSPORT
      // naming the topic.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw toDissonanceError(error, 'E_TRANSPORT', `cannot connect to NATS at ${String(resolved.servers)}`);
  }
  return new NatsTransport(connection, { ...resolved, closeConnection: true });
}

/**
 * The {@link Transport} over NATS JetStream.
 *
 * - A topic `t` is a file-backed stream `<streamPrefix>_t` capturing subject `<prefix>.t`, created on first use.
 * - A consumer group is one durable pull consumer (explicit ack) of that stream: every group gets every
 *   message, the subscribers of a group share them. `prefetch` is the consumer's `max_ack_pending` and each
 *   subscriber's pull size and handler concurrency.
 * - `publish` validates the envelope (`E_ENVELOPE`), sends it as core's binary wire frame (`encodeWireFrame`:
 *   JSON header, float32 features as raw bytes), sets `Nats-Msg-Id` to its id (JetStream drops
 *   duplicates within the stream's duplicate window) and resolves on the JetStream ack, retrying across
 *   reconnects for up to `publishTimeoutMs`.
 * - Deliveries (wire frames, or envelope JSON from earlier releases and other producers) are validated with
 *   `parseEnvelope`; `attempt` is the server's delivery count. `nack` naks with
 *   the delay; on attempt `maxAttempts` the adapter publishes a {@link DeadLetter} envelope to the dead-letter
 *   topic and terminates the message. Messages that are not valid envelopes are dead-lettered at once.
 *   The consumer's `max_deliver` stays unlimited so that a failed dead-letter publish means redelivery, not loss.
 * - Traced per the OpenTelemetry messaging conventions (`messaging.system = nats`, not a listed value): a
 *   PRODUCER span `send <topic>` per publish, its W3C context injected into the envelope's `traceparent`, and
 *   a CONSUMER span `process <topic>` per delivery, child of that context. No-ops without an SDK.
 * - nats.js reconnects by itself (forever); pull loops resume on the durable consumers after a restart.
 */
export class NatsTransport implements Transport {
  /** `nats`. */
  readonly name = 'nats';
  readonly #connection: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #options: ResolvedOptions;
  readonly #streams = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<NatsSubscription>();
  #jsm: Promise<JetStreamManager> | undefined;
  #closing = false;
  #closed = false;
  #closeDone: Promise<void> | undefined;

  /** Uses `connection` (built by {@link createNatsTransport}); `close()` closes it when `options.closeConnection`. */
  constructor(connection: NatsConnection, options: ResolvedOptions) {
    this.#options = options;
    this.#connection = connection;
    this.#js = jetstream(connection);
  }

  /** Validates and publishes `envelope` on `<prefix>.<topic>`; resolves on the JetStream ack. */
  async publish<P>(topic: string, envelope: Envelope<P>): Promise<void> {
    this.#checkOpen(this.#closed);
    checkName(topic, 'topic');
    await tracedPublish({ system: 'nats', destination: topic }, envelope, (traced) => this.#send(topic, traced));
  }

  async #send(topic: string, envelope: Envelope): Promise<void> {
    const valid = parseEnvelope(envelope);
    const data = encodeWireFrame(valid, undefined, this.#options.wireFormat);
    const subject = subjectOf(this.#options.prefix, topic);
    const deadline = Date.now() + this.#options.publishTimeoutMs;
    for (let round = 0; ; round++) {
      try {
        await this.#stream(topic);
        const timeout = Math.max(250, Math.min(PUBLISH_REQUEST_MS, deadline - Date.now()));
        const published = this.#js.publish(subject, data, { msgID: valid.id, timeout });
        coalesceWrites(this.#connection);
        await published;
        return;
      } catch (error) {
        this.#streams.delete(topic);
        if (this.#connection.isClosed() || Date.now() >= deadline) {
          throw toDissonanceError(error, 'E_TRANSPORT', `publish to topic ${topic} failed`);
        }
        await sleep(Math.min(1000, 50 * 2 ** round));
      }
    }
  }

  /** Creates the topic's stream and the group's durable consumer if missing, then starts pulling. */
  async subscribe<P>(
    topic: string,
    handler: (delivery: Delivery<P>) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    this.#checkOpen(this.#closing);
    checkName(topic, 'topic');
    if (typeof handler !== 'function') {
      throw new DissonanceError('E_INPUT', 'handler must be a function', { details: { field: 'handler' } });
    }
    const settings = resolveSubscribeOptions(topic, options);
    const stream = streamNameOf(this.#options.streamPrefix, topic);
    const durable = durableNameOf(settings.group);
    let consumer;
    try {
      await this.#stream(topic);
      await ensureConsumer(await this.#manager(), stream, durable, {
        maxAckPending: settings.prefetch,
        ackWaitMs: this.#options.ackWaitMs,
      });
      consumer = await this.#js.consumers.get(stream, durable);
    } catch (error) {
      throw toDissonanceError(error, 'E_TRANSPORT', `subscribe to topic ${topic} as group ${settings.group} failed`);
    }
    this.#checkOpen(this.#closing);
    const subscription = new NatsSubscription(
      consumer,
      {
        topic,
        stream,
        durable,
        settings,
        ackWaitMs: this.#options.ackWaitMs,
        publish: (to, envelope) => this.publish(to, envelope),
        coalesceWrites: () => coalesceWrites(this.#connection),
        closed: (sub) => this.#subscriptions.delete(sub),
      },
      tracedHandler({ system: 'nats', destination: topic, group: settings.group }, (delivery) =>
        handler(delivery as Delivery<P>),
      ),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** A round trip to the server; `E_TRANSPORT` when closed or without an answer within 2 s. */
  async ping(): Promise<void> {
    this.#checkOpen(this.#closed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#connection.rtt(), timeout]);
    } catch (error) {
      throw toDissonanceError(error, 'E_TRANSPORT', 'NATS ping failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Closes every subscription (waiting for in-flight handlers, which may still publish), then refuses further
   * calls with `E_TRANSPORT` and, with `closeConnection`, drains and closes the connection. Idempotent.
   */
  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#closed = true;
    if (this.#options.closeConnection && !this.#connection.isClosed()) {
      await this.#connection.drain().catch(() => this.#connection.close());
    }
  }

  #checkOpen(closed: boolean): void {
    if (closed || this.#connection.isClosed()) throw new DissonanceError('E_TRANSPORT', 'NATS transport is closed');
  }

  #manager(): Promise<JetStreamManager> {
    if (this.#jsm === undefined) {
      const jsm = jetstreamManager(this.#connection);
      this.#jsm = jsm;
      jsm.catch(() => {
        if (this.#jsm === jsm) this.#jsm = undefined;
      });
    }
    return this.#jsm;
  }

  #stream(topic: string): Promise<void> {
    let ready = this.#streams.get(topic);
    if (ready === undefined) {
      const name = streamNameOf(this.#options.streamPrefix, topic);
      const subject = subjectOf(this.#options.prefix, topic);
      ready = this.#manager().then((jsm) => ensureStream(jsm, name, subject));
      this.#streams.set(topic, ready);
      ready.catch(() => {
        if (this.#streams.get(topic) === ready) this.#streams.delete(topic);
      });
    }
    return ready;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
