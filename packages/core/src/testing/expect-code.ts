import { expect } from 'vitest';
import type { ErrorCode } from '../errors.js';

/**
 * Asserts that `work` rejects (or throws) with an error whose `code` is `code`; returns that error.
 * Matches on `code`, not on the class, so it holds across bundles (ESM and CJS copies of the error class).
 */
export async function expectCode(work: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<Error> {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with ${code}`).toBeInstanceOf(Error);
  expect((caught as { code?: unknown }).code, String(caught)).toBe(code);
  return caught as Error;
}
