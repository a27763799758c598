/** Why an item was blocked or deferred. */
export type DecisionReason =
  | 'invalid-output'
  | 'golden'
  | 'max-dissonance'
  | 'over-budget'
  | 'no-label'
  | 'below-threshold'
  /** A model's output (or the dissonance) was NaN or ±Infinity: the item is quarantined, never trained on. */
  | 'non-finite-output';

/** What one gate says about one item. */
export type GateDecision =
  | { readonly outcome: 'pass' }
  | { readonly outcome: 'block'; readonly reason: DecisionReason; readonly message: string }
  | {
      readonly outcome: 'defer';
      readonly reason: DecisionReason;
      readonly message: string;
      /** Engine-clock time (ms) when the item may be tried again. */
      readonly retryAt: number;
    };

/** What the reconcile gates see about one item. Arrays are views into batch buffers: copy to keep. */
export interface ReconcileItem {
  readonly itemId: string;
  /** Features of the item. */
  readonly x: Float32Array;
  /** Proposer probabilities. */
  readonly proposer: Float32Array;
  /** Critic probabilities, one per critic. */
  readonly critics: readonly Float32Array[];
  /** Measured dissonance. */
  readonly dissonance: number;
}

/**
 * One reconcile step. Gates run in order; the first that does not pass decides. `check` must be cheap and
 * synchronous; a gate that consumes a resource (the budget) does so only when it passes.
 */
export interface Gate {
  readonly name: string;
  check(item: ReconcileItem, now: number): GateDecision;
}
