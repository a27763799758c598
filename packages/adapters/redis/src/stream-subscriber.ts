import {
  DEAD_LETTER_TYPE,
  DissonanceError,
  randomId,
  type DeadLetter,
  type Delivery,
  type Envelope,
} from '@dissonance/core';
import { createEnvelope, errorText, traceContextOf } from '@dissonance/core/adapter-kit';
import type { Redis } from 'ioredis';
import { AckBatcher } from './ack-batcher.js';
import { decodeEnvelope } from './decode-envelope.js';
import type { GroupKeys } from './keys.js';
import type { ResolvedOptions, SubscriberSettings } from './options.js';
import { clientIdsNamed, createGroups, isNoGroup, transportCall } from './redis-commands.js';
import { ACK_SCRIPT, DEAD_LETTER_SCRIPT, MOVE_DUE_SCRIPT, RETRY_SCRIPT } from './scripts.js';
import { parseClaimReply, parsePendingCounts, parseReadReply, type StreamEntry } from './stream-reply.js';
import { wireBody } from './wire-body.js';

/** Everything one subscriber needs. */
export interface SubscriberContext {
  readonly topic: string;
  readonly settings: SubscriberSettings;
  readonly options: ResolvedOptions;
  readonly keys: GroupKeys;
  /** Consumer name inside the group, unique to this subscriber. */
  readonly consumer: string;
  /** Shared connection for settlements and housekeeping. */
  readonly commands: Redis;
  /** Dedicated connection for the blocking `XREADGROUP`, named `readerName`. */
  readonly reader: Redis;
  readonly readerName: string;
  readonly handler: (delivery: Delivery) => Promise<void>;
  /** Called once the subscriber has closed. */
  readonly onClosed: () => void;
}

/** Most delayed retries one sweep moves. */
const SWEEP_BATCH = 100;

/**
 * One subscriber of a consumer group: a read loop on a dedicated blocking connection that reads at most its
 * free prefetch slots from the topic stream and the group's retry stream, runs the handler on each entry and
 * settles it atomically (ack, retry now, retry later through the delayed set, dead-letter). Between reads it
 * keeps its in-flight entries fresh, claims entries of dead consumers (`XAUTOCLAIM`) and moves due delayed
 * retries. Read errors (a lost connection, a server restart) are retried with backoff; a lost group is
 * re-created.
 */
export class StreamSubscriber {
  readonly #ctx: SubscriberContext;
  /** Read but not yet handed to the handler (an `XREADGROUP` of two streams may return up to twice COUNT). */
  readonly #buffer: StreamEntry[] = [];
  /** Every entry in flight or buffered, by id: of the topic stream, and of the retry stream. */
  readonly #held = new Map<string, StreamEntry>();
  readonly #heldRetries = new Map<string, StreamEntry>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #tickMs: number;
  readonly #sweepMs: number;
  readonly #acks: AckBatcher;
  /** Entries being processed. */
  #inFlight = 0;
  /** Called when the last in-flight entry is settled (close waits for it). */
  #drained: (() => void) | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #nextTick = 0;
  #nextSweep = 0;

  constructor(ctx: SubscriberContext) {
    this.#ctx = ctx;
    this.#acks = new AckBatcher(ctx.commands, ctx.settings.group);
    this.#tickMs = Math.max(10, Math.floor(ctx.options.claimIdleMs / 3));
    this.#sweepMs = Math.min(ctx.options.blockMs, 1000);
  }

  /** Starts the read loop. */
  start(): void {
    this.#loop = this.#run();
  }

