import { expect } from 'vitest';
import { DissonanceError } from '../errors.js';

/** Awaits `promise`, asserts it rejected with a {@link DissonanceError}, and returns that error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<DissonanceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DissonanceError);
    return error as DissonanceError;
  }
  throw new Error('expected a rejection');
}
