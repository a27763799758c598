import { DissonanceError } from '../errors.js';
import type { SubscribeOptions } from '../ports/transport.js';

/** Default `prefetch` of {@link SubscribeOptions}. */
export const DEFAULT_PREFETCH = 16;
/** Default `maxAttempts` of {@link SubscribeOptions}. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** {@link SubscribeOptions} with the port's defaults applied and checked. */
export interface ResolvedSubscribeOptions {
  readonly group: string;
  readonly prefetch: number;
  readonly maxAttempts: number;
  readonly deadLetterTopic: string;
}

/** How a transport restricts subscribe options beyond the port's rules. */
export interface SubscribeOptionRules {
  /**
   * Checks a group or dead-letter topic name, throwing `E_INPUT` naming `field` when the broker cannot use it
   * (default: a non-empty string of at most 255 characters).
   */
  readonly checkName?: (name: unknown, field: string) => void;
  /** Largest `prefetch` the broker accepts (default: no limit below `Number.MAX_SAFE_INTEGER`). */
  readonly maxPrefetch?: number;
}

/**
 * Applies the defaults of {@link SubscribeOptions} (`prefetch` 16, `maxAttempts` 5, `deadLetterTopic`
 * `<topic>.dlq`) and checks them: an object, a valid group name, `prefetch` and `maxAttempts` positive
 * integers, a valid dead-letter topic other than `topic`. Throws `E_INPUT` naming the first bad field.
 * One implementation for every transport, so they all refuse the same options with the same errors.
 */
export function resolveSubscribeOptions(
  topic: string,
  options: SubscribeOptions,
  rules: SubscribeOptionRules = {},
): ResolvedSubscribeOptions {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) throw invalidOption('options', 'must be an object');
  const checkName = rules.checkName ?? checkTransportName;
  checkName(options.group, 'group');
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const deadLetterTopic = options.deadLetterTopic ?? `${topic}.dlq`;
  const maxPrefetch = rules.maxPrefetch;
  if (!Number.isSafeInteger(prefetch) || prefetch < 1 || (maxPrefetch !== undefined && prefetch > maxPrefetch)) {
    const range = maxPrefetch === undefined ? 'a positive integer' : `an integer from 1 to ${maxPrefetch}`;
    throw invalidOption('prefetch', `must be ${range}, got ${String(prefetch)}`);
  }
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw invalidOption('maxAttempts', `must be a positive integer, got ${String(maxAttempts)}`);
  }
  checkName(deadLetterTopic, 'deadLetterTopic');
  if (deadLetterTopic === topic) throw invalidOption('deadLetterTopic', 'must differ from the topic itself');
  return { group: options.group, prefetch, maxAttempts, deadLetterTopic };
}

/** Throws `E_INPUT` naming `field` unless `name` is a non-empty string of at most 255 characters. */
export function checkTransportName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw invalidOption(field, 'must be a non-empty string of at most 255 characters');
  }
}

/** An `E_INPUT` error `<field> <problem>` with `details.field`. */
export function invalidOption(field: string, problem: string): DissonanceError {
  return new DissonanceError('E_INPUT', `${field} ${problem}`, { details: { field } });
}
