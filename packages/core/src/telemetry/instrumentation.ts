import type { Attributes, Link, Meter, Span, Tracer } from '@opentelemetry/api';
import { silentLogger, type Logger } from '../logging/logger.js';
import { EngineMetrics } from './engine-metrics.js';
import { defaultTracer, inSpan, inSpanSync } from './tracer.js';

/** The tracer, instruments and logger an engine reports through. */
export interface Instrumentation {
  readonly tracer: Tracer;
  readonly metrics: EngineMetrics;
  readonly logger: Logger;
}

/** Options of {@link createInstrumentation}: each defaults to the `@opentelemetry/api` global or silence. */
export interface InstrumentationOptions {
  readonly tracer?: Tracer | undefined;
  readonly meter?: Meter | undefined;
  readonly logger?: Logger | undefined;
}

/** Tracer, meter and logger of an engine; globals of `@opentelemetry/api` (no-ops without an SDK) by default. */
export function createInstrumentation(options: InstrumentationOptions = {}): Instrumentation {
  return {
    tracer: options.tracer ?? defaultTracer(),
    metrics: new EngineMetrics(options.meter),
    logger: options.logger ?? silentLogger,
  };
}

/** Extra options of a stage span. */
export interface StageOptions {
  /** Start a new trace instead of a child of the active span (the retrain, which links to its examples). */
  readonly root?: boolean;
  readonly links?: Link[];
}

const clock = (globalThis as { performance?: { now(): number } }).performance;

/** Milliseconds on a monotonic clock where the platform has one. */
function monotonicMs(): number {
  return clock === undefined ? Date.now() : clock.now();
}

/**
 * Runs one loop stage: a span named `stage` (see {@link inSpan}) and its duration recorded in
 * `dissonance.stage.duration` (seconds, attribute `dissonance.stage`), also when it throws. Without a
 * MeterProvider the clock is not read at all.
 */
export function stageSpan<T>(
  telemetry: Instrumentation,
  stage: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: StageOptions = {},
): Promise<T> {
  if (!telemetry.metrics.recording) return inSpan(telemetry.tracer, stage, attributes, fn, options);
  return timedStage(telemetry, stage, attributes, fn, options);
}

/**
 * {@link stageSpan} for a synchronous stage: `fn`'s value is returned as it is (no promise, no tick); the span and
 * the duration are recorded before this returns, also when `fn` throws.
 */
export function stageSpanSync<T>(
  telemetry: Instrumentation,
  stage: string,
  attributes: Attributes,
  fn: (span: Span) => T,
): T {
  if (!telemetry.metrics.recording) return inSpanSync(telemetry.tracer, stage, attributes, fn);
  const started = monotonicMs();
  try {
    return inSpanSync(telemetry.tracer, stage, attributes, fn);
  } finally {
    telemetry.metrics.stageDuration.record((monotonicMs() - started) / 1000, { 'dissonance.stage': stage });
  }
}

async function timedStage<T>(
  telemetry: Instrumentation,
  stage: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: StageOptions,
): Promise<T> {
  const started = monotonicMs();
  try {
    return await inSpan(telemetry.tracer, stage, attributes, fn, options);
  } finally {
    telemetry.metrics.stageDuration.record((monotonicMs() - started) / 1000, { 'dissonance.stage': stage });
  }
}
