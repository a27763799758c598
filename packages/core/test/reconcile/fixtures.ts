import { DissonanceError } from '../../src/errors.js';
import type { ReconcileItem } from '../../src/ports/gate.js';
import { DEFAULT_POLICY, type Policy } from '../../src/schema/policy.js';

/** A reconcile item with sensible defaults (two classes, one agreeing critic). */
export function item(overrides: Partial<ReconcileItem> = {}): ReconcileItem {
  return {
    itemId: 'item-1',
    x: new Float32Array([1, 2, 3, 4]),
    proposer: new Float32Array([0.8, 0.2]),
    critics: [new Float32Array([0.7, 0.3])],
    dissonance: 0.1,
    ...overrides,
  };
}

/** A policy with overrides. */
export function policy(overrides: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, ...overrides };
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
