import { z } from 'zod';
import { pathParams, ROUTE_TABLE, type RouteSpec } from './route-table.js';
import { errorResponseSchema } from './schemas.js';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output'): Json => z.toJSONSchema(s, { io }) as Json;

const errors = (statuses: readonly number[]): Json =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: ERROR_TEXT[status] ?? 'error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid JSON or body, or nested too deep (code names the problem)',
  401: 'missing, malformed, expired or untrusted token',
  403: 'token lacks the scope',
  404: 'unknown model or version',
  408: 'body not received in time',
  409: 'alias changed concurrently, or the version is refused by the trust policy or its digest (code names why)',
  422: 'the model outputs are not finite for the rows named',
  413: 'body larger than the route allows (most rows × model width)',
  415: 'content type is not JSON',
  429: 'request rate or body-byte budget spent (Retry-After)',
  503: 'overloaded, stopping or timed out (Retry-After)',
};

const AUTH_ERRORS = [401, 403, 429, 503];
const BODY_ERRORS = [400, 408, 413, 415];

function op(
  summary: string,
  scope: string | undefined,
  response: z.ZodType | undefined,
  extra: Json = {},
  errorCodes: readonly number[] = [],
): Json {
  return {
    summary,
    ...(scope === undefined ? { security: [] } : { security: [{ bearer: [scope] }], 'x-scope': scope }),
    ...extra,
    responses: {
      '200': {
        description: 'OK',
        ...(response === undefined ? {} : { content: { 'application/json': { schema: schema(response, 'output') } } }),
      },
      ...errors(scope === undefined ? errorCodes : [...AUTH_ERRORS, ...errorCodes]),
    },
  };
}

const body = (s: z.ZodType): Json => ({
  requestBody: { required: true, content: { 'application/json': { schema: schema(s, 'input') } } },
});
const parameters = (path: string): Json => {
  const names = pathParams(path);
  return names.length === 0
    ? {}
    : { parameters: names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })) };
};

/** The OpenAPI operation of one route of the table. */
function operation(route: RouteSpec): Json {
  const errorCodes = route.body === undefined ? route.errors : [...BODY_ERRORS, ...route.errors];
  const extra = { ...parameters(route.path), ...(route.body === undefined ? {} : body(route.body.schema)) };
  if (route.response !== 'octet-stream') return op(route.summary, route.scope, route.response, extra, errorCodes);
  return {
    ...op(route.summary, route.scope, undefined, extra, errorCodes),
    responses: {
      '200': {
        description: 'artifact bytes',
        content: {
          'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
        },
      },
      ...errors(route.scope === undefined ? errorCodes : [...AUTH_ERRORS, ...errorCodes]),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the HTTP surface, generated from the route table ({@link ROUTE_TABLE}) and the
 * zod schemas the routes validate with.
 */
export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTE_TABLE as readonly RouteSpec[])
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'dissonance HTTP API',
      version,
      description: 'Inference, feedback and admin for a dissonance engine. See docs/http-api.md.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schema(errorResponseSchema, 'output') },
    },
    paths,
  };
}
