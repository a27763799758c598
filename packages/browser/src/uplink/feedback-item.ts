import { DissonanceError } from '@dissonance/core';

/** One labelled item for the server's feedback route: features as sent to the model, and the true label. */
export interface FeedbackItem {
  /** Unique item id: the server is idempotent by it, so a retried item is counted once. */
  readonly id: string;
  /** The row's features (finite numbers). */
  readonly features: readonly number[] | Float32Array;
  /** The class index (integer ≥ 0). */
  readonly label: number;
  /** The row's dissonance, when known: items below the uplink's `minDissonance` are not queued. */
  readonly dissonance?: number;
}

/** A queued item as it is stored and sent. */
export interface QueuedItem {
  readonly id: string;
  readonly features: number[];
  readonly label: number;
}

/** Checks `item` and returns the plain form that is queued and sent; `E_INPUT` names the bad field. */
export function checkedFeedbackItem(item: FeedbackItem, where: string): QueuedItem {
  if (typeof item !== 'object' || item === null) throw bad(where, 'is not an object');
  const { id, features, label } = item;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    throw bad(`${where}.id`, 'must be a string of 1..256 characters');
  if (!(features instanceof Float32Array) && !Array.isArray(features))
    throw bad(`${where}.features`, 'must be an array of numbers');
  const values = Array.from(features as ArrayLike<number>);
  if (values.length === 0) throw bad(`${where}.features`, 'must not be empty');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw bad(`${where}.features[${i}]`, `must be a finite number, got ${String(v)}`);
  });
  if (!Number.isSafeInteger(label) || label < 0)
    throw bad(`${where}.label`, `must be an integer ≥ 0, got ${String(label)}`);
  return { id, features: values, label };
}

function bad(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
