import type { Target, LabelOrigin } from './batch.js';

/** What a label source sees about one item that passed the earlier gates. */
export interface LabelRequest {
  readonly itemId: string;
  /** The item's features (a view; copy before keeping). */
  readonly x: Float32Array;
  /** Proposer probabilities for the item. */
  readonly proposer: Float32Array;
  /** Each critic's probabilities for the item. */
  readonly critics: readonly Float32Array[];
  /** The item's dissonance. */
  readonly dissonance: number;
}

/** A label for one item, with how much the trainer should trust it. */
export interface LabelAnswer {
  readonly target: Target;
  /** Sample weight in (0, 1]. */
  readonly weight: number;
  readonly origin: LabelOrigin;
}

/**
 * Where truth comes from: an oracle or human queue, critic trust, agreement pseudo-labels.
 * Answers `undefined` for an item it cannot label; the next source in the chain is asked then.
 */
export interface LabelSource {
  readonly name: string;
  /** One answer (or `undefined`) per request, in order. */
  label(requests: readonly LabelRequest[]): Promise<readonly (LabelAnswer | undefined)[]>;
}
