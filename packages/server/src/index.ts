/**
 * `@dissonance/server` — the HTTP surface of a dissonance service (predict, feedback, admin and health routes;
 * JWT scopes, mTLS, rate and byte limits, strict bodies) and its telemetry set-up (the OpenTelemetry SDK and
 * exporters, a pino logger). The engine comes from `@dissonance/core`, the runtime and files from
 * `@dissonance/node`.
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export {
  createHttpHandler,
  serve,
  DEFAULT_CLOSE_GRACE_MS,
  toNodeListener,
  createJwtAuth,
  requireScope,
  DEFAULT_ALGORITHMS,
  HttpError,
  errorResponse,
  openApiDocument,
  QUARANTINE_KEY,
} from './http/index.js';
export type {
  HttpHandler,
  HttpHandlerOptions,
  ServeOptions,
  RunningServer,
  CloseOptions,
  TlsOptions,
  FetchHandler,
  NodeListenerOptions,
  JwtAuthOptions,
  Authenticate,
  Principal,
  Scope,
  VerifyKey,
  HttpErrorCode,
  CorsOptions,
  RateLimitOptions,
  QuarantineRecord,
  FeedbackOutcome,
  EngineView,
} from './http/index.js';
export { setupTelemetry, createLogger, traceFields } from './telemetry/index.js';
export type { TelemetryOptions, TelemetryHandle, CreateLoggerOptions } from './telemetry/index.js';
// Issue 20 (HTTP hardening): the cost limits, for servers built on the handler.
export {
  routeByteLimits,
  MAX_ABS_FEATURE,
  MAX_PREDICT_ROWS,
  MAX_PREDICT_OUTPUTS,
  DEFAULT_ARTIFACT_CACHE_BYTES,
  MAX_FEEDBACK_ITEMS,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_BYTE_BURST,
  DEFAULT_BYTES_PER_SECOND,
} from './http/index.js';
export type { RouteByteLimits } from './http/index.js';
