import { DissonanceError } from '../errors.js';

/**
 * Checks a label source's sample weight: a finite number in (0, 1]. Not part of the public API.
 *
 * @throws DissonanceError `E_CONFIG` otherwise.
 */
export function checkWeight(source: string, weight: number): void {
  if (!(weight > 0 && weight <= 1)) {
    throw new DissonanceError('E_CONFIG', `${source}: weight must be in (0, 1], got ${weight}`, {
      details: { source, argument: 'weight', actual: String(weight) },
    });
  }
}

/**
 * Checks a confidence or dissonance bound: a finite number ≥ 0. Not part of the public API.
 *
 * @throws DissonanceError `E_CONFIG` otherwise.
 */
export function checkBound(source: string, argument: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new DissonanceError('E_CONFIG', `${source}: ${argument} must be a finite number ≥ 0, got ${value}`, {
      details: { source, argument, actual: String(value) },
    });
  }
}
