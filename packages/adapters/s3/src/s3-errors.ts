import { DissonanceError } from '@dissonance/core';

/** The HTTP status of an S3 SDK error, when the server answered at all. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  const status = metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`, …) of an SDK error, or undefined. */
export function s3CodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

/** True for "no such object" answers (`NoSuchKey`, or a bare 404 from `HeadObject`). */
export function isNotFound(error: unknown): boolean {
  const code = s3CodeOf(error);
  return code === 'NoSuchKey' || code === 'NotFound' || (statusOf(error) === 404 && code !== 'NoSuchBucket');
}

/**
 * True when a conditional write lost: `412 Precondition Failed` (the `If-Match` / `If-None-Match` condition
 * did not hold) or `409 ConditionalRequestConflict` (real S3: a concurrent conditional write to the same key).
 */
export function isConditionFailed(error: unknown): boolean {
  const status = statusOf(error);
  const code = s3CodeOf(error);
  return status === 412 || code === 'PreconditionFailed' || status === 409 || code === 'ConditionalRequestConflict';
}

/**
 * Turns any failure of an S3 call into a {@link DissonanceError}: DissonanceErrors pass through, everything
 * else (network errors, 5xx after the SDK's retries, access denied, no such bucket) is `E_REGISTRY_UNAVAILABLE`
 * naming the operation, the HTTP status and the S3 error code.
 */
export function unavailable(error: unknown, operation: string, bucket: string): DissonanceError {
  if (error instanceof DissonanceError) return error;
  const status = statusOf(error);
  const code = s3CodeOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  return new DissonanceError(
    'E_REGISTRY_UNAVAILABLE',
    `s3 registry (bucket ${bucket}): ${operation} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${reason}`,
    {
      cause: error,
      details: { operation, bucket, status: status ?? null, s3Code: code ?? null },
    },
  );
}
