import { MemoryDedupStore, type DedupStore, type PoisoningGuard, type TrustPolicy } from '@dissonance/core';
import { EngineErrors, type EngineEventSource } from '@dissonance/node';
import { healthRoutes } from '@dissonance/node';
import { VERSION } from '../version.js';
import { ChampionModels, type EngineView } from './champion-models.js';
import { corsHeaders, type CorsOptions } from './cors.js';
import { FeedbackIntake } from './feedback-intake.js';
import { errorResponse, HttpError, toErrorResponse } from './http-error.js';
import { createRouter } from './http-router.js';
import { createJwtAuth, type Authenticate, type JwtAuthOptions } from './jwt-auth.js';
import { openApiDocument } from './openapi.js';
import { DEFAULT_BYTE_BURST, RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { DEFAULT_MAX_JSON_DEPTH, type ReadJsonLimits } from './read-json.js';
import { routeAccess } from './route-access.js';
import { Tarpit } from './tarpit.js';
import { v1Routes } from './v1-routes.js';
import { VerifiedArtifacts } from './verified-artifacts.js';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** The engine served: its champion answers predictions, its store receives feedback and audit records. */
  readonly engine: EngineView;
  /** Bearer-JWT settings, or an authenticator of your own. */
  readonly auth: JwtAuthOptions | Authenticate;
  /** Poisoning guard applied to feedback (also wrap the engine's trainer with `guard.wrapTrainer`). */
  readonly guard?: PoisoningGuard;
  /** Remembers feedback ids (default: in memory, 100 000 ids). */
  readonly dedup?: DedupStore;
  /** How long a feedback id is remembered, in ms (default: the engine's `ENGINE_DEFAULTS.feedback.dedupTtlMs`, 7 days). */
  readonly dedupTtlMs?: number;
  /** Accepted feedback items between two `engine.retrainNow()` calls (0: never; default: `ENGINE_DEFAULTS.feedback.retrainEvery`). */
  readonly retrainEvery?: number;
  /** Browser origins allowed (CORS preflight and headers). */
  readonly cors?: CorsOptions;
  /**
   * Per-principal request rate (default 60 burst, 20/s) and request-body byte budget (default 4 MiB burst,
   * 1 MiB/s), both charged before a body is read; `false` turns both off.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /**
   * Largest request body in bytes on any route (default 1 MiB). Each route's own limit is lower when its most
   * rows × the model's width need less (see `routeByteLimits`).
   */
  readonly maxBodyBytes?: number;
  /**
   * How long a 429 of a principal past its limits is held before it is sent (default 1 000 ms; at most 32 held
   * per principal at a time; 0: answered at once), so a client looping on refusals cannot spend the server's
   * CPU at the rate it can refuse them.
   */
  readonly refusalDelayMs?: number;
  /** Deepest nesting of arrays and objects in a request body (default 8); 400 `E_JSON_TOO_DEEP` beyond. */
  readonly maxJsonDepth?: number;
  /**
   * Which model artifacts may be served and promoted (the engine's `trust` option; pass the same policy):
   * the artifact route, the model description and promotion verify a version against it first and answer 409
   * with the SDK's code when it is refused. Without it, only the artifact's digest is checked.
   */
  readonly trust?: TrustPolicy;
  /** Time to receive a body (default 10 s; 408 after). */
  readonly bodyTimeoutMs?: number;
  /** Time to answer a request (default 30 s; 503 after). */
  readonly requestTimeoutMs?: number;
  /**
   * Bytes of model artifacts kept in memory once read and checked against their digest, for the download route
   * (default `DEFAULT_ARTIFACT_CACHE_BYTES`, 256 MiB, least recently used first; 0: read each download).
   */
  readonly artifactCacheBytes?: number;
  /** Quarantined feedback kept for review (default: `ENGINE_DEFAULTS.feedback.maxQuarantine`). */
  readonly maxQuarantine?: number;
  /** Called with unexpected errors (answered as a bare 500) and failed background retrains, for logging. */
  readonly onError?: (error: unknown) => void;
  /**
   * Report the engine's `error` events: each goes to `onError`, and `/readyz` fails (part `loop.<stage>`)
   * until the stage works again (default true; needs an engine with `on`/`off`).
   */
  readonly reportEngineErrors?: boolean;
  /**
   * Other models of the engine's registry that `GET /v1/models/{name}` and its artifact route also serve
   * (read-only, their `champion` alias), e.g. a critic for browsers to run next to the proposer.
   */
  readonly published?: readonly string[];
}

