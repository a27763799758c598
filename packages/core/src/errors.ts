/**
 * Stable error codes of the dissonance SDK. A code never changes meaning once published;
 * match on `error.code`, not on the message.
 */
export const ERROR_CODES = [
  'E_INPUT',
  'E_CONFIG',
  'E_POLICY',
  'E_OVERLOADED',
  'E_STOPPED',
  'E_NOT_FOUND',
  'E_ALIAS_NOT_FOUND',
  'E_ARTIFACT_DIGEST',
  'E_ARTIFACT_SIGNATURE',
  'E_DECRYPT',
  'E_REGISTRY_UNAVAILABLE',
  'E_REGISTRY_CONFLICT',
  'E_TRANSPORT',
  'E_ENVELOPE',
  'E_MODEL',
  'E_TRAINER',
  'E_STORE',
  'E_ACCELERATOR_UNAVAILABLE',
  'E_WORKER',
  'E_STORE_INTEGRITY',
  /** A caller sent more than its rate allows (feedback per principal); `details.retryAfterMs` says when to retry. */
  'E_RATE_LIMITED',
  /**
   * A promotion could not be completed and putting the registry's `champion` alias back failed too: the alias
   * names a version the engine does not serve. `details` name both versions.
   */
  'E_ALIAS_RESTORE',
  /**
   * A remote trainer did not answer a training job before its deadline (after its retries): the champion keeps
   * serving and the retrain is tried again later. `details` name the job id and the model.
   */
  'E_TRAINER_TIMEOUT',
  /**
   * The caller's `AbortSignal` aborted while its work waited to be accepted (`engine.process` waiting for the
   * engine to start or for room in its queue): nothing was accepted. `details.reason` is the signal's reason.
   */
  'E_ABORTED',
  /**
   * A label source failed, or answered out of its contract (another number of answers, a label outside the
   * classes), while a batch was reconciled: the batch's rows are counted as failed (deferred items go back to
   * their queue) and nothing of them is stored. The cause is attached.
   */
  'E_LABELS',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra, machine-readable facts about an error (which row, which key, which version…). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | readonly (string | number)[]>>;

/**
 * Brand of every {@link DissonanceError}, registered globally (`Symbol.for`) so that copies of core loaded
 * side by side (ESM and CJS builds, or an adapter's own copy) recognise each other's errors.
 */
const ERROR_BRAND: unique symbol = Symbol.for('@dissonance/core.DissonanceError') as never;

/**
 * The one error type the SDK throws on purpose. `code` is stable; `message` names the problem
 * in words a person can act on; `details` carries the same facts for programs.
 */
export class DissonanceError extends Error {
  /**
   * `instanceof DissonanceError` holds for errors made by any copy of this class (the ESM and the CJS build
   * loaded side by side, or two installed versions of core): it checks the brand, not the prototype chain.
   * A subclass keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== DissonanceError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ERROR_BRAND] === true;
  }

  /** Stable code, e.g. `E_INPUT`. */
  readonly code: ErrorCode;
  /** Machine-readable facts about the failure. */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DissonanceError';
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, ERROR_BRAND, { value: true, enumerable: false });
  }

  /** A plain object safe to serialize (no stack, no cause). */
  toJSON(): { name: string; code: ErrorCode; message: string; details: ErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** True when `error` is a {@link DissonanceError}, optionally with the given code. */
export function isDissonanceError(error: unknown, code?: ErrorCode): error is DissonanceError {
  return error instanceof DissonanceError && (code === undefined || error.code === code);
}

/** Wraps any thrown value into a DissonanceError with `code`, keeping DissonanceErrors as they are. */
export function toDissonanceError(error: unknown, code: ErrorCode, context: string): DissonanceError {
  if (error instanceof DissonanceError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new DissonanceError(code, `${context}: ${reason}`, { cause: error });
}