  /** Stops reading, waits for in-flight handlers, gives buffered entries back to the group, disconnects. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  #free(): number {
    return this.#ctx.settings.prefetch - this.#inFlight - this.#buffer.length;
  }

  async #run(): Promise<void> {
    const { reader, settings, consumer, keys, options } = this.#ctx;
    let failures = 0;
    while (!this.#closing) {
      try {
        await this.#housekeeping();
        const free = this.#free();
        // Read in batches: while deliveries are in flight, wait until half the prefetch window is free rather
        // than issuing one XREADGROUP per settled entry.
        const lowWater = this.#inFlight > 0 ? Math.max(1, Math.floor(settings.prefetch / 2)) : 1;
        if (free < lowWater) {
          await this.#waitForSlot(this.#tickMs);
          continue;
        }
        const reply = await reader.callBuffer(
          'XREADGROUP',
          'GROUP',
          settings.group,
          consumer,
          'COUNT',
          String(free),
          'BLOCK',
          String(options.blockMs),
          'STREAMS',
          keys.stream,
          keys.retry,
          '>',
          '>',
        );
        this.#accept(parseReadReply(reply));
        failures = 0;
      } catch (error) {
        if (this.#closing) break;
        failures++;
        if (isNoGroup(error)) {
          // The stream or group vanished (server restart without persistence, keys deleted): re-create it and
          // read everything the new stream holds.
          await createGroups(this.#ctx.commands, keys, settings.group, '0').catch(() => undefined);
        }
        await this.#waitForSlot(Math.min(25 * 2 ** failures, 1000));
      }
    }
  }

  /** Resolves on the next settlement, on close, or after `ms`. */
  #waitForSlot(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Heartbeat and claim every `claimIdleMs / 3`; sweep due delayed retries every `min(blockMs, 1 s)`. */
  async #housekeeping(): Promise<void> {
    const now = Date.now();
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + this.#sweepMs;
      await this.#sweep();
    }
    if (now >= this.#nextTick) {
      this.#nextTick = now + this.#tickMs;
      await this.#heartbeat();
      await this.#claim();
    }
  }

  /** Resets the idle time of held entries (`XCLAIM … JUSTID` to ourselves), so no one claims live work. */
  async #heartbeat(): Promise<void> {
    const { commands, settings, consumer, keys } = this.#ctx;
    for (const [stream, held] of [
      [keys.stream, this.#held],
      [keys.retry, this.#heldRetries],
    ] as const) {
      if (held.size > 0) await commands.call('XCLAIM', stream, settings.group, consumer, '0', ...held.keys(), 'JUSTID');
    }
  }

  /** Claims entries idle for `claimIdleMs` (their consumer died) from both streams, up to the free slots. */
  async #claim(): Promise<void> {
    const { commands, settings, consumer, keys, options } = this.#ctx;
    for (const stream of [keys.stream, keys.retry]) {
      const free = this.#free();
      if (free <= 0) return;
      const reply = await commands.callBuffer(
        'XAUTOCLAIM',
        stream,
        settings.group,
        consumer,
        String(options.claimIdleMs),
        '0-0',
        'COUNT',
        String(free),
      );
      const claimed = parseClaimReply(stream, reply).entries.filter((entry) => !this.#heldOf(entry).has(entry.id));
      const first = claimed[0];
      const last = claimed.at(-1);
      if (first === undefined || last === undefined) continue;
      const pending = await commands.call(
        'XPENDING',
        stream,
        settings.group,
        first.id,
        last.id,
        String(claimed.length + settings.prefetch * 2),
        consumer,
      );
      const counts = parsePendingCounts(pending);
      this.#accept(claimed.map((entry) => ({ ...entry, deliveries: counts.get(entry.id) ?? 2 })));
    }
  }

  /** Moves due delayed retries of the group into its retry stream. */
  async #sweep(): Promise<void> {
    const { commands, keys } = this.#ctx;
    for (;;) {
      const moved = await commands.eval(MOVE_DUE_SCRIPT, 2, keys.delayed, keys.retry, String(SWEEP_BATCH));
      if (typeof moved !== 'number' || moved < SWEEP_BATCH) return;
    }
  }

  #accept(entries: readonly StreamEntry[]): void {
    for (const entry of entries) {
      const held = this.#heldOf(entry);
      if (held.has(entry.id)) continue;
      held.set(entry.id, entry);
      this.#buffer.push(entry);
    }
    this.#pump();
  }

  #pump(): void {
    while (!this.#closing && this.#inFlight < this.#ctx.settings.prefetch) {
      const entry = this.#buffer.shift();
      if (entry === undefined) return;
      void this.#deliver(entry);
    }
  }

  /** Where `entry` is held: by id, per stream. */
  #heldOf(entry: StreamEntry): Map<string, StreamEntry> {
    return entry.stream === this.#ctx.keys.retry ? this.#heldRetries : this.#held;
  }

  /**
   * Decodes `entry`, runs the handler on it and settles it (a failure is settled too: retried or dead-lettered);
   * never rejects. Then frees its slot and reads or delivers more.
   */
  async #deliver(entry: StreamEntry): Promise<void> {
    this.#inFlight++;
    try {
      const decoded = decodeEnvelope(entry.raw);
      if (!decoded.ok) {
        await this.#deadLetter(entry, decoded.value, decoded.error);
        return;
      }
      const { maxAttempts } = this.#ctx.settings;
      const attempt = decoded.envelope.attempt + entry.deliveries - 1;
      const envelope: Envelope = Object.freeze(
        attempt === decoded.envelope.attempt ? decoded.envelope : { ...decoded.envelope, attempt },
      );
      if (attempt > maxAttempts) {
        const error = `delivered ${entry.deliveries} times without being settled (its consumers stopped); attempt ${attempt} exceeds maxAttempts ${maxAttempts}`;
        await this.#deadLetter(entry, envelope, error);
        return;
      }
      let settled = false;
      const delivery: Delivery = {
        envelope,
        // Not async: the ack of a topic-stream entry is the promise its XACK batch shares (no promise of its own).
        ack: () => {
          if (settled) return SETTLED;
          settled = true;
          return this.#ack(entry);
        },
        nack: async (nackOptions = {}) => {
          const delayMs = nackOptions.delayMs ?? 0;
          if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
            throw new DissonanceError('E_INPUT', `nack delayMs must be a finite number ≥ 0, got ${String(delayMs)}`, {
              details: { field: 'delayMs' },
            });
          }
          if (settled) return;
          settled = true;
          await this.#retry(entry, envelope, delayMs, nackOptions.error ?? 'nacked without an error message');
        },
      };
      try {
        await this.#ctx.handler(delivery);
      } catch (error) {
        await delivery.nack({ error: errorText(error) }).catch(() => undefined);
        return;
      }
      if (!settled) await delivery.ack().catch(() => undefined);
    } catch {
      // Every failure is settled above; nothing can be done with one that escapes (a failed dead-letter).
    } finally {
      this.#inFlight--;
      this.#heldOf(entry).delete(entry.id);
      if (this.#inFlight === 0) this.#drained?.();
      this.#signal();
      this.#pump();
    }
  }

  #isRetry(entry: StreamEntry): '1' | '0' {
    return entry.stream === this.#ctx.keys.retry ? '1' : '0';
  }

  /** Acks `entry`; never throws (a failure rejects with `E_TRANSPORT`). */
  #ack(entry: StreamEntry): Promise<void> {
    const { commands, settings } = this.#ctx;
    // A topic-stream entry needs only XACK (one command, no script upload); a retry-stream entry is also
    // deleted, atomically with its ack.
    if (this.#isRetry(entry) === '0') return this.#acks.ack(entry.stream, entry.id);
    return transportCall('XACK', async () => {
      await commands.eval(ACK_SCRIPT, 1, entry.stream, settings.group, entry.id, '1');
    });
  }

  async #retry(entry: StreamEntry, envelope: Envelope, delayMs: number, error: string): Promise<void> {
    if (envelope.attempt >= this.#ctx.settings.maxAttempts) {
      await this.#deadLetter(entry, envelope, error);
      return;
    }
    await this.#requeue(
      entry,
      wireBody({ ...envelope, attempt: envelope.attempt + 1 }, this.#ctx.options.wireFormat),
      Math.ceil(delayMs),
    );
    if (delayMs > 0) this.#sweepAfter(Math.ceil(delayMs));
  }

  /** Acks `entry` and queues `raw` again: on the retry stream now, or in the delayed set for `delayMs`. */
  async #requeue(entry: StreamEntry, raw: Buffer, delayMs: number): Promise<void> {
    const { commands, keys, settings } = this.#ctx;
    await transportCall('retry', () =>
      commands.eval(
        RETRY_SCRIPT,
        3,
        entry.stream,
        keys.delayed,
        keys.retry,
        settings.group,
        entry.id,
        String(delayMs),
        randomId(),
        raw,
        this.#isRetry(entry),
      ),
    );
  }

  async #deadLetter(entry: StreamEntry, envelope: unknown, error: string): Promise<void> {
    const { commands, keys, settings, options, topic } = this.#ctx;
    const letter: DeadLetter<unknown> = { envelope: envelope as Envelope, error, topic };
    const deadLetter = createEnvelope(DEAD_LETTER_TYPE, letter, traceContextOf(envelope));
    await transportCall('dead-letter', () =>
      commands.eval(
        DEAD_LETTER_SCRIPT,
        2,
        entry.stream,
        keys.deadLetter,
        settings.group,
        entry.id,
        wireBody(deadLetter, options.wireFormat),
        this.#isRetry(entry),
        String(options.maxLen ?? ''),
      ),
    );
  }

  /** Sweeps once a delayed retry of ours is due (the periodic sweep catches those of other consumers). */
  #sweepAfter(delayMs: number): void {
    if (this.#closing) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closing) void this.#sweep().catch(() => undefined);
    }, delayMs + 5);
    this.#timers.add(timer);
  }

  async #shutdown(): Promise<void> {
    const { commands, reader, readerName, options } = this.#ctx;
    this.#closing = true;
    this.#signal();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // Cut the blocking read short; if that fails, the read ends within blockMs anyway.
    const ids = await clientIdsNamed(commands, readerName).catch((): string[] => []);
    await Promise.all(ids.map((id) => commands.call('CLIENT', 'UNBLOCK', id).catch(() => undefined)));
    const timeout = deadline(options.blockMs + 2000);
    await Promise.race([this.#loop, timeout.promise]);
    timeout.cancel();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    // Entries read but never handed out go back to the group (its retry stream) with their attempt unchanged.
    for (const entry of this.#buffer.splice(0)) {
      this.#heldOf(entry).delete(entry.id);
      await this.#requeue(entry, entry.raw ?? Buffer.alloc(0), 0).catch(() => undefined);
    }
    reader.disconnect();
    await this.#forgetConsumer().catch(() => undefined);
    this.#ctx.onClosed();
  }

  /** Removes this consumer from the group when it owns no pending entry (else they stay claimable). */
  async #forgetConsumer(): Promise<void> {
    const { commands, keys, settings, consumer } = this.#ctx;
    for (const stream of [keys.stream, keys.retry]) {
      const pending = await commands.call('XPENDING', stream, settings.group, '-', '+', '1', consumer);
      if (Array.isArray(pending) && pending.length > 0) return;
    }
    for (const stream of [keys.stream, keys.retry]) {
      await commands.call('XGROUP', 'DELCONSUMER', stream, settings.group, consumer);
    }
  }
}

/** What `ack` returns once a delivery was settled. */
const SETTLED: Promise<void> = Promise.resolve();

/** A promise that resolves after `ms` unless cancelled first. */
function deadline(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
