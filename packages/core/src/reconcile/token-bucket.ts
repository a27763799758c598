import type { Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';

/** Milliseconds in an hour: one token's worth of fill, in the bucket's internal units. */
const HOUR_MS = 3_600_000;

/**
 * A token bucket refilled continuously at `perHour` tokens per hour, holding at most `perHour` tokens
 * (one hour's worth; at least one token, so that a rate below 1/h still lets an item through). Starts full. Time comes in as `now` (engine-clock ms) on each call, defaulting to
 * the injected clock; time that goes backwards is ignored.
 *
 * Internally the fill is kept in token × ms units, so with integer rates and times the arithmetic is exact:
 * at {@link TokenBucket.nextTokenAt} a token is always there.
 */
export class TokenBucket {
  readonly #clock: Clock;
  #perHour: number;
  /** Tokens × {@link HOUR_MS}. */
  #fill: number;
  #last: number;

  /**
   * @param perHour tokens per hour, also the capacity (at least 1); finite and > 0.
   * @param clock time source for calls that give no `now`, and for the start time.
   * @throws DissonanceError `E_POLICY` when `perHour` is not a finite number > 0.
   */
  constructor(perHour: number, clock: Clock) {
    checkRate(perHour);
    this.#clock = clock;
    this.#perHour = perHour;
    this.#fill = capacity(perHour);
    this.#last = clock.now();
  }

  /** Tokens per hour (and capacity, when ≥ 1). */
  get perHour(): number {
    return this.#perHour;
  }

  /** Tokens in the bucket at `now`, fractional. */
  available(now: number = this.#clock.now()): number {
    this.#refill(now);
    return this.#fill / HOUR_MS;
  }

  /** Takes one token when a whole one is there; returns whether it did. */
  tryTake(now: number = this.#clock.now()): boolean {
    this.#refill(now);
    if (this.#fill < HOUR_MS) return false;
    this.#fill -= HOUR_MS;
    return true;
  }

  /**
   * Takes up to `count` tokens, one by one while a whole one is there; returns how many it took. The same as
   * `count` calls of {@link TokenBucket.tryTake} at one `now`, in one call.
   */
  tryTakeMany(count: number, now: number = this.#clock.now()): number {
    this.#refill(now);
    const fill = this.#fill;
    if (Number.isSafeInteger(fill)) {
      // Integers below 2⁵³: each of the loop's subtractions would be exact, so one multiplication gives the
      // same fill and count (the division only estimates the count; the two loops settle it exactly).
      let taken = Math.max(0, Math.min(count, Math.floor(fill / HOUR_MS)));
      while (taken > 0 && fill - taken * HOUR_MS < 0) taken--;
      while (taken < count && fill - taken * HOUR_MS >= HOUR_MS) taken++;
      this.#fill = fill - taken * HOUR_MS;
      return taken;
    }
    let taken = 0;
    while (taken < count && this.#fill >= HOUR_MS) {
      this.#fill -= HOUR_MS;
      taken++;
    }
    return taken;
  }

  /** Earliest time (ms, ≥ `now`) at which {@link TokenBucket.tryTake} will succeed; `now` when it would now. */
  nextTokenAt(now: number = this.#clock.now()): number {
    this.#refill(now);
    const at = Math.max(now, this.#last);
    const missing = HOUR_MS - this.#fill;
    if (missing <= 0) return at;
    let wait = Math.ceil(missing / this.#perHour);
    // Guard against rounding with fractional rates: the token must be whole at `at + wait`.
    while (this.#fill + wait * this.#perHour < HOUR_MS) wait++;
    return at + wait;
  }

  /**
   * Changes the rate (and capacity) from `now` on. Time before `now` is refilled at the old rate; the fill
   * fraction is kept, so a full bucket stays full and a half-empty one stays half-empty.
   *
   * @throws DissonanceError `E_POLICY` when `perHour` is not a finite number > 0.
   */
  setRate(perHour: number, now: number = this.#clock.now()): void {
    checkRate(perHour);
    if (perHour === this.#perHour) return;
    this.#refill(now);
    const full = capacity(perHour);
    this.#fill = Math.min(full, (this.#fill / capacity(this.#perHour)) * full);
    this.#perHour = perHour;
  }

  /** Adds what has dripped in since the last call, up to capacity. */
  #refill(now: number): void {
    if (!(now > this.#last)) return;
    this.#fill = Math.min(capacity(this.#perHour), this.#fill + (now - this.#last) * this.#perHour);
    this.#last = now;
  }
}

/** Capacity in token × ms units: `perHour` tokens, at least one. */
function capacity(perHour: number): number {
  return Math.max(perHour, 1) * HOUR_MS;
}

/** Throws unless `perHour` is a usable rate. */
function checkRate(perHour: number): void {
  if (!Number.isFinite(perHour) || perHour <= 0) {
    throw new DissonanceError('E_POLICY', `budget: tokens per hour must be a finite number > 0, got ${perHour}`, {
      details: { argument: 'perHour', actual: String(perHour) },
    });
  }
}
