/**
 * A batch of items: `rows × width` features, row-major, as one `Float32Array`.
 * Item ids are optional; the engine assigns `"<run>:<batchId>:<row>"` when they are absent (`<run>`: eight random
 * characters per engine instance, so that a restarted engine's default ids do not collide with stored examples).
 */
export interface Batch {
  /** Row-major features, length `rows × width`. */
  readonly x: Float32Array;
  /** Number of rows in `x`. */
  readonly rows: number;
  /** Stable ids for the rows, used for idempotency, golden guarding and provenance. */
  readonly ids?: readonly string[];
}

/** Where a training target came from. */
export type LabelOrigin = 'oracle' | 'pseudo' | 'critic' | 'feedback';

/** A hard class label or a soft distribution over classes. */
export type Target =
  { readonly kind: 'hard'; readonly label: number } | { readonly kind: 'soft'; readonly probs: Float32Array };

/** Provenance of a training example: the item, the models and the measurement that produced it. */
export interface Provenance {
  readonly itemId: string;
  readonly origin: LabelOrigin;
  readonly dissonance: number;
  readonly proposerVersion: string;
  /** Epoch milliseconds when the example was made (engine clock). */
  readonly at: number;
  /** W3C trace id of the item's trace, when tracing is on. */
  readonly traceId?: string;
  /** Span id of the reconcile span that produced the example (with `traceId`, the retrain's span link). */
  readonly spanId?: string;
}

/** One example the trainer may learn from. */
export interface TrainingExample {
  /** Unique id (the item id); the replay buffer keeps one example per id. */
  readonly id: string;
  /** Features, length = model input width. */
  readonly x: Float32Array;
  readonly target: Target;
  /** Sample weight, > 0. Pseudo-labels usually weigh less than oracle labels. */
  readonly weight: number;
  readonly provenance: Provenance;
}

/** A labelled reference set the loop never trains on: the golden holdout. */
export interface GoldenSet {
  /** Row-major features. */
  readonly x: Float32Array;
  readonly rows: number;
  /** True class per row. */
  readonly labels: Int32Array | readonly number[];
  /** Optional ids; items with these ids are never trained on. */
  readonly ids?: readonly string[];
}
