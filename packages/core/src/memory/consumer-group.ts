import type { Clock, TimerHandle } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import { errorText } from '../util/error-text.js';
import type { DeadLetter, Delivery, Envelope, Subscription } from '../ports/transport.js';
import { Fifo } from './fifo.js';

/** A handler as the group stores it. */
export type GroupHandler = (delivery: Delivery) => Promise<void>;

/** Settings of one subscriber, defaults applied. */
export interface SubscriberSettings {
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly deadLetterTopic: string;
}

/** What a group needs from its transport. */
export interface GroupHost {
  readonly clock: Clock;
  /** Sends a message that ran out of attempts to `topic`; must not throw. */
  deadLetter(topic: string, letter: DeadLetter): void;
}

interface Message {
  /** The group's private copy, as published. */
  readonly envelope: Envelope;
  /** Delivery number this message will carry next. */
  readonly attempt: number;
}

interface Subscriber extends SubscriberSettings {
  readonly handler: GroupHandler;
  unsettled: number;
  closed: boolean;
  readonly running: Set<Promise<void>>;
}

/**
 * One consumer group of one topic in a {@link MemoryTransport}: a queue that outlives its subscribers,
 * shared among them round-robin, each subscriber holding at most `prefetch` unsettled deliveries.
 * A nack puts the message back at the end of the queue with attempt + 1 — after `delayMs` on the clock, or
 * on the next macrotask when there is no delay — or hands it to the dead-letter topic once the attempt
 * reached `maxAttempts`.
 */
export class ConsumerGroup {
  readonly #topic: string;
  readonly #host: GroupHost;
  readonly #queue = new Fifo<Message>();
  readonly #subscribers: Subscriber[] = [];
  readonly #timers = new Set<TimerHandle>();
  #next = 0;
  #scheduled = false;
  #stopped = false;

  constructor(topic: string, host: GroupHost) {
    this.#topic = topic;
    this.#host = host;
  }

  /** Queues a message (a private copy: the group keeps it as it is). */
  enqueue(envelope: Envelope): void {
    this.#push({ envelope, attempt: envelope.attempt });
  }

  /** Adds a subscriber that starts receiving at once. */
  subscribe(handler: GroupHandler, settings: SubscriberSettings): Subscription {
    const subscriber: Subscriber = { ...settings, handler, unsettled: 0, closed: false, running: new Set() };
    this.#subscribers.push(subscriber);
    this.#schedule();
    return { close: () => this.#close(subscriber) };
  }

  /** Closes every subscriber and cancels pending redeliveries; the group delivers nothing more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const handle of this.#timers) this.#host.clock.clearTimeout(handle);
    this.#timers.clear();
    this.#queue.drain();
    await Promise.all([...this.#subscribers].map((subscriber) => this.#close(subscriber)));
  }

  async #close(subscriber: Subscriber): Promise<void> {
    if (!subscriber.closed) {
      subscriber.closed = true;
      const index = this.#subscribers.indexOf(subscriber);
      if (index >= 0) {
        this.#subscribers.splice(index, 1);
        if (this.#next > index) this.#next--;
      }
      this.#schedule();
    }
    await Promise.all([...subscriber.running]);
  }

  #push(message: Message): void {
    if (this.#stopped) return;
    this.#queue.push(message);
    this.#schedule();
  }

  /** Dispatches on a microtask, so that publishing never runs handlers on the publisher's stack. */
  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#stopped) {
      const subscriber = this.#nextSubscriber();
      if (subscriber === undefined) return;
      const message = this.#queue.shift();
      if (message === undefined) return;
      this.#deliver(subscriber, message);
    }
  }

  /** The next subscriber, round-robin, that may take one more delivery. */
  #nextSubscriber(): Subscriber | undefined {
    const count = this.#subscribers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
      const subscriber = this.#subscribers[index];
      if (subscriber !== undefined && subscriber.unsettled < subscriber.prefetch) {
        this.#next = (index + 1) % count;
        return subscriber;
      }
    }
    return undefined;
  }

  #deliver(subscriber: Subscriber, message: Message): void {
    subscriber.unsettled++;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      subscriber.unsettled--;
      this.#schedule();
      return true;
    };
    const delivery: Delivery = {
      envelope: Object.freeze({ ...message.envelope, attempt: message.attempt }),
      ack: () => {
        settle();
        return Promise.resolve();
      },
      nack: (options = {}) => {
        const delayMs = options.delayMs ?? 0;
        if (!Number.isFinite(delayMs) || delayMs < 0) {
          return Promise.reject(
            new DissonanceError('E_INPUT', `nack delayMs must be a finite number ≥ 0, got ${delayMs}`),
          );
        }
        if (settle()) this.#retry(subscriber, message, delayMs, options.error ?? 'nacked without an error message');
        return Promise.resolve();
      },
    };
    const run = Promise.resolve()
      .then(() => subscriber.handler(delivery))
      .then(
        () => delivery.ack(),
        (error: unknown) => delivery.nack({ error: errorText(error) }),
      );
    subscriber.running.add(run);
    void run.finally(() => subscriber.running.delete(run));
  }

  #retry(subscriber: Subscriber, message: Message, delayMs: number, error: string): void {
    if (message.attempt >= subscriber.maxAttempts) {
      const envelope = Object.freeze({ ...message.envelope, attempt: message.attempt });
      this.#host.deadLetter(subscriber.deadLetterTopic, { envelope, error, topic: this.#topic });
      return;
    }
    const next: Message = { envelope: message.envelope, attempt: message.attempt + 1 };
    if (this.#stopped) return;
    if (delayMs === 0) {
      // A macrotask, not the clock: a handler that always fails must not starve timers and I/O.
      setTimeout(() => this.#push(next), 0);
      return;
    }
    const handle = this.#host.clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.#push(next);
    }, delayMs);
    this.#timers.add(handle);
  }
}
