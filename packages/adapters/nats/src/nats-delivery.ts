import type { Delivery, Envelope } from '@dissonance/core';
import type { JsMsg } from '@nats-io/jetstream';

/** What a {@link NatsDelivery} asks of its subscription when it settles. */
export interface SettleHost {
  /** Deliveries a message may get before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Publishes the dead letter of `msg` with `error`, then terminates `msg` (or redelivers it on failure). */
  deadLetter(msg: JsMsg, envelope: Envelope, error: string): Promise<void>;
  /** Called once, when the delivery is settled. */
  settled(msg: JsMsg): void;
}

/**
 * One delivered JetStream message as a {@link Delivery}: `ack` acks it, `nack` naks it with the delay (the
 * server redelivers with the next delivery count) or, on the last attempt, dead-letters it. Settling twice is a
 * no-op.
 */
export class NatsDelivery<P> implements Delivery<P> {
  readonly envelope: Envelope<P>;
  readonly #msg: JsMsg;
  readonly #host: SettleHost;
  #settled = false;

  constructor(msg: JsMsg, envelope: Envelope<P>, host: SettleHost) {
    this.#msg = msg;
    this.envelope = envelope;
    this.#host = host;
  }

  /** True once `ack` or `nack` was called. */
  get settled(): boolean {
    return this.#settled;
  }

  ack(): Promise<void> {
    if (!this.#begin()) return Promise.resolve();
    this.#msg.ack();
    this.#host.settled(this.#msg);
    return Promise.resolve();
  }

  async nack(options: { delayMs?: number; error?: string } = {}): Promise<void> {
    if (!this.#begin()) return;
    try {
      if (this.envelope.attempt >= this.#host.maxAttempts) {
        const error = options.error ?? `nacked on attempt ${this.envelope.attempt} of ${this.#host.maxAttempts}`;
        await this.#host.deadLetter(this.#msg, this.envelope, error);
        return;
      }
      const delayMs = options.delayMs;
      if (delayMs !== undefined && Number.isFinite(delayMs) && delayMs > 0) this.#msg.nak(Math.ceil(delayMs));
      else this.#msg.nak();
    } finally {
      this.#host.settled(this.#msg);
    }
  }

  #begin(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}
