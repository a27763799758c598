import type { z } from 'zod';
import type { Scope } from './jwt-auth.js';
import type { RouteByteLimits } from './route-limits.js';
import {
  aliasChangeResponseSchema,
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

/** HTTP methods the route table serves (`HEAD` is answered by every `GET` route). */
export type RouteMethod = 'GET' | 'POST' | 'PUT';

/** A route's JSON request body: its schema, which per-route byte limit applies, and whether it may be empty. */
export interface RouteBody {
  /** Validates the parsed body (strictly: unknown fields are refused). */
  readonly schema: z.ZodType;
  /** Which of {@link RouteByteLimits} bounds the body (the limits of `predict` and `feedback` scale with the model's width). */
  readonly limit: keyof RouteByteLimits;
  /** An empty body (no bytes, any content type) reads as `{}`. */
  readonly allowEmpty?: boolean;
}

/** One entry of {@link ROUTE_TABLE}. */
export interface RouteSpec {
  /** Stable name of the route: the key of its handler. */
  readonly id: string;
  readonly method: RouteMethod;
  /** Path in OpenAPI form: `{param}` is one path segment. */
  readonly path: string;
  /** Scope a bearer token must grant; `undefined`: public (no token read). */
  readonly scope: Scope | undefined;
  /** One-line summary (the OpenAPI operation's). */
  readonly summary: string;
  /** JSON request body, when the route takes one. */
  readonly body?: RouteBody;
  /** Schema of the 200 JSON body; `'octet-stream'` for raw bytes; `undefined` when not described. */
  readonly response: z.ZodType | 'octet-stream' | undefined;
  /**
   * Error statuses the route itself can answer, besides those every authenticated route (401, 403, 429, 503)
   * and every body route (400, 408, 413, 415) can.
   */
  readonly errors: readonly number[];
}

/**
 * The HTTP surface's one route table. The router registers exactly these routes (and answers 405 with `Allow`
 * on their paths for other methods, 404 elsewhere), and the OpenAPI document is generated from it: a route is
 * added here or nowhere. Order is the OpenAPI document's.
 */
export const ROUTE_TABLE = [
  {
    id: 'predict',
    method: 'POST',
    path: '/v1/predict',
    scope: 'predict',
    summary: 'Proposer probabilities and proposer-vs-critics dissonance per row',
    body: { schema: predictRequestSchema, limit: 'predict' },
    response: predictResponseSchema,
    errors: [422],
  },
  {
    id: 'feedback',
    method: 'POST',
    path: '/v1/feedback',
    scope: 'feedback',
    summary: 'Labelled feedback, idempotent by item id',
    body: { schema: feedbackRequestSchema, limit: 'feedback' },
    response: feedbackResponseSchema,
    errors: [],
  },
  {
    id: 'quarantine',
    method: 'GET',
    path: '/v1/feedback/quarantine',
    scope: 'admin',
    summary: 'Feedback quarantined for review',
    response: quarantineResponseSchema,
    errors: [],
  },
  {
    id: 'getPolicy',
    method: 'GET',
    path: '/v1/policy',
    scope: 'admin',
    summary: 'The policy in force',
    response: policyResponseSchema,
    errors: [],
  },
  {
    id: 'putPolicy',
    method: 'PUT',
    path: '/v1/policy',
    scope: 'admin',
    summary: 'Change the policy (audited)',
    body: { schema: policyPatchSchema, limit: 'small' },
    response: policyResponseSchema,
    errors: [],
  },
  {
    id: 'audit',
    method: 'GET',
    path: '/v1/audit',
    scope: 'admin',
    summary: 'The audit log',
    response: undefined,
    errors: [],
  },
  {
    id: 'model',
    method: 'GET',
    path: '/v1/models/{name}',
    scope: 'predict',
    summary: 'The champion version and its manifest',
    response: modelResponseSchema,
    errors: [404, 409],
  },
  {
    id: 'artifact',
    method: 'GET',
    path: '/v1/models/{name}/versions/{version}/model.onnx',
    scope: 'predict',
    summary: 'Artifact bytes (header x-dissonance-sha256)',
    response: 'octet-stream',
    errors: [404, 409],
  },
  {
    id: 'promote',
    method: 'POST',
    path: '/v1/models/{name}/promote',
    scope: 'admin',
    summary: 'Promote a version to champion (audited)',
    body: { schema: promoteRequestSchema, limit: 'small' },
    response: aliasChangeResponseSchema,
    errors: [404, 409],
  },
  {
    id: 'rollback',
    method: 'POST',
    path: '/v1/models/{name}/rollback',
    scope: 'admin',
    summary: 'Roll the champion back (audited)',
    body: { schema: rollbackRequestSchema, limit: 'small', allowEmpty: true },
    response: aliasChangeResponseSchema,
    errors: [404, 409],
  },
  {
    id: 'healthz',
    method: 'GET',
    path: '/healthz',
    scope: undefined,
    summary: 'Liveness',
    response: undefined,
    errors: [503],
  },
  {
    id: 'readyz',
    method: 'GET',
    path: '/readyz',
    scope: undefined,
    summary: 'Readiness',
    response: undefined,
    errors: [503],
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    scope: undefined,
    summary: 'This document',
    response: undefined,
    errors: [],
  },
] as const satisfies readonly RouteSpec[];

/** The table's routes, by type. */
export type RouteEntry = (typeof ROUTE_TABLE)[number];

/** Names of the table's routes. */
export type RouteId = RouteEntry['id'];

/** The names of the `{param}` segments of an OpenAPI path. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}
