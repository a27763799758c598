import type { Delivery, Envelope, Subscription } from '@dissonance/core';
import { tryDecodeWireFrame } from '@dissonance/core/adapter-kit';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { deadLetterEnvelope } from './dead-letter.js';
import { NatsDelivery, type SettleHost } from './nats-delivery.js';
import type { SubscriberSettings } from './options.js';

/** Pause before a failed `consume()` is tried again, in ms. */
const RESTART_MS = 500;
/** Redelivery delay of a message whose dead letter could not be published, in ms. */
const DEAD_LETTER_RETRY_MS = 1000;

/** What a {@link NatsSubscription} needs from its transport. */
export interface SubscriptionContext {
  readonly topic: string;
  readonly stream: string;
  readonly durable: string;
  readonly settings: SubscriberSettings;
  readonly ackWaitMs: number;
  /** The transport's publish (validated, deduplicated, retried). */
  publish(topic: string, envelope: Envelope): Promise<void>;
  /** Holds the connection's writes back until the loop's check phase (see `coalesceWrites`). */
  coalesceWrites(): void;
  /** Called once the subscription has closed. */
  closed(subscription: NatsSubscription): void;
}

/**
 * A subscriber of a group's durable pull consumer. It pulls at most `prefetch` messages, runs at most
 * `prefetch` handlers at once, tells the server an in-flight handler is still working (so `ack_wait` does not
 * expire under it), and restarts its pull loop if it ever ends while open.
 */
export class NatsSubscription implements Subscription {
  readonly #consumer: Consumer;
  readonly #context: SubscriptionContext;
  readonly #handler: (delivery: Delivery) => Promise<void>;
  readonly #inflight = new Set<Promise<void>>();
  readonly #unsettled = new Set<JsMsg>();
  readonly #settleHost: SettleHost;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #loop: Promise<void>;
  #messages: ConsumerMessages | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #slotFreed: (() => void) | undefined;

  constructor(consumer: Consumer, context: SubscriptionContext, handler: (delivery: Delivery) => Promise<void>) {
    this.#consumer = consumer;
    this.#context = context;
    this.#handler = handler;
    this.#settleHost = {
      maxAttempts: context.settings.maxAttempts,
      deadLetter: (msg, envelope, error) => this.#deadLetter(msg, envelope, error),
      settled: (msg) => {
        this.#unsettled.delete(msg);
        context.coalesceWrites();
      },
    };
    this.#heartbeat = setInterval(
      () => {
        for (const msg of this.#unsettled) msg.working();
      },
      Math.max(500, Math.floor(context.ackWaitMs / 2)),
    );
    this.#heartbeat.unref();
    this.#loop = this.#run();
  }

  /** Stops pulling, hands back buffered messages, and waits for in-flight handlers to settle. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    this.#freeSlot();
    const messages = this.#messages;
    await Promise.all([messages?.close().catch(() => undefined), this.#loop, this.#drain()]);
    clearInterval(this.#heartbeat);
    this.#context.closed(this);
  }

  async #drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  async #run(): Promise<void> {
    const prefetch = this.#context.settings.prefetch;
    while (!this.#closing) {
      try {
        const messages = await this.#consumer.consume({ max_messages: prefetch });
        this.#messages = messages;
        if (this.#closing) {
          await messages.close();
        }
        for await (const msg of messages) {
          while (!this.#closing && this.#inflight.size >= prefetch) await this.#slot();
          if (this.#closing) {
            msg.nak();
            continue;
          }
          this.#dispatch(msg);
        }
      } catch {
        // The pull loop failed (server away, consumer being recreated): start it again below.
      }
      if (!this.#closing) await this.#pause(RESTART_MS);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** Resolves when a handler finishes or the subscription closes (one shared waiter, not a race over all). */
  #slot(): Promise<void> {
    return new Promise((resolve) => {
      this.#slotFreed = resolve;
    });
  }

  #freeSlot(): void {
    const freed = this.#slotFreed;
    this.#slotFreed = undefined;
    freed?.();
  }

  #dispatch(msg: JsMsg): void {
    this.#unsettled.add(msg);
    const running = this.#handle(msg).finally(() => {
      this.#unsettled.delete(msg);
      this.#inflight.delete(running);
      this.#freeSlot();
    });
    this.#inflight.add(running);
  }

  async #handle(msg: JsMsg): Promise<void> {
    try {
      const attempt = msg.info.deliveryCount;
      const decoded = tryDecodeWireFrame(msg.data);
      if (!decoded.ok) {
        await this.#deadLetter(msg, decoded.value, decoded.error);
        return;
      }
      const { maxAttempts } = this.#context.settings;
      if (attempt > maxAttempts) {
        // Only after a failed dead-letter publish, a crash on the last attempt or an expired ack wait.
        await this.#deadLetter(
          msg,
          decoded.envelope,
          `delivered ${attempt} times without settling (maxAttempts ${maxAttempts})`,
        );
        return;
      }
      // The server's delivery count is the attempt (the envelope says 1 unless it was published as a retry).
      const envelope = attempt === decoded.envelope.attempt ? decoded.envelope : { ...decoded.envelope, attempt };
      const delivery = new NatsDelivery(msg, envelope, this.#settleHost);
      try {
        await this.#handler(delivery);
      } catch (error) {
        await delivery.nack({ error: error instanceof Error ? error.message : String(error) });
      }
      await delivery.ack();
    } catch {
      // Never let one message break the loop: let the server deliver it again.
      msg.nak(DEAD_LETTER_RETRY_MS);
    }
  }

  async #deadLetter(msg: JsMsg, original: unknown, error: string): Promise<void> {
    const { topic, stream, durable, settings } = this.#context;
    try {
      const letter = deadLetterEnvelope(original, error, topic, { stream, durable, seq: msg.seq });
      await this.#context.publish(settings.deadLetterTopic, letter);
      msg.term();
    } catch {
      msg.nak(DEAD_LETTER_RETRY_MS);
    }
  }
}
