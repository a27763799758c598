import { z } from 'zod';
import {
  aliasChangeResponseSchema,
  errorResponseSchema,
  feedbackRequestSchema,
  feedbackResponseSchema,
  modelResponseSchema,
  policyPatchSchema,
  policyResponseSchema,
  predictRequestSchema,
  predictResponseSchema,
  promoteRequestSchema,
  quarantineResponseSchema,
  rollbackRequestSchema,
} from './schemas.js';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output'): Json => z.toJSONSchema(s, { io }) as Json;

const errors = (statuses: readonly number[]): Json =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_TEXT[status] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
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

function op(summary: string, scope: string | undefined, response: z.ZodType | undefined, extra: Json = {}, errorCodes: readonly number[] = []): Json {
  return {
    summary,
    ...(scope === undefined ? { security: [] } : { security: [{ bearer: [scope] }], 'x-scope': scope }),
    ...extra,
    responses: {
      '200': { description: 'OK', ...(response === undefined ? {} : { content: { 'application/json': { schema: schema(response, 'output') } } }) },
      ...errors(scope === undefined ? errorCodes : [...AUTH_ERRORS, ...errorCodes]),
    },
  };
}

const body = (s: z.ZodType): Json => ({ requestBody: { required: true, content: { 'application/json': { schema: schema(s, 'input') } } } });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };

/** The OpenAPI 3.1 document of the HTTP surface, generated from the zod schemas the routes validate with. */
export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'dissonance HTTP API', version, description: 'Inference, feedback and admin for a dissonance engine. See docs/http-api.md.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schema(errorResponseSchema, 'output') },
    },
    paths: {
      '/v1/predict': {
        post: op('Proposer probabilities and proposer-vs-critics dissonance per row', 'predict', predictResponseSchema, body(predictRequestSchema), [...BODY_ERRORS, 422]),
      },
      '/v1/feedback': {
        post: op('Labelled feedback, idempotent by item id', 'feedback', feedbackResponseSchema, body(feedbackRequestSchema), BODY_ERRORS),
      },
      '/v1/feedback/quarantine': { get: op('Feedback quarantined for review', 'admin', quarantineResponseSchema) },
      '/v1/policy': {
        get: op('The policy in force', 'admin', policyResponseSchema),
        put: op('Change the policy (audited)', 'admin', policyResponseSchema, body(policyPatchSchema), BODY_ERRORS),
      },
      '/v1/audit': { get: op('The audit log', 'admin', undefined) },
      '/v1/models/{name}': { get: op('The champion version and its manifest', 'predict', modelResponseSchema, { parameters: [nameParam] }, [404, 409]) },
      '/v1/models/{name}/versions/{version}/model.onnx': {
        get: {
          ...op('Artifact bytes (header x-dissonance-sha256)', 'predict', undefined, { parameters: [nameParam, versionParam] }, [404, 409]),
          responses: {
            '200': { description: 'artifact bytes', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
            ...errors([...AUTH_ERRORS, 404, 409]),
          },
        },
      },
      '/v1/models/{name}/promote': {
        post: op('Promote a version to champion (audited)', 'admin', aliasChangeResponseSchema, { parameters: [nameParam], ...body(promoteRequestSchema) }, [
          ...BODY_ERRORS,
          404,
          409,
        ]),
      },
      '/v1/models/{name}/rollback': {
        post: op('Roll the champion back (audited)', 'admin', aliasChangeResponseSchema, { parameters: [nameParam], ...body(rollbackRequestSchema) }, [
          ...BODY_ERRORS,
          404,
          409,
        ]),
      },
      '/healthz': { get: op('Liveness', undefined, undefined, {}, [503]) },
      '/readyz': { get: op('Readiness', undefined, undefined, {}, [503]) },
      '/openapi.json': { get: op('This document', undefined, undefined) },
    },
  };
}
