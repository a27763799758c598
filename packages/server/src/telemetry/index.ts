export { setupTelemetry, type TelemetryOptions, type TelemetryHandle } from './setup-telemetry.js';
export { createLogger, traceFields, type CreateLoggerOptions } from './logger.js';
