import { DissonanceError } from '../../src/errors.js';
import type { LabelRequest } from '../../src/ports/label-source.js';

/** A label request with sensible defaults (two classes, one critic). */
export function request(itemId: string, overrides: Partial<LabelRequest> = {}): LabelRequest {
  return {
    itemId,
    x: new Float32Array([1, 2]),
    proposer: new Float32Array([0.8, 0.2]),
    critics: [new Float32Array([0.3, 0.7])],
    dissonance: 0.5,
    ...overrides,
  };
}

/** Awaits `promise`, expecting it to reject with a DissonanceError, and returns it. */
export async function rejected(promise: Promise<unknown>): Promise<DissonanceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DissonanceError) return error;
    throw error;
  }
  throw new Error('expected a DissonanceError, the promise resolved');
}

/** Runs `fn`, expecting it to throw a DissonanceError, and returns it. */
export function thrown(fn: () => unknown): DissonanceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DissonanceError) return error;
    throw error;
  }
  throw new Error('expected a DissonanceError, nothing was thrown');
}
