import { promote, rollback, updatePolicy } from './admin-routes.js';
import type { ChampionModels, EngineView } from './champion-models.js';
import { quarantined, type FeedbackIntake } from './feedback-intake.js';
import { HttpError } from './http-error.js';
import { requireScope, type Authenticate, type Principal, type Scope } from './jwt-auth.js';
import type { RateLimiter } from './rate-limiter.js';
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
}

/** The route table (method, path pattern, handler) of everything but health and CORS preflights. */
export function v1Routes(deps: RouteDeps): readonly (readonly [string, RegExp, Route])[] {
  const { engine, authenticate, limiter, limits, champion, intake, published, artifacts } = deps;
  const authorize = async (request: Request, scope: Scope): Promise<Principal> => {
    const principal = await authenticate(request);
    const wait = limiter?.take(principal.id) ?? 0;
    if (wait > 0) throw new HttpError(429, 'E_RATE_LIMITED', `rate limit of principal "${principal.id}" reached`, { 'retry-after': String(wait) });
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
          charge: (bytes: number) => {
            const wait = limiter.takeBytes(principal.id, bytes);
            if (wait > 0) {
              throw new HttpError(429, 'E_RATE_LIMITED', `request-body byte budget of principal "${principal.id}" spent`, { 'retry-after': String(wait), connection: 'close' });
            }
          },
        }),
  });
  const widthLimits = async (): Promise<ReturnType<typeof routeByteLimits>> => routeByteLimits((await champion.manifest()).inputWidth);
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
        const { rows } = await readJson(request, predictRequestSchema, bodyLimits(principal, (await widthLimits()).predict));
        const width = rows[0]!.length;
        const bad = rows.findIndex((row) => row.length !== width);
        if (bad >= 0) throw new HttpError(400, 'E_INPUT', `rows.${bad}: expected ${width} values like row 0, got ${rows[bad]!.length}`);
        const x = new Float32Array(rows.length * width);
        rows.forEach((row, r) => x.set(row, r * width));
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
        const { items } = await readJson(request, feedbackRequestSchema, bodyLimits(principal, (await widthLimits()).feedback));
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

/** A percent-decoded path segment; undefined when its escapes are malformed. */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
