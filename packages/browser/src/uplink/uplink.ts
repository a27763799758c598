import { DissonanceError } from '@dissonance/core';
import type { FetchFunction } from '../cache/fetch-model.js';
import { ByteBudget, type ByteBudgetOptions } from './byte-budget.js';
import { checkedFeedbackItem, type FeedbackItem, type QueuedItem } from './feedback-item.js';
import { byteLength, UplinkQueue, type QueueEntry } from './uplink-queue.js';

/** Options of {@link Uplink.open}. */
export interface UplinkOptions {
  /** The server's base URL, e.g. `https://models.example.com` (items go to `POST {url}/v1/feedback`). */
  readonly url: string;
  /** Bearer token with scope `feedback`, or a function returning the current one (asked before each request). */
  readonly token: string | (() => string | Promise<string>);
  /** IndexedDB database of the offline queue (default `dissonance-uplink`). */
  readonly dbName?: string;
  /** Items whose `dissonance` is given and below this are not queued (default 0: queue everything). */
  readonly minDissonance?: number;
  /** Most items per request (default 64). */
  readonly maxBatchItems?: number;
  /** Most bytes per request body (default 65 536). An item larger than this is refused with `E_INPUT`. */
  readonly maxBatchBytes?: number;
  /** Bytes of request bodies allowed per period; batches wait when it is spent. Default: unlimited. */
  readonly byteBudget?: ByteBudgetOptions;
  /** Backoff after a failed request: `initialMs` (default 500) doubling up to `maxMs` (default 30 000), ±20 % jitter. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Replaces the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Called for each delivery, retry, rejection and budget wait. */
  readonly onEvent?: (event: UplinkEvent) => void;
}

/** What the uplink did. */
export type UplinkEvent =
  | {
      readonly type: 'sent';
      readonly ids: readonly string[];
      readonly bytes: number;
      readonly accepted: number;
      readonly duplicates: number;
      readonly quarantined: number;
    }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'rejected'; readonly ids: readonly string[]; readonly reason: string }
  | { readonly type: 'budget'; readonly waitMs: number };

/** Result of one {@link Uplink.flush}. */
export interface FlushResult {
  /** Items delivered by this flush. */
  readonly sent: number;
  /** Items still queued. */
  readonly pending: number;
  /** Why the flush stopped early: `budget` (wait `retryInMs`), `error` (network or server; retry with backoff). */
  readonly stopped?: 'budget' | 'error';
  readonly retryInMs?: number;
  /** The error that stopped it. */
  readonly error?: DissonanceError;
}

/** Totals since the uplink was opened. */
export interface UplinkStats {
  readonly sent: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly rejected: number;
  readonly retries: number;
  readonly bytes: number;
}

/** JSON overhead of `{"items":[…]}` around the items. */
const ENVELOPE_BYTES = 12;

/**
 * Sends labelled, high-dissonance items to the server's feedback route (`POST /v1/feedback`, bearer token)
 * in batches. Every item is first written to an offline queue in IndexedDB and removed only after the server
 * answered 2xx, so nothing is lost when the tab goes offline, the server is down or the page reloads; the
 * server is idempotent by item id, so a batch re-sent after a lost answer is counted once. Failed requests are
 * retried with exponential backoff (and at once when the browser reports `online`); a byte budget caps the
 * bytes sent per period. A single item the server refuses as invalid (400/413/422) is moved to a rejected
 * list (see {@link rejected}) rather than blocking the queue.
 */
export class Uplink {
  readonly #options: UplinkOptions;
  readonly #queue: UplinkQueue;
  readonly #budget: ByteBudget | undefined;
  readonly #fetch: FetchFunction;
  readonly #maxItems: number;
  readonly #maxBytes: number;
  #flushing: Promise<FlushResult> | undefined;
  #again: Promise<FlushResult> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due = 0;
  #attempt = 0;
  #running = false;
  #closed = false;
  #stats = { sent: 0, accepted: 0, duplicates: 0, quarantined: 0, rejected: 0, retries: 0, bytes: 0 };
  readonly #online = (): void => {
    if (this.#running) this.#schedule(0);
  };

  private constructor(options: UplinkOptions, queue: UplinkQueue) {
    this.#options = options;
    this.#queue = queue;
    this.#budget = options.byteBudget === undefined ? undefined : new ByteBudget(options.byteBudget);
    this.#fetch = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
    this.#maxItems = options.maxBatchItems ?? 64;
    this.#maxBytes = options.maxBatchBytes ?? 65_536;
  }

