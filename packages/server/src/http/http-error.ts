import { isDissonanceError, type ErrorCode } from '@dissonance/core';

/** Stable codes of the HTTP surface's error bodies, besides the SDK's own `E_*` codes. */
export type HttpErrorCode =
  | ErrorCode
  | 'E_TOKEN_MISSING'
  | 'E_TOKEN_MALFORMED'
  | 'E_TOKEN_EXPIRED'
  | 'E_TOKEN_ISSUER'
  | 'E_TOKEN_AUDIENCE'
  | 'E_TOKEN_ALGORITHM'
  | 'E_TOKEN_INVALID'
  | 'E_FORBIDDEN'
  | 'E_RATE_LIMITED'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_UNSUPPORTED_MEDIA_TYPE'
  | 'E_BAD_JSON'
  | 'E_METHOD'
  | 'E_ROUTE_NOT_FOUND'
  | 'E_REQUEST_TIMEOUT'
  | 'E_TIMEOUT'
  | 'E_INTERNAL'
  | 'E_JSON_TOO_DEEP'
  | 'E_NON_FINITE_OUTPUT';

/** An error the HTTP surface answers with: status, stable code, message and extra headers. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: HttpErrorCode, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON error response `{ "error": { "code", "message" } }`. */
export function errorResponse(
  status: number,
  code: HttpErrorCode,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return Response.json({ error: { code, message } }, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

/** HTTP status of each SDK error code a route can surface. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  E_INPUT: 400,
  E_POLICY: 400,
  E_ENVELOPE: 400,
  E_NOT_FOUND: 404,
  E_ALIAS_NOT_FOUND: 404,
  E_REGISTRY_CONFLICT: 409,
  E_ARTIFACT_DIGEST: 409,
  E_ARTIFACT_SIGNATURE: 409,
  E_DECRYPT: 409,
  E_OVERLOADED: 503,
  E_STOPPED: 503,
  E_ABORTED: 503,
  E_REGISTRY_UNAVAILABLE: 503,
  E_STORE: 503,
};

/**
 * Turns anything thrown by a route into a JSON error response. Known errors keep their code and message
 * (SDK messages never hold a stack); anything else becomes a 500 `E_INTERNAL` whose message says nothing
 * about the internals.
 */
export function toErrorResponse(error: unknown): Response {
  if (error instanceof HttpError)
    return errorResponse(error.status, error.code, withoutCode(error.message), error.headers);
  if (isDissonanceError(error)) {
    const status = STATUS[error.code] ?? 500;
    if (status === 500) return errorResponse(500, 'E_INTERNAL', `internal error (${error.code})`);
    return errorResponse(status, error.code, withoutCode(error.message), status === 503 ? { 'retry-after': '1' } : {});
  }
  return errorResponse(500, 'E_INTERNAL', 'internal error');
}

/** `message` without the SDK's leading `E_…: ` (the code is its own field of the error body). */
function withoutCode(message: string): string {
  return message.replace(/^E_[A-Z_]+: /, '');
}
