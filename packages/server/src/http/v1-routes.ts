import { promote, rollback, updatePolicy } from './admin-routes.js';
import type { ChampionModels, EngineView } from './champion-models.js';
import { quarantined, type FeedbackIntake } from './feedback-intake.js';
import { HttpError } from './http-error.js';
import { requireScope, type Authenticate, type Principal, type Scope } from './jwt-auth.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Tarpit } from './tarpit.js';
import { readJson, type ReadJsonLimits } from './read-json.js';
import type { VerifiedArtifacts } from './verified-artifacts.js';
import { routeByteLimits } from './route-limits.js';
import {
  feedbackRequestSchema,
  nameSchema,
  policyPatchSchema,
  predictRequestSchema,
  promoteRequestSchema,
  rollbackRequestSchema,
} from './schemas.js';

/**
 * Extra byte-budget charge, in multiples of its size, of a body that was read and then refused (not JSON, too
 * deep, wrong width, out of range): such bodies cost the server a parse and serve nobody, so a principal that
 * sends them gets a quarter of the parse work a well-behaved one may ask for.
 */
export const INVALID_BODY_PENALTY = 3;

/** One route's handler, given the request and its path match. */
export type Route = (request: Request, match: RegExpExecArray) => Promise<Response>;

/** What the routes need. */
export interface RouteDeps {
  readonly engine: EngineView;
  readonly authenticate: Authenticate;
  readonly limiter: RateLimiter | undefined;
  readonly limits: ReadJsonLimits;
  readonly champion: ChampionModels;
  readonly intake: FeedbackIntake;
  /** Fetches versions for the routes that return or load a model, verified against the trust policy. */
  readonly artifacts: VerifiedArtifacts;
  /** Other registry models the read-only model routes serve. */
  readonly published: readonly string[];
  /** The OpenAPI document, serialized. */
  readonly openapi: () => string;
  /** Delays the 429s of principals past their limits. */
  readonly tarpit: Tarpit;
}

