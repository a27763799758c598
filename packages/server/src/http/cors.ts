/** Options of the CORS support: origins allowed to call from a browser. */
export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or `*` for any (without credentials). */
  readonly origins: readonly string[];
  /** Seconds a preflight may be cached (default 600). */
  readonly maxAgeSec?: number;
}

const ALLOW_HEADERS = 'authorization, content-type';
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, OPTIONS';
const EXPOSE_HEADERS = 'retry-after, x-dissonance-sha256, www-authenticate';

/** The CORS response headers for `request`'s origin; empty when the origin is not allowed. */
export function corsHeaders(request: Request, cors: CorsOptions | undefined): Record<string, string> {
  const origin = request.headers.get('origin');
  if (cors === undefined || origin === null) return {};
  const anyOrigin = cors.origins.includes('*');
  if (!anyOrigin && !cors.origins.includes(origin)) return {};
  return {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-expose-headers': EXPOSE_HEADERS,
    vary: 'origin',
  };
}

/** Answers a CORS preflight (`OPTIONS` with `access-control-request-method`); undefined for other requests. */
export function preflight(request: Request, cors: CorsOptions | undefined): Response | undefined {
  if (
    request.method !== 'OPTIONS' ||
    cors === undefined ||
    request.headers.get('access-control-request-method') === null
  )
    return undefined;
  const headers = corsHeaders(request, cors);
  if (headers['access-control-allow-origin'] === undefined) return new Response(null, { status: 403 });
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': String(cors.maxAgeSec ?? 600),
    },
  });
}
