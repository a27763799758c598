import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Lowest level written (default `LOG_LEVEL`, else `info`). */
  readonly level?: Level | 'silent';
  /** `name` field of every line. */
  readonly name?: string;
  /** Where lines go (default stdout). */
  readonly destination?: DestinationStream;
  /** Fields on every line. */
  readonly base?: Readonly<Record<string, unknown>>;
}

/**
 * `trace_id`, `span_id` and `trace_flags` of the active span (the OpenTelemetry log-correlation field names),
 * or nothing outside a span. Used as pino's `mixin`, so it runs once per written line and never for
 * lines below the level.
 */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${(spanContext.traceFlags & 1).toString(16)}`,
  };
}

/**
 * A pino logger writing one JSON object per line (ISO `time`, string `level`), each carrying
 * `trace_id`/`span_id` when written inside a span. It fits `@dissonance/core`'s `Logger` interface, so it can
 * be given to `createEngine({ logger })`.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.LOG_LEVEL as Level | undefined) ?? 'info';
  return pino(
    {
      level,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.base === undefined ? {} : { base: { ...options.base } }),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    options.destination ?? pino.destination(1),
  );
}
