export { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from './create-http-handler.js';
export {
  serve,
  DEFAULT_CLOSE_GRACE_MS,
  type ServeOptions,
  type RunningServer,
  type TlsOptions,
  type CloseOptions,
} from './serve.js';
export { toNodeListener, type FetchHandler, type NodeListenerOptions } from './node-listener.js';
export {
  createJwtAuth,
  requireScope,
  DEFAULT_ALGORITHMS,
  type JwtAuthOptions,
  type Authenticate,
  type Principal,
  type Scope,
  type VerifyKey,
} from './jwt-auth.js';
export { HttpError, errorResponse, type HttpErrorCode } from './http-error.js';
export type { CorsOptions } from './cors.js';
export { DEFAULT_BYTE_BURST, DEFAULT_BYTES_PER_SECOND, type RateLimitOptions } from './rate-limiter.js';
export { openApiDocument } from './openapi.js';
export { QUARANTINE_KEY, type QuarantineRecord, type FeedbackOutcome } from './feedback-intake.js';
export type { EngineView } from './champion-models.js';
export { MAX_ABS_FEATURE, MAX_PREDICT_ROWS, MAX_PREDICT_OUTPUTS, MAX_FEEDBACK_ITEMS } from './schemas.js';
export { routeByteLimits, type RouteByteLimits } from './route-limits.js';
export { DEFAULT_MAX_JSON_DEPTH } from './read-json.js';
export { DEFAULT_ARTIFACT_CACHE_BYTES } from './verified-artifacts.js';
