import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { DissonanceError } from '@dissonance/core';
import { backoffDelay, delay, errorText } from './backoff.js';
import type { ResolvedAmqpOptions } from './options.js';

/** One live connection with its publishing confirm channel. `generation` grows with every reconnect. */
export interface Session {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  readonly generation: number;
  /** Exchanges and queues already declared on this connection. */
  readonly declared: Set<string>;
}

type State = 'open' | 'connecting' | 'failed' | 'closed';

/**
 * The connection of an {@link AmqpTransport}: connects, and after an unexpected drop reconnects with jittered
 * exponential backoff, then tells its listeners (the subscriptions) so that they consume again.
 */
export class AmqpLink {
  readonly #options: ResolvedAmqpOptions;
  readonly #listeners = new Set<(session: Session) => void>();
  #session: Session | undefined;
  #state: State = 'connecting';
  #generation = 0;
  #waiters = new Set<() => void>();
  #lastError = '';

  constructor(options: ResolvedAmqpOptions) {
    this.#options = options;
  }

  /** Connects for the first time, retrying until `connectTimeoutMs`; `E_TRANSPORT` when that fails. */
  async open(): Promise<void> {
    const deadline = Date.now() + this.#options.connectTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        this.#adopt(await this.#connect(Math.max(1, deadline - Date.now())));
        return;
      } catch (error) {
        this.#lastError = errorText(error);
        const wait = backoffDelay(attempt, this.#options.initialDelayMs, this.#options.maxDelayMs);
        if (this.#state === 'closed' || Date.now() + wait >= deadline) {
          this.#state = 'failed';
          throw new DissonanceError('E_TRANSPORT', `cannot connect to the AMQP broker: ${this.#lastError}`, {
            cause: error,
          });
        }
        await delay(wait);
      }
    }
  }

  /** The live session, or undefined while reconnecting. */
  get current(): Session | undefined {
    return this.#state === 'open' ? this.#session : undefined;
  }

  /** Calls `listener` with each new session after a reconnect; returns the unsubscribe function. */
  onReconnect(listener: (session: Session) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The live session, waiting up to `timeoutMs` for a reconnect; `E_TRANSPORT` when none comes. */
  async session(timeoutMs: number): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const session = this.current;
      if (session !== undefined) return session;
      if (this.#state === 'closed') throw new DissonanceError('E_TRANSPORT', 'AMQP transport is closed');
      if (this.#state === 'failed') {
        throw new DissonanceError('E_TRANSPORT', `AMQP connection lost: ${this.#lastError}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DissonanceError('E_TRANSPORT', `AMQP broker unreachable for ${timeoutMs} ms: ${this.#lastError}`, {
          details: { timeoutMs },
        });
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#waiters.add(done);
      });
    }
  }

  /** Treats `session` as broken (a channel failed): drops its connection, which starts a reconnect. */
  fail(session: Session, reason: string): void {
    if (this.#session !== session || this.#state !== 'open') return;
    this.#lastError = reason;
    session.model.close().catch(() => undefined);
  }

  /** Closes the connection for good. Idempotent. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#state = 'closed';
    this.#session = undefined;
    this.#wake();
    if (session !== undefined) await session.model.close().catch(() => undefined);
  }

  async #connect(timeoutMs: number): Promise<Session> {
    let timer: NodeJS.Timeout | undefined;
    const attempt = connect(this.#options.url, { timeout: timeoutMs });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${Math.round(timeoutMs)} ms`)), timeoutMs);
    });
    let model: ChannelModel;
    try {
      model = await Promise.race([attempt, timeout]);
    } catch (error) {
      attempt
        .then(
          (late) => late.close(),
          () => undefined,
        )
        .catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    model.on('error', (error: Error) => {
      this.#lastError = errorText(error);
    });
    try {
      const publisher = await model.createConfirmChannel();
      this.#generation++;
      const session: Session = { model, publisher, generation: this.#generation, declared: new Set() };
      publisher.on('error', (error: Error) => {
        this.#lastError = errorText(error);
      });
      publisher.on('close', () => this.fail(session, this.#lastError || 'publisher channel closed'));
      model.on('close', () => this.#dropped(session));
      return session;
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  #adopt(session: Session): void {
    if (this.#state === 'closed') {
      session.model.close().catch(() => undefined);
      return;
    }
    this.#session = session;
    this.#state = 'open';
    this.#wake();
  }

  #dropped(session: Session): void {
    if (this.#session !== session || this.#state === 'closed') return;
    this.#session = undefined;
    if (!this.#options.reconnect) {
      this.#state = 'failed';
      this.#wake();
      return;
    }
    this.#state = 'connecting';
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    for (let attempt = 0; this.#state === 'connecting'; attempt++) {
      await delay(backoffDelay(attempt, this.#options.initialDelayMs, this.#options.maxDelayMs));
      if (this.#state !== 'connecting') return;
      try {
        const session = await this.#connect(this.#options.connectTimeoutMs);
        this.#adopt(session);
        if ((this.#state as State) !== 'open') return;
        for (const listener of this.#listeners) listener(session);
        return;
      } catch (error) {
        this.#lastError = errorText(error);
      }
    }
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
