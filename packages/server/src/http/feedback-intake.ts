import {
  DissonanceError,
  QUARANTINE_KEY,
  quarantinedFeedback,
  type DedupStore,
  type FeedbackItem,
  type FeedbackOutcome,
  type PoisoningGuard,
  type QuarantineRecord,
} from '@dissonance/core';
import type { EngineView } from './champion-models.js';
import { HttpError } from './http-error.js';

export { QUARANTINE_KEY, type FeedbackItem, type FeedbackOutcome, type QuarantineRecord };

/** What {@link FeedbackIntake} passes to `engine.feedback` (defaults: the engine's `ENGINE_DEFAULTS.feedback`). */
export interface FeedbackIntakeOptions {
  readonly engine: EngineView;
  readonly guard: PoisoningGuard | undefined;
  readonly dedup: DedupStore;
  readonly dedupTtlMs: number | undefined;
  /** Accepted items between two retrains started by feedback (0: never). */
  readonly retrainEvery: number | undefined;
  readonly maxQuarantine: number | undefined;
}

/**
 * The feedback route's side of `engine.feedback` (where the loop logic lives): passes the handler's settings
 * with the principal as `who`, and answers the engine's refusals as HTTP errors (400 `E_INPUT`, 429
 * `E_RATE_LIMITED` with `retry-after`).
 */
export class FeedbackIntake {
  readonly #o: FeedbackIntakeOptions;

  constructor(options: FeedbackIntakeOptions) {
    this.#o = options;
  }

  /** Stores what is new in `items` for `principal`. */
  async submit(principal: string, items: readonly FeedbackItem[]): Promise<FeedbackOutcome> {
    const o = this.#o;
    try {
      return await o.engine.feedback(items, {
        who: principal,
        dedup: o.dedup,
        ...(o.guard === undefined ? {} : { guard: o.guard }),
        ...(o.dedupTtlMs === undefined ? {} : { dedupTtlMs: o.dedupTtlMs }),
        ...(o.retrainEvery === undefined ? {} : { retrainEvery: o.retrainEvery }),
        ...(o.maxQuarantine === undefined ? {} : { maxQuarantine: o.maxQuarantine }),
      });
    } catch (error) {
      throw toHttpError(error);
    }
  }

  /** Resolves when pending feedback and a retrain it started have settled. */
  settled(): Promise<void> {
    return this.#o.engine.settled();
  }
}

/** The quarantined feedback held in `store`, oldest first. */
export function quarantined(store: EngineView['store']): Promise<QuarantineRecord[]> {
  return quarantinedFeedback(store);
}

function toHttpError(error: unknown): unknown {
  if (!(error instanceof DissonanceError)) return error;
  if (error.code === 'E_INPUT') return new HttpError(400, 'E_INPUT', error.message);
  if (error.code === 'E_RATE_LIMITED') {
    const wait = error.details.retryAfterMs;
    const seconds = typeof wait === 'number' ? Math.max(1, Math.ceil(wait / 1000)) : 3600;
    return new HttpError(429, 'E_RATE_LIMITED', error.message, { 'retry-after': String(seconds) });
  }
  return error;
}
