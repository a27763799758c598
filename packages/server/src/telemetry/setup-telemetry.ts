import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { NodeTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { DissonanceError } from '@dissonance/core';
import { telemetryResource } from './resource.js';

/** Options of {@link setupTelemetry}; every one has an `OTEL_*` environment default. */
export interface TelemetryOptions {
  /** `service.name` (default `dissonance`; `OTEL_SERVICE_NAME` overrides it). */
  readonly serviceName?: string;
  /** More resource attributes (`OTEL_RESOURCE_ATTRIBUTES` overrides them). */
  readonly resourceAttributes?: Attributes;
  /**
   * OTLP/HTTP base URL, e.g. `http://collector:4318` (signals go to `/v1/traces` and `/v1/metrics`). Default:
   * the exporters' own reading of `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT`
   * (else `http://localhost:4318`). `false`: no OTLP export (also `OTEL_TRACES_EXPORTER=none`,
   * `OTEL_METRICS_EXPORTER=none` per signal).
   */
  readonly otlpEndpoint?: string | false;
  /** Extra HTTP headers of the OTLP requests (default `OTEL_EXPORTER_OTLP_HEADERS`). */
  readonly otlpHeaders?: Readonly<Record<string, string>>;
  /** Interval of the OTLP metric export in ms (default `OTEL_METRIC_EXPORT_INTERVAL`, else 60 000). */
  readonly metricExportIntervalMs?: number;
  /**
   * Prometheus scrape endpoint: `{ port, host, endpoint }` (defaults `OTEL_EXPORTER_PROMETHEUS_PORT` or 9464,
   * `OTEL_EXPORTER_PROMETHEUS_HOST` or all interfaces, `/metrics`); `false` for none (the default is on).
   */
  readonly prometheus?: { readonly port?: number; readonly host?: string; readonly endpoint?: string } | false;
  /** More span processors (an in-memory exporter in tests, a console exporter while debugging). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** More metric readers. */
  readonly metricReaders?: readonly MetricReader[];
}

/** What {@link setupTelemetry} started; `shutdown()` flushes and stops all of it. */
export interface TelemetryHandle {
  readonly resource: Resource;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  /** URL of the Prometheus scrape endpoint, when one runs. */
  readonly prometheusUrl: string | undefined;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporters and the scrape server, and unregisters the global providers. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for an application in one call: a `NodeTracerProvider` (AsyncLocalStorage
 * context, W3C trace-context propagation) exporting spans over OTLP/HTTP in batches, a `MeterProvider`
 * exporting metrics over OTLP/HTTP periodically and serving a Prometheus `/metrics` endpoint, both registered
 * as the `@opentelemetry/api` globals that `@dissonance/core` reports through. Optional: the library never
 * starts an SDK by itself. Rejects with `E_CONFIG` on bad options or when the scrape port cannot be bound.
 */
export async function setupTelemetry(options: TelemetryOptions = {}): Promise<TelemetryHandle> {
  const env = process.env;
  const endpoint = options.otlpEndpoint;
  if (endpoint !== undefined && endpoint !== false && !isHttpUrl(endpoint)) {
    throw new DissonanceError('E_CONFIG', `otlpEndpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  // The SDK is loaded here, on use: importing @dissonance/node does not load it.
  const [
    { OTLPMetricExporter },
    { OTLPTraceExporter },
    { MeterProvider, PeriodicExportingMetricReader },
    { BatchSpanProcessor, NodeTracerProvider },
  ] = await Promise.all([
    import('@opentelemetry/exporter-metrics-otlp-http'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/sdk-trace-node'),
  ]);
  const resource = await telemetryResource(options.serviceName, options.resourceAttributes);
  const otlp = (signal: 'traces' | 'metrics'): { url?: string; headers?: Record<string, string> } | undefined => {
    const selected = env[signal === 'traces' ? 'OTEL_TRACES_EXPORTER' : 'OTEL_METRICS_EXPORTER'];
    if (endpoint === false || selected === 'none') return undefined;
    return {
      ...(endpoint === undefined ? {} : { url: `${endpoint.replace(/\/+$/, '')}/v1/${signal}` }),
      ...(options.otlpHeaders === undefined ? {} : { headers: { ...options.otlpHeaders } }),
    };
  };
  const traceConfig = otlp('traces');
  const metricConfig = otlp('metrics');

  const prometheus = options.prometheus === false ? undefined : await startPrometheus(options.prometheus ?? {});
  const readers: MetricReader[] = [...(options.metricReaders ?? [])];
  // exporter-prometheus 0.223 pins sdk-metrics 2.12.0 while the app has 2.12.x: the same class at run time,
  // distinct to the type checker (private fields), hence the cast.
  if (prometheus !== undefined) readers.push(prometheus.exporter as unknown as MetricReader);
  if (metricConfig !== undefined) {
    const interval = options.metricExportIntervalMs ?? numberFromEnv(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(metricConfig),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 30_000),
      }),
    );
  }
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (traceConfig !== undefined) processors.push(new BatchSpanProcessor(new OTLPTraceExporter(traceConfig)));

  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: processors });
  tracerProvider.register();
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  let stopped: Promise<void> | undefined;
  return {
    resource,
    tracerProvider,
    meterProvider,
    prometheusUrl: prometheus?.url,
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: () => {
      stopped ??= (async () => {
        try {
          await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
        } finally {
          trace.disable();
          metrics.disable();
          propagation.disable();
          context.disable();
        }
      })();
      return stopped;
    },
  };
}

async function startPrometheus(config: {
  readonly port?: number;
  readonly host?: string;
  readonly endpoint?: string;
}): Promise<{ exporter: PrometheusExporter; url: string }> {
  const env = process.env;
  const port = config.port ?? numberFromEnv(env.OTEL_EXPORTER_PROMETHEUS_PORT) ?? 9464;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new DissonanceError('E_CONFIG', `prometheus.port must be an integer in 0..65535, got ${port}`);
  }
  const host = config.host ?? env.OTEL_EXPORTER_PROMETHEUS_HOST;
  const endpoint = config.endpoint ?? '/metrics';
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  const exporter = new PrometheusExporter({
    port,
    endpoint,
    preventServerStart: true,
    ...(host === undefined ? {} : { host }),
  });
  try {
    await exporter.startServer();
  } catch (error) {
    throw new DissonanceError('E_CONFIG', `cannot serve Prometheus metrics on port ${port}: ${String(error)}`, {
      cause: error,
    });
  }
  return { exporter, url: `http://${host ?? 'localhost'}:${port}${endpoint}` };
}

function numberFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
