import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';

/**
 * The resource of {@link setupTelemetry}: the SDK defaults, then the options (`service.name` default
 * `dissonance`), then the standard environment (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`), which wins
 * so that operators can relabel a deployment without a code change — as the OpenTelemetry Node SDK does.
 */
export async function telemetryResource(
  serviceName: string | undefined,
  attributes: Attributes = {},
): Promise<Resource> {
  // Loaded on use: importing @dissonance/node does not load the SDK.
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } =
    await import('@opentelemetry/resources');
  const configured = resourceFromAttributes({
    'service.name': serviceName ?? 'dissonance',
    ...attributes,
  });
  return defaultResource()
    .merge(configured)
    .merge(detectResources({ detectors: [envDetector] }));
}