  /** Checks the options and opens the offline queue; items queued before a reload are sent on the next flush. */
  static async open(options: UplinkOptions): Promise<Uplink> {
    checkOptions(options);
    return new Uplink(options, await UplinkQueue.open(options.dbName ?? 'dissonance-uplink'));
  }

  /**
   * Queues items (skipping those below `minDissonance` and ids already queued); resolves with how many were
   * added, once they are durable in IndexedDB. When started, a flush follows. `E_INPUT` for a bad item (then
   * nothing is queued).
   */
  async enqueue(items: readonly FeedbackItem[]): Promise<number> {
    this.#check();
    if (!Array.isArray(items)) throw new DissonanceError('E_INPUT', 'items must be an array');
    const min = this.#options.minDissonance ?? 0;
    const chosen: QueuedItem[] = [];
    items.forEach((item, i) => {
      const queued = checkedFeedbackItem(item, `items[${i}]`);
      const size = byteLength(queued) + ENVELOPE_BYTES;
      const limit = Math.min(this.#maxBytes, this.#budget?.bytes ?? Number.POSITIVE_INFINITY);
      if (size > limit)
        throw new DissonanceError(
          'E_INPUT',
          `items[${i}] is ${size} bytes as JSON, more than one request may carry (${limit})`,
        );
      if (item.dissonance === undefined || item.dissonance >= min) chosen.push(queued);
    });
    const added = chosen.length === 0 ? 0 : await this.#queue.add(chosen);
    if (this.#running && added > 0) this.#schedule(0);
    return added;
  }

  /**
   * Sends queued items, batch after batch, until the queue is empty, the byte budget is spent or a request
   * fails. A call while a flush is running runs one more flush after it (so items queued meanwhile are sent).
   * Never rejects for network or server errors: see `stopped`.
   */
  flush(): Promise<FlushResult> {
    this.#check();
    if (this.#flushing !== undefined) {
      // The flush in flight may have looked at the queue before the newest items were added: run once more after it.
      this.#again ??= this.#flushing.then(() => {
        this.#again = undefined;
        return this.#closed ? { sent: 0, pending: 0 } : this.flush();
      });
      return this.#again;
    }
    this.#flushing = this.#flush().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** Flushes now and whenever items are queued, after a backoff when a request failed, and when the browser goes online. */
  start(): void {
    this.#check();
    if (this.#running) return;
    this.#running = true;
    (globalThis as { addEventListener?: (type: string, listener: () => void) => void }).addEventListener?.(
      'online',
      this.#online,
    );
    this.#schedule(0);
  }

  /** Stops automatic flushing (queued items stay queued). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    (globalThis as { removeEventListener?: (type: string, listener: () => void) => void }).removeEventListener?.(
      'online',
      this.#online,
    );
  }

  /** Stops, waits for a flush in flight and closes the queue's database. Later calls reject with `E_STORE`. */
  async close(): Promise<void> {
    this.stop();
    await this.#flushing?.catch(() => undefined);
    await this.#again?.catch(() => undefined);
    if (!this.#closed) this.#queue.close();
    this.#closed = true;
  }

  /** Items waiting to be sent. */
  pending(): Promise<number> {
    this.#check();
    return this.#queue.count();
  }

  /** Items the server refused as invalid, with its answer. */
  rejected(): Promise<Array<{ item: QueuedItem; reason: string }>> {
    this.#check();
    return this.#queue.rejected();
  }

  /** Totals since this uplink was opened. */
  get stats(): UplinkStats {
    return { ...this.#stats };
  }

  async #flush(): Promise<FlushResult> {
    let sent = 0;
    let single = false;
    for (;;) {
      const entries = await this.#queue.peek(single ? 1 : this.#maxItems);
      if (entries.length === 0) {
        this.#attempt = 0;
        return { sent, pending: 0 };
      }
      const limit = Math.min(this.#maxBytes, this.#budget?.available() ?? Number.POSITIVE_INFINITY);
      const batch = takeWithin(entries, limit - ENVELOPE_BYTES);
      if (batch.length === 0) {
        const retryInMs = this.#budget?.waitFor(entries[0]!.bytes + ENVELOPE_BYTES) ?? 0;
        this.#options.onEvent?.({ type: 'budget', waitMs: retryInMs });
        if (this.#running) this.#schedule(retryInMs);
        return { sent, pending: await this.#queue.count(), stopped: 'budget', retryInMs };
      }
      const outcome = await this.#send(batch);
      if (outcome.kind === 'ok') {
        sent += batch.length;
        this.#attempt = 0;
        single = false;
        continue;
      }
      if (outcome.kind === 'invalid') {
        if (batch.length > 1) {
          single = true; // find the bad item: send one at a time until it is isolated
          continue;
        }
        await this.#queue.reject(batch, outcome.error.message);
        this.#stats.rejected++;
        this.#options.onEvent?.({ type: 'rejected', ids: [batch[0]!.item.id], reason: outcome.error.message });
        single = false;
        continue;
      }
      this.#attempt++;
      this.#stats.retries++;
      const retryInMs = this.#backoff();
      this.#options.onEvent?.({
        type: 'retry',
        attempt: this.#attempt,
        delayMs: retryInMs,
        reason: outcome.error.message,
      });
      if (this.#running) this.#schedule(retryInMs);
      return { sent, pending: await this.#queue.count(), stopped: 'error', retryInMs, error: outcome.error };
    }
  }

  async #send(
    batch: readonly QueueEntry[],
  ): Promise<{ kind: 'ok' } | { kind: 'invalid' | 'retry'; error: DissonanceError }> {
    const body = JSON.stringify({ items: batch.map((entry) => entry.item) });
    const bytes = new TextEncoder().encode(body).length;
    this.#budget?.spend(bytes);
    this.#stats.bytes += bytes;
    let response: Response;
    try {
      const token = typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token;
      response = await this.#fetch(`${this.#options.url.replace(/\/+$/, '')}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
        cache: 'no-store',
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        kind: 'retry',
        error: new DissonanceError('E_TRANSPORT', `feedback request failed (offline?): ${reason}`, { cause: error }),
      };
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      const error = new DissonanceError('E_TRANSPORT', `feedback answered ${response.status}: ${text.slice(0, 300)}`, {
        details: { status: response.status },
      });
      return { kind: [400, 413, 422].includes(response.status) ? 'invalid' : 'retry', error };
    }
    await this.#queue.remove(batch.map((entry) => entry.item.id));
    const answer = parseAnswer(text);
    this.#stats.sent += batch.length;
    this.#stats.accepted += answer.accepted;
    this.#stats.duplicates += answer.duplicates;
    this.#stats.quarantined += answer.quarantined;
    this.#options.onEvent?.({ type: 'sent', ids: batch.map((entry) => entry.item.id), bytes, ...answer });
    return { kind: 'ok' };
  }

  #backoff(): number {
    const initial = this.#options.retry?.initialMs ?? 500;
    const max = this.#options.retry?.maxMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(this.#attempt - 1, 30));
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  /** Flushes in `delayMs`, unless a flush is already due sooner (a backoff never delays an `online` wake-up). */
  #schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.#timer !== undefined) {
      if (this.#due <= due) return;
      clearTimeout(this.#timer);
    }
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running && !this.#closed) void this.flush().catch(() => undefined);
    }, delayMs);
  }

  #check(): void {
    if (this.#closed) throw new DissonanceError('E_STORE', 'uplink is closed');
  }
}

/** The longest prefix of `entries` whose bytes (with separators) fit in `limit`. */
function takeWithin(entries: readonly QueueEntry[], limit: number): QueueEntry[] {
  const taken: QueueEntry[] = [];
  let total = 0;
  for (const entry of entries) {
    const next = total + entry.bytes + (taken.length > 0 ? 1 : 0);
    if (next > limit) break;
    taken.push(entry);
    total = next;
  }
  return taken;
}

/** The server's counts; each may be a number or a list of ids. */
function parseAnswer(text: string): { accepted: number; duplicates: number; quarantined: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const count = (value: unknown): number =>
    Array.isArray(value) ? value.length : typeof value === 'number' ? value : 0;
  return {
    accepted: count(record.accepted),
    duplicates: count(record.duplicates),
    quarantined: count(record.quarantined),
  };
}

function checkOptions(options: UplinkOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new DissonanceError('E_CONFIG', 'uplink options must be an object');
  if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw new DissonanceError('E_CONFIG', `uplink url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (typeof options.token !== 'function' && (typeof options.token !== 'string' || options.token === '')) {
    throw new DissonanceError('E_CONFIG', 'uplink token must be a non-empty string or a function');
  }
  for (const key of ['maxBatchItems', 'maxBatchBytes'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
      throw new DissonanceError('E_CONFIG', `${key} must be a positive integer, got ${value}`);
  }
  const min = options.minDissonance;
  if (min !== undefined && (typeof min !== 'number' || !Number.isFinite(min) || min < 0)) {
    throw new DissonanceError('E_CONFIG', `minDissonance must be a finite number ≥ 0, got ${String(min)}`);
  }
  for (const key of ['initialMs', 'maxMs'] as const) {
    const value = options.retry?.[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new DissonanceError('E_CONFIG', `retry.${key} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (options.byteBudget !== undefined) new ByteBudget(options.byteBudget);
}
