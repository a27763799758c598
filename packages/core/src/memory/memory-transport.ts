import { DEAD_LETTER_TYPE } from '../ports/transport.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { DeadLetter, Delivery, Envelope, SubscribeOptions, Subscription, Transport } from '../ports/transport.js';
import { createEnvelope, parseEnvelope } from '../schema/envelope.js';
import { tracedHandler, tracedPublish } from '../telemetry/messaging.js';
import { checkTransportName, invalidOption, resolveSubscribeOptions } from '../transport/resolve-subscribe-options.js';
import { ConsumerGroup, type GroupHost } from './consumer-group.js';
import { Fifo } from './fifo.js';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** Clock of redelivery delays and dead-letter timestamps (default the system clock). */
  readonly clock?: Clock;
}

/**
 * Creates a {@link MemoryTransport}: the same `(options) => Promise<Transport>` shape as the broker adapters'
 * factories. Rejects with `E_CONFIG` when `options` is not an object or `clock` is not a {@link Clock}.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Promise<Transport> {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) {
    return Promise.reject(
      new DissonanceError('E_CONFIG', 'memory transport options must be an object', { details: { field: 'options' } }),
    );
  }
  const clock: unknown = options.clock;
  if (
    clock !== undefined &&
    (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function')
  ) {
    return Promise.reject(
      new DissonanceError('E_CONFIG', 'memory transport clock must be a Clock', { details: { field: 'clock' } }),
    );
  }
  return Promise.resolve(new MemoryTransport(options));
}

interface Topic {
  /** Messages published while the topic had no group: the first group to subscribe receives them. */
  readonly backlog: Fifo<Envelope>;
  readonly groups: Map<string, ConsumerGroup>;
}

/**
 * The embedded {@link Transport}: topics and consumer groups in process memory, with the semantics real
 * brokers give (and the transport contract suite checks).
 *
 * - Every group of a topic gets every message; the subscribers of one group share them round-robin.
 * - A group's queue lives from its first `subscribe` on, even while it has no subscriber. Messages published
 *   to a topic that has no group yet wait in a backlog that the topic's first group receives.
 * - At-least-once: a nack (or a handler that throws, with its message as the error) redelivers after
 *   `delayMs` on the clock (on the next macrotask when 0, so a failing handler cannot starve the event loop)
 *   with `attempt + 1`; once `maxAttempts` deliveries failed, an envelope of type
 *   {@link DEAD_LETTER_TYPE} whose payload is the {@link DeadLetter} goes to the dead-letter topic
 *   (default `<topic>.dlq`). A handler that returns without settling is acked; settling twice is a no-op.
 * - `prefetch` bounds the unsettled deliveries of each subscriber.
 * - Envelopes are validated on publish (`E_ENVELOPE`) and each group gets its own structured copy, so neither
 *   publisher nor other groups see a handler's changes.
 * - Nothing is durable and queues are unbounded: a topic nobody consumes (a dead-letter topic, say) grows
 *   until `close()`. After `close()`, `publish`, `subscribe` and `ping` reject with `E_TRANSPORT`.
 * - Traced like the broker adapters (`messaging.system = memory`): a PRODUCER span per publish whose context
 *   goes into the envelope's `traceparent`, a CONSUMER span per delivery continuing it.
 */
export class MemoryTransport implements Transport {
  /** `memory`. */
  readonly name = 'memory';
  readonly #topics = new Map<string, Topic>();
  readonly #host: GroupHost;
  #closed = false;

  constructor(options: MemoryTransportOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.#host = { clock, deadLetter: (topic, letter) => this.#deadLetter(topic, letter, clock) };
  }

  publish<P>(topic: string, envelope: Envelope<P>): Promise<void> {
    try {
      this.#open();
      checkTransportName(topic, 'topic');
    } catch (error) {
      return Promise.reject(error);
    }
    return tracedPublish({ system: 'memory', destination: topic }, envelope, (traced) => this.#publish(topic, traced));
  }

  #publish(topic: string, envelope: Envelope): Promise<void> {
    try {
      this.#enqueue(topic, parseEnvelope(envelope));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  subscribe<P>(
    topic: string,
    handler: (delivery: Delivery<P>) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    try {
      this.#open();
      checkTransportName(topic, 'topic');
      if (typeof handler !== 'function') throw invalidOption('handler', 'must be a function');
      const settings = resolveSubscribeOptions(topic, options);
      const group = this.#group(topic, options.group);
      const traced = tracedHandler({ system: 'memory', destination: topic, group: options.group }, handler);
      return Promise.resolve(group.subscribe((delivery) => traced(delivery as Delivery<P>), settings));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  ping(): Promise<void> {
    try {
      this.#open();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Closes every subscription (waiting for in-flight handlers) and drops all queued messages. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const groups = [...this.#topics.values()].flatMap((topic) => [...topic.groups.values()]);
    this.#topics.clear();
    await Promise.all(groups.map((group) => group.stop()));
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_TRANSPORT', 'memory transport is closed');
  }

  #topic(name: string): Topic {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = { backlog: new Fifo(), groups: new Map() };
      this.#topics.set(name, topic);
    }
    return topic;
  }

  #group(topicName: string, groupName: string): ConsumerGroup {
    const topic = this.#topic(topicName);
    let group = topic.groups.get(groupName);
    if (group === undefined) {
      group = new ConsumerGroup(topicName, this.#host);
      const first = topic.groups.size === 0;
      topic.groups.set(groupName, group);
      if (first) for (const envelope of topic.backlog.drain()) group.enqueue(envelope);
    }
    return group;
  }

  /** Copies `envelope` once per group (all copies made before any is queued), or into the backlog. */
  #enqueue(topicName: string, envelope: Envelope): void {
    const topic = this.#topic(topicName);
    const groups = [...topic.groups.values()];
    if (groups.length === 0) {
      topic.backlog.push(copyEnvelope(envelope));
      return;
    }
    const copies = groups.map(() => copyEnvelope(envelope));
    for (const [i, group] of groups.entries()) {
      const copy = copies[i];
      if (copy !== undefined) group.enqueue(copy);
    }
  }

  #deadLetter(topic: string, letter: DeadLetter, clock: Clock): void {
    if (this.#closed) return;
    const { traceparent, tracestate } = letter.envelope;
    const envelope = createEnvelope(DEAD_LETTER_TYPE, letter, {
      now: clock.now(),
      ...(traceparent === undefined ? {} : { traceparent }),
      ...(tracestate === undefined ? {} : { tracestate }),
    });
    this.#enqueue(topic, envelope);
  }
}

function copyEnvelope(envelope: Envelope): Envelope {
  try {
    return structuredClone(envelope);
  } catch (error) {
    throw new DissonanceError('E_ENVELOPE', 'invalid envelope: payload: cannot be copied (functions, symbols…)', {
      cause: error,
      details: { field: 'payload' },
    });
  }
}
