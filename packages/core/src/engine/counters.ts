/** Running totals of the loop. Invariant after `stop()`: accepted = processed + blocked + deferred + failed. */
export interface LoopCounters {
  /** Rows taken in by `process` (after input validation). */
  accepted: number;
  /** Rows that went through every gate (with or without becoming an example). */
  processed: number;
  /** Rows a gate blocked (invalid output, golden, quarantine). */
  blocked: number;
  /**
   * Of `blocked`: rows quarantined because a model's output (or the dissonance) was NaN or ±Infinity (reason
   * `non-finite-output`).
   */
  nonFinite: number;
  /**
   * Replay-buffer examples kept out of retrains because a feature, or a model's output on the features, was not
   * finite (feedback written to the store directly, such as every feature 3.4e38); each counted once.
   */
  nonFiniteExamples: number;
  /** Rows waiting for budget now (they are retried, and persisted on stop). */
  deferred: number;
  /** Rows whose batch failed in generate/detect; the caller got the error for them. */
  failed: number;
  /** Examples written to the store. */
  examples: number;
  /** Rows that passed every gate but got no label. */
  unlabelled: number;
  retrains: number;
  promotions: number;
  rollbacks: number;
}

/** A zeroed counter set. */
export function newCounters(): LoopCounters {
  return {
    accepted: 0,
    processed: 0,
    blocked: 0,
    nonFinite: 0,
    nonFiniteExamples: 0,
    deferred: 0,
    failed: 0,
    examples: 0,
    unlabelled: 0,
    retrains: 0,
    promotions: 0,
    rollbacks: 0,
  };
}
