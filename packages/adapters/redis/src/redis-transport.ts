import {
  DissonanceError,
  randomId,
  type Delivery,
  type Envelope,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from '@dissonance/core';
import { parseEnvelope, tracedHandler, tracedPublish } from '@dissonance/core/adapter-kit';
import { Redis } from 'ioredis';
import { clientName, groupKeys, streamKey } from './keys.js';
import {
  checkName,
  resolveOptions,
  resolveSubscriber,
  type RedisTransportOptions,
  type ResolvedOptions,
} from './options.js';
import { createGroups, transportCall, transportError } from './redis-commands.js';
import { StreamSubscriber } from './stream-subscriber.js';
import { xaddEnvelope } from './xadd-command.js';
import { coalesceWrites } from './write-coalescer.js';

/**
 * Returns the Redis Streams {@link Transport} (see {@link RedisTransport}). Rejects with `E_INPUT` naming the first
 * bad option; otherwise resolves at once and connects in the background, as ioredis does (a command waits for
 * the connection, then fails with `E_TRANSPORT`): call `ping()` to check that Redis is reachable.
 */
export function createRedisTransport(options: RedisTransportOptions = {}): Promise<Transport> {
  try {
    return Promise.resolve(new RedisTransport(resolveOptions(options)));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A {@link Transport} on Redis Streams (Redis ≥ 6.2).
 *
 * - `publish` appends `envelope <frame>` (core's binary wire frame, `encodeWireFrame`: JSON header, float32
 *   features as raw bytes) to the stream `<prefix>:<topic>` (`XADD`, optionally `MAXLEN ~`) and
 *   resolves once Redis accepted it.
 * - Each `group` is a Redis consumer group created at `$` on its first `subscribe`: it gets every message
 *   published from then on (not those published before it existed); its subscribers share them.
 * - Each subscriber reads with `XREADGROUP … BLOCK` on a dedicated connection, at most its free prefetch slots
 *   at a time, and validates every entry with `parseEnvelope` (envelope JSON written by earlier releases or
 *   other producers is read too); an invalid one is dead-lettered with the error.
 * - Settlements are atomic Lua scripts: ack = `XACK` (the acks of one event-loop turn go out as one `XACK` per
 *   stream); nack = `XACK` + the envelope with attempt + 1 on the
 *   group's retry stream (`<prefix>:<topic>:<group>:retry`) or, with a delay, in the sorted set
 *   `<prefix>:<topic>:<group>:delayed` scored by due time, moved to the retry stream when due; the last
 *   failed attempt = `XACK` + a `dead-letter` envelope on `<prefix>:<deadLetterTopic>`.
 * - Entries a dead consumer left pending are claimed after `claimIdleMs` by another subscriber of the group
 *   (`XAUTOCLAIM`) and delivered again with their attempt raised by the extra deliveries.
 * - Traced per the OpenTelemetry messaging conventions (`messaging.system = redis`, not a listed value): a
 *   PRODUCER span `send <topic>` per publish, its W3C context injected into the envelope's `traceparent`, and
 *   a CONSUMER span `process <topic>` per delivery, child of that context. No-ops without an SDK.
 * - ioredis reconnects lost connections; the read loop retries, and re-creates a group that vanished.
 *
 * Not for Redis Cluster: the settlement scripts touch keys that may hash to different slots.
 */
export class RedisTransport implements Transport {
  /** `redis`. */
  readonly name = 'redis';
  readonly #options: ResolvedOptions;
  readonly #commands: Redis;
  readonly #id = randomId();
  readonly #subscribers = new Set<StreamSubscriber>();
  /** `MAXLEN ~ <maxLen>` of every `XADD`, or nothing. */
  readonly #trim: readonly string[];
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Connects in the background (built by {@link createRedisTransport}, which checks the options). */
  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#trim = this.#options.maxLen === undefined ? [] : ['MAXLEN', '~', String(this.#options.maxLen)];
    this.#commands = new Redis(this.#options.url, {
      connectionName: clientName(this.#options.prefix, 'commands', this.#id),
    });
    // Connection errors surface through the calls that fail; without a listener ioredis would print them.
    this.#commands.on('error', () => undefined);
  }

  /** Appends `envelope` to the topic's stream; `E_ENVELOPE` when invalid, `E_TRANSPORT` when Redis fails. */
  async publish<P>(topic: string, envelope: Envelope<P>): Promise<void> {
    this.#open();
    checkName(topic, 'topic');
    await tracedPublish({ system: 'redis', destination: topic }, envelope, (traced) => this.#send(topic, traced));
  }

  async #send(topic: string, envelope: Envelope): Promise<void> {
    const command = xaddEnvelope(
      streamKey(this.#options.prefix, topic),
      this.#trim,
      parseEnvelope(envelope),
      this.#options.wireFormat,
    );
    coalesceWrites(this.#commands);
    // transportCall's work without its closure: this is every publish.
    try {
      await this.#commands.sendCommand(command);
    } catch (error) {
      throw transportError('XADD', error);
    }
  }

  /** Creates the group if needed and starts a subscriber; `E_INPUT` on bad options, `E_TRANSPORT` when Redis fails. */
  async subscribe<P>(
    topic: string,
    handler: (delivery: Delivery<P>) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    this.#open();
    checkName(topic, 'topic');
    if (typeof handler !== 'function') {
      throw new DissonanceError('E_INPUT', 'handler must be a function', { details: { field: 'handler' } });
    }
    const settings = resolveSubscriber(topic, options);
    const keys = groupKeys(this.#options.prefix, topic, settings.group, settings.deadLetterTopic);
    await transportCall('XGROUP CREATE', () => createGroups(this.#commands, keys, settings.group, '$'));
    this.#open();
    const consumer = randomId();
    const readerName = clientName(this.#options.prefix, 'reader', consumer);
    // A blocking read must wait out a reconnect instead of failing after a few retries.
    const reader = this.#commands.duplicate({ connectionName: readerName, maxRetriesPerRequest: null });
    reader.on('error', () => undefined);
    const subscriber: StreamSubscriber = new StreamSubscriber({
      topic,
      settings,
      options: this.#options,
      keys,
      consumer,
      commands: this.#commands,
      reader,
      readerName,
      handler: tracedHandler({ system: 'redis', destination: topic, group: settings.group }, (delivery) =>
        handler(delivery as Delivery<P>),
      ),
      onClosed: () => this.#subscribers.delete(subscriber),
    });
    this.#subscribers.add(subscriber);
    subscriber.start();
    return { close: () => subscriber.close() };
  }

  /** `PING`; `E_TRANSPORT` when closed or unreachable. */
  async ping(): Promise<void> {
    this.#open();
    await transportCall('PING', () => this.#commands.ping());
  }

  /** Closes every subscription (waiting for in-flight handlers), then the connection. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await Promise.all([...this.#subscribers].map((subscriber) => subscriber.close()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#commands.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
    this.#commands.disconnect();
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_TRANSPORT', 'redis transport is closed');
  }
}
