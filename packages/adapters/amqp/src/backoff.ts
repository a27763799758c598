/** Jittered exponential backoff: between half and all of `min(maxMs, initialMs * 2^attempt)`. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message of whatever was thrown, never throwing itself (core's). */
export { errorText } from '@dissonance/core/adapter-kit';
