import type { Engine } from '@dissonance/core';

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions {
  /** The engine whose `health()` the routes report. */
  readonly engine: Pick<Engine, 'health'>;
}

/**
 * Fetch-API routes `GET /healthz` (liveness) and `GET /readyz` (readiness) over `engine.health()`.
 * Resolves to `undefined` for any other path, so it can be chained in front of other handlers.
 * 200 with a JSON body when healthy, 503 with the failing parts named otherwise.
 */
export function healthRoutes(options: HealthRoutesOptions): (request: Request) => Promise<Response | undefined> {
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== '/healthz' && pathname !== '/readyz') return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return Response.json({ error: { code: 'E_METHOD', message: `${request.method} not allowed` } }, { status: 405 });
    }
    const health = await options.engine.health();
    const failing = Object.entries(health.ports)
      .filter(([, port]) => !port.ok)
      .map(([name, port]) => ({ name, error: port.error ?? 'not ok' }));
    const ok = pathname === '/healthz' ? health.status !== 'stopped' : failing.length === 0 && health.status === 'ok';
    return Response.json({ status: ok ? 'ok' : 'failing', failing }, { status: ok ? 200 : 503 });
  };
}