/** The route table (method, path pattern, handler) of everything but health and CORS preflights. */
export function v1Routes(deps: RouteDeps): readonly (readonly [string, RegExp, Route])[] {
  const { engine, authenticate, limiter, limits, champion, intake, published, artifacts, tarpit } = deps;
  const authorize = async (request: Request, scope: Scope): Promise<Principal> => {
    const principal = await authenticate(request);
    const wait = limiter?.take(principal.id) ?? 0;
    if (wait > 0) {
      await tarpit.hold(principal.id, wait * 1000);
      throw new HttpError(429, 'E_RATE_LIMITED', `rate limit of principal "${principal.id}" reached`, { 'retry-after': String(wait) });
    }
    requireScope(principal, scope);
    return principal;
  };
  /** The body limits of one route for `principal`: its byte limit, and its bytes billed to the principal's budget. */
  const bodyLimits = (principal: Principal, maxBytes: number): ReadJsonLimits => ({
    ...limits,
    maxBytes: Math.min(limits.maxBytes, maxBytes),
    ...(limiter === undefined
      ? {}
      : {
          charge: async (bytes: number) => {
            const wait = limiter.takeBytes(principal.id, bytes);
            if (wait > 0) {
              await tarpit.hold(principal.id, wait * 1000);
              throw new HttpError(429, 'E_RATE_LIMITED', `request-body byte budget of principal "${principal.id}" spent`, { 'retry-after': String(wait), connection: 'close' });
            }
          },
          // A refused body was read and parsed for nothing: it costs its sender INVALID_BODY_PENALTY times its size more.
          onInvalid: (bytes: number) => limiter.penalize(principal.id, bytes * INVALID_BODY_PENALTY),
        }),
  });
  const width = async (): Promise<number> => (await champion.manifest()).inputWidth;
  const modelName = (match: RegExpExecArray): string => {
    const name = decodePathSegment(match[1]!);
    if (name === undefined || !nameSchema.safeParse(name).success || name !== engine.modelName) throw new HttpError(404, 'E_NOT_FOUND', `model ${JSON.stringify(match[1]!.slice(0, 200))} is not served here`);
    return name;
  };
  /** The engine's model, or one of the published ones (read-only routes). */
  const readableName = (match: RegExpExecArray): string => {
    const name = decodePathSegment(match[1]!);
    if (name !== undefined && published.includes(name)) return name;
    return modelName(match);
  };

  return [
    [
      'POST',
      /^\/v1\/predict$/,
      async (request) => {
        const principal = await authorize(request, 'predict');
        const w = await width();
        const { rows } = await readJson(request, predictRequestSchema, bodyLimits(principal, routeByteLimits(w).predict), false, (value) =>
          checkWidths(value, 'rows', undefined, w),
        );
        const x = new Float32Array(rows.length * w);
        rows.forEach((row, r) => x.set(row, r * w));
        const result = await engine.process({ x, rows: rows.length });
        const k = result.probabilities.length / rows.length;
        const probabilities = rows.map((_, r) => Array.from(result.probabilities.subarray(r * k, (r + 1) * k)));
        const nonFinite = rows.flatMap((_, r) => (probabilities[r]!.every(Number.isFinite) && Number.isFinite(result.dissonance[r]) ? [] : [r]));
        if (nonFinite.length > 0) {
          // JSON would turn NaN into null and break the documented type: the rows are named instead.
          throw new HttpError(
            422,
            'E_NON_FINITE_OUTPUT',
            `the models' outputs are not finite for row${nonFinite.length === 1 ? '' : 's'} ${nonFinite.slice(0, 20).join(', ')}${nonFinite.length > 20 ? ', …' : ''}: no prediction is answered for this request`,
          );
        }
        return Response.json({
          model: { name: engine.modelName, version: engine.championVersion },
          probabilities,
          dissonance: Array.from(result.dissonance),
        });
      },
    ],
    [
      'POST',
      /^\/v1\/feedback$/,
      async (request) => {
        const principal = await authorize(request, 'feedback');
        const w = await width();
        const { items } = await readJson(request, feedbackRequestSchema, bodyLimits(principal, routeByteLimits(w).feedback), false, (value) =>
          checkWidths(value, 'items', 'features', w),
        );
        return Response.json(await intake.submit(principal.id, items));
      },
    ],
    [
      'GET',
      /^\/v1\/feedback\/quarantine$/,
      async (request) => {
        await authorize(request, 'admin');
        return Response.json({ items: await quarantined(engine.store) });
      },
    ],
    [
      'GET',
      /^\/v1\/policy$/,
      async (request) => {
        await authorize(request, 'admin');
        return Response.json({ policy: engine.policy });
      },
    ],
    [
      'PUT',
      /^\/v1\/policy$/,
      async (request) => {
        const principal = await authorize(request, 'admin');
        const patch = await readJson(request, policyPatchSchema, bodyLimits(principal, routeByteLimits(1).small));
        return Response.json({ policy: await updatePolicy(engine, principal, patch) });
      },
    ],
    [
      'GET',
      /^\/v1\/audit$/,
      async (request) => {
        await authorize(request, 'admin');
        return Response.json({ entries: await engine.store.audit() });
      },
    ],
    [
      'POST',
      /^\/v1\/models\/([^/]+)\/promote$/,
      async (request, match) => {
        const principal = await authorize(request, 'admin');
        modelName(match);
        const { version, reason } = await readJson(request, promoteRequestSchema, bodyLimits(principal, routeByteLimits(1).small));
        return Response.json(await promote(engine, principal, version, reason, artifacts));
      },
    ],
    [
      'POST',
      /^\/v1\/models\/([^/]+)\/rollback$/,
      async (request, match) => {
        const principal = await authorize(request, 'admin');
        modelName(match);
        const { to, reason } = await readJson(request, rollbackRequestSchema, bodyLimits(principal, routeByteLimits(1).small), true);
        return Response.json(await rollback(engine, principal, to, reason));
      },
    ],
    [
      'GET',
      /^\/v1\/models\/([^/]+)$/,
      async (request, match) => {
        await authorize(request, 'predict');
        const name = readableName(match);
        const described = name === engine.modelName ? await champion.manifest() : await engine.registry.resolve(name, 'champion');
        // Described only when the champion's artifact passes the trust policy: its URL would be served otherwise.
        const { manifest } = artifacts.enforcing ? await artifacts.fetch(name, described.version) : { manifest: described };
        const path = `/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(manifest.version)}/model.onnx`;
        return Response.json({ name, champion: { version: manifest.version, sha256: manifest.sha256, manifest, artifactUrl: path } });
      },
    ],
    [
      'GET',
      /^\/v1\/models\/([^/]+)\/versions\/([^/]+)\/model\.onnx$/,
      async (request, match) => {
        await authorize(request, 'predict');
        const name = readableName(match);
        const version = decodePathSegment(match[2]!);
        if (version === undefined || !nameSchema.safeParse(version).success) throw new HttpError(404, 'E_NOT_FOUND', `version ${JSON.stringify(match[2]!.slice(0, 200))} not found`);
        const { manifest, artifact } = await artifacts.fetch(name, version);
        return new Response(Uint8Array.from(artifact.bytes), {
          headers: {
            'content-type': 'application/octet-stream',
            'x-dissonance-sha256': manifest.sha256,
            etag: `"${manifest.sha256}"`,
            'cache-control': 'private, max-age=31536000, immutable',
          },
        });
      },
    ],
    [
      'GET',
      /^\/openapi\.json$/,
      async () => {
        return new Response(deps.openapi(), { headers: { 'content-type': 'application/json' } });
      },
    ],
  ];
}

/**
 * Refuses rows of the wrong width before the schema walks every value: `value[list][i]` (or its `field`)
 * must hold `width` entries. Anything else about the shape is left to the schema.
 */
function checkWidths(value: unknown, list: string, field: string | undefined, width: number): void {
  const entries = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[list] : undefined;
  if (!Array.isArray(entries)) return;
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const row = field === undefined ? entry : typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[field] : undefined;
    if (Array.isArray(row) && row.length !== width) {
      throw new HttpError(400, 'E_INPUT', `${list}.${i}${field === undefined ? '' : `.${field}`}: expected ${width} values (the model's width), got ${row.length}`);
    }
  }
}

/** A percent-decoded path segment; undefined when its escapes are malformed. */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
