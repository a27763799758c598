import { Hono } from 'hono';
import { preflight, type CorsOptions } from './cors.js';
import { errorResponse } from './http-error.js';
import type { Principal } from './jwt-auth.js';
import { readJson } from './read-json.js';
import type { RouteAccess } from './route-access.js';
import { routeByteLimits } from './route-limits.js';
import { ROUTE_TABLE, type RouteEntry, type RouteMethod, type RouteSpec } from './route-table.js';
import type { RouteContext, RouteHandler, RouteHandlers } from './v1-routes.js';

/** What {@link createRouter} needs. */
export interface RouterOptions {
  /** One handler per route of the table. */
  readonly handlers: RouteHandlers;
  /** Authorization and body limits of the authenticated routes. */
  readonly access: RouteAccess;
  /** Browser origins allowed (preflights are answered before routing). */
  readonly cors?: CorsOptions;
  /** Turns an error thrown by a route into its response. */
  readonly onError: (error: unknown) => Response;
}

/** Methods refused on every path, before routing: `Request` cannot represent them (`TRACE` echoes requests back). */
const UNSERVED_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The signal of a request routed without one. */
const NEVER_ABORTED = new AbortController().signal;

/** `{param}` (OpenAPI) → `:param` (Hono). */
export const honoPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * The HTTP surface's router: a Hono app with exactly the routes of {@link ROUTE_TABLE}. Before a handler runs,
 * the route's scope is checked (authentication, request rate, scope); its body is read on the handler's call
 * with the route's schema and byte limit. `TRACE`, `TRACK` and `CONNECT` are a 405 on any path; CORS preflights
 * are answered next; a path of the table asked with another method is a 405 naming the allowed ones (`Allow`),
 * any other path a 404.
 */
export function createRouter({
  handlers,
  access,
  cors,
  onError,
}: RouterOptions): (request: Request, signal?: AbortSignal) => Promise<Response> {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const method = c.req.raw.method.toUpperCase();
    // Methods a Fetch `Request` refuses to represent, which a Node bridge may still hand over (RFC 9110 §9.3.8).
    if (UNSERVED_METHODS.has(method))
      return errorResponse(405, 'E_METHOD', `${method} is not allowed on this server`, {
        allow: 'GET, HEAD, POST, PUT, OPTIONS',
      });
    const pre = preflight(c.req.raw, cors);
    if (pre !== undefined) return pre;
    await next();
    return undefined;
  });
  const allowed = new Map<string, RouteMethod[]>();
  for (const route of ROUTE_TABLE as readonly RouteEntry[]) {
    const handle = handlers[route.id] as RouteHandler<RouteEntry>;
    app.on(route.method, honoPath(route.path), async (c) => {
      const request = c.req.raw;
      const principal = route.scope === undefined ? undefined : await access.authorize(request, route.scope);
      const context = {
        request,
        signal: (c.env as { signal?: AbortSignal } | undefined)?.signal ?? NEVER_ABORTED,
        params: c.req.param(),
        principal,
        body: bodyReader(route, request, principal, access),
      };
      return handle(context as RouteContext<RouteEntry>);
    });
    allowed.set(route.path, [...(allowed.get(route.path) ?? []), route.method]);
  }
  for (const [path, methods] of allowed) {
    app.all(honoPath(path), (c) =>
      errorResponse(405, 'E_METHOD', `${c.req.raw.method} not allowed; use ${methods.join(' or ')}`, {
        allow: methods.join(', '),
      }),
    );
  }
  app.notFound((c) =>
    errorResponse(
      404,
      'E_ROUTE_NOT_FOUND',
      `no route for ${c.req.raw.method} ${new URL(c.req.url).pathname.slice(0, 200)}`,
    ),
  );
  app.onError((error) => onError(error));
  return async (request, signal) => app.fetch(request, { signal });
}

/** Reads the body of `route` with its schema, its byte limit for a model of `width` features, billed to `principal`. */
function bodyReader(
  route: RouteSpec,
  request: Request,
  principal: Principal | undefined,
  access: RouteAccess,
): (width?: number, precheck?: (value: unknown) => void) => Promise<unknown> {
  return async (width = 1, precheck?: (value: unknown) => void): Promise<unknown> => {
    const body = route.body;
    if (body === undefined || principal === undefined) throw new Error(`route ${route.id} reads no body`);
    const limits = access.bodyLimits(principal, routeByteLimits(width)[body.limit]);
    return readJson(request, body.schema, limits, body.allowEmpty === true, precheck);
  };
}
