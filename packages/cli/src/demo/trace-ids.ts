import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

let registered = false;

/**
 * Registers an OpenTelemetry tracer provider without exporters (once per process, and only where the
 * application has registered none: the API keeps the first), so that each retrain runs in a sampled span and
 * its trace id reaches the registry as lineage (`dissonance.lineage.traceId`). The spans themselves are dropped.
 */
export function enableTraceIds(): void {
  if (registered) return;
  registered = true;
  new NodeTracerProvider().register();
}
