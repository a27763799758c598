import { MAX_FEEDBACK_ITEMS, MAX_PREDICT_ROWS } from './schemas.js';

/**
 * Bytes one feature may take in a body: the longest float32 as JSON text (`-1.1754943508222875e-38`, 24
 * characters), its comma, and room for pretty-printing.
 */
export const BYTES_PER_VALUE = 32;

/** Bytes an item's id, label and keys may take besides its features (the id is at most 200 characters). */
export const BYTES_PER_ITEM = 300;

/** Body limit of the small admin routes (policy, promote, rollback). */
export const SMALL_BODY_BYTES = 16 * 1024;

/** Largest body each route can need for a model of `width` features (before the server-wide cap). */
export interface RouteByteLimits {
  /** `POST /v1/predict`: most rows × width. */
  readonly predict: number;
  /** `POST /v1/feedback`: most items × (width + id and label). */
  readonly feedback: number;
  /** `PUT /v1/policy`, promote, rollback. */
  readonly small: number;
}

/**
 * Per-route byte limits derived from the most rows (items) a route accepts and the served model's width, so
 * a body that cannot be valid is refused by its size (413) before it is read, let alone parsed.
 */
export function routeByteLimits(width: number): RouteByteLimits {
  return {
    predict: 1024 + MAX_PREDICT_ROWS * (width * BYTES_PER_VALUE + 4),
    feedback: 1024 + MAX_FEEDBACK_ITEMS * (width * BYTES_PER_VALUE + BYTES_PER_ITEM),
    small: SMALL_BODY_BYTES,
  };
}