/** A Fetch-API handler: `(request) => Promise<Response>`, plus lifecycle helpers. */
export interface HttpHandler {
  (request: Request): Promise<Response>;
  /** Resolves when pending feedback and a retrain it started have settled. */
  settled(): Promise<void>;
  /** Frees the champion copy loaded for the poisoning guard. */
  close(): Promise<void>;
}

/**
 * The HTTP surface as a standard Fetch-API handler, mountable wherever `Request`/`Response` are (Node via
 * {@link toNodeListener} or {@link serve}, Express, Fastify, Hono, Bun, Deno). Routes (JSON, zod-validated):
 * `POST /v1/predict` (scope `predict`), `POST /v1/feedback` (`feedback`), `GET|PUT /v1/policy`,
 * `POST /v1/models/{name}/promote|rollback`, `GET /v1/feedback/quarantine`, `GET /v1/audit` (`admin`),
 * `GET /v1/models/{name}` and `…/versions/{version}/model.onnx` (`predict`), and public `GET /healthz`,
 * `/readyz`, `/openapi.json`: the entries of `ROUTE_TABLE` (route-table.ts), dispatched by Hono's router, from which
 * the OpenAPI document is generated too. Errors are `{ "error": { "code", "message" } }`, never a stack trace.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const { engine } = options;
  const authenticate = typeof options.auth === 'function' ? options.auth : createJwtAuth(options.auth);
  const maxBytes = options.maxBodyBytes ?? 1024 * 1024;
  const rate = options.rateLimit === false ? undefined : (options.rateLimit ?? {});
  // The byte bucket holds at least the largest body, so one legal request always fits a full bucket.
  const limiter =
    rate === undefined
      ? undefined
      : new RateLimiter({ ...rate, byteBurst: Math.max(rate.byteBurst ?? DEFAULT_BYTE_BURST, maxBytes) });
  const limits: ReadJsonLimits = {
    maxBytes,
    timeoutMs: options.bodyTimeoutMs ?? 10_000,
    maxDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const onError = options.onError ?? (() => undefined);
  const artifacts = new VerifiedArtifacts(engine.registry, options.trust, options.artifactCacheBytes);
  const engineErrors =
    options.reportEngineErrors !== false && engine.on !== undefined && engine.off !== undefined
      ? new EngineErrors(engine as EngineEventSource, onError)
      : undefined;
  const champion = new ChampionModels(engine);
  const intake = new FeedbackIntake({
    engine,
    guard: options.guard,
    dedup: options.dedup ?? new MemoryDedupStore(),
    dedupTtlMs: options.dedupTtlMs,
    retrainEvery: options.retrainEvery,
    maxQuarantine: options.maxQuarantine,
  });
  const health = healthRoutes({
    engine,
    ...(engineErrors === undefined ? {} : { failures: () => engineErrors.failingParts() }),
  });
  let openapi: string | undefined;
  /** The response to an error thrown by a route; unexpected ones (a bare 500) are reported to `onError`. */
  const fail = (error: unknown): Response => {
    if (!(error instanceof HttpError) && toErrorResponse(error).status === 500) onError(error);
    return toErrorResponse(error);
  };

  const route = createRouter({
    handlers: v1Routes({
      engine,
      champion,
      intake,
      artifacts,
      published: options.published ?? [],
      openapi: () => (openapi ??= JSON.stringify(openApiDocument(VERSION))),
      health,
    }),
    access: routeAccess({ authenticate, limiter, limits, tarpit: new Tarpit(options.refusalDelayMs ?? 1_000, 32) }),
    ...(options.cors === undefined ? {} : { cors: options.cors }),
    onError: fail,
  });

  const handler = async (request: Request): Promise<Response> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Aborted with the 503, so that a route still waiting (a batch waiting for room) gives up.
    const answered = new AbortController();
    const timeout = new Promise<Response>((resolve) => {
      timer = setTimeout(() => {
        const message = `request not answered within ${requestTimeoutMs} ms`;
        answered.abort(new Error(message));
        resolve(errorResponse(503, 'E_TIMEOUT', message, { 'retry-after': '1' }));
      }, requestTimeoutMs);
    });
    let response: Response;
    try {
      response = await Promise.race([route(request, answered.signal).catch(fail), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const cors = corsHeaders(request, options.cors);
    for (const [key, value] of Object.entries(cors)) response.headers.set(key, value);
    return response;
  };
  return Object.assign(handler, {
    settled: () => intake.settled(),
    close: async () => {
      engineErrors?.close();
    },
  });
}
