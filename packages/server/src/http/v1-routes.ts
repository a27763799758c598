import type { z } from 'zod';
import { promote, rollback, updatePolicy } from './admin-routes.js';
import type { ChampionModels, EngineView } from './champion-models.js';
import { quarantined, type FeedbackIntake } from './feedback-intake.js';
import { HttpError } from './http-error.js';
import type { Principal, Scope } from './jwt-auth.js';
import type { RouteEntry, RouteId } from './route-table.js';
import type { VerifiedArtifacts } from './verified-artifacts.js';
import { MAX_PREDICT_OUTPUTS, nameSchema } from './schemas.js';
import { matchesEtag, streamOf } from './artifact-body.js';

/** The parsed request body of route `R` (`never` for a route without one). */
export type RouteBodyOf<R extends RouteEntry> = R extends {
  readonly body: { readonly schema: infer S extends z.ZodType };
}
  ? z.infer<S>
  : never;

/** What a route's handler is given, once the router has authorized the request for the route's scope. */
export interface RouteContext<R extends RouteEntry> {
  readonly request: Request;
  /** Aborts when the request is answered with 503 `E_TIMEOUT` (`requestTimeoutMs`) before its route finished. */
  readonly signal: AbortSignal;
  /** The path's `{param}` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The caller (`undefined` on public routes). */
  readonly principal: R['scope'] extends Scope ? Principal : undefined;
  /**
   * Reads the body with the route's schema and byte limit (for a model `width` features wide), billed to the
   * principal; `precheck` runs on the parsed value before the schema.
   */
  readonly body: (width?: number, precheck?: (value: unknown) => void) => Promise<RouteBodyOf<R>>;
}

/** The handler of route `R`. */
export type RouteHandler<R extends RouteEntry> = (context: RouteContext<R>) => Promise<Response>;

/** One handler per entry of the route table, by route id. */
export type RouteHandlers = { readonly [K in RouteId]: RouteHandler<Extract<RouteEntry, { readonly id: K }>> };

/** What the routes need. */
export interface RouteDeps {
  readonly engine: EngineView;
  readonly champion: ChampionModels;
  readonly intake: FeedbackIntake;
  /** Fetches versions for the routes that return or load a model, verified against the trust policy. */
  readonly artifacts: VerifiedArtifacts;
  /** Other registry models the read-only model routes serve. */
  readonly published: readonly string[];
  /** The OpenAPI document, serialized. */
  readonly openapi: () => string;
  /** The health routes (`/healthz`, `/readyz`). */
  readonly health: (request: Request) => Promise<Response | undefined>;
}

/** The handlers of the route table's routes (paths, methods, scopes and bodies are the table's). */
export function v1Routes(deps: RouteDeps): RouteHandlers {
  const { engine, champion, intake, published, artifacts } = deps;
  const width = async (): Promise<number> => (await champion.manifest()).inputWidth;
  const modelName = (segment: string): string => {
    if (!nameSchema.safeParse(segment).success || segment !== engine.modelName)
      throw new HttpError(404, 'E_NOT_FOUND', `model ${JSON.stringify(segment.slice(0, 200))} is not served here`);
    return segment;
  };
  /** The engine's model, or one of the published ones (read-only routes). */
  const readableName = (segment: string): string => {
    if (published.includes(segment)) return segment;
    return modelName(segment);
  };

  return {
    predict: async ({ body, request, signal }) => {
      const { inputWidth: w, classes } = await champion.manifest();
      const { rows } = await body(w, (value) => checkWidths(value, 'rows', undefined, w));
      if (rows.length * classes > MAX_PREDICT_OUTPUTS) {
        const most = Math.floor(MAX_PREDICT_OUTPUTS / classes);
        throw new HttpError(
          413,
          'E_PAYLOAD_TOO_LARGE',
          most === 0
            ? `the model's ${classes} classes are more than ${MAX_PREDICT_OUTPUTS} output values per request: it cannot be served over this route`
            : `${rows.length} rows × ${classes} classes is over ${MAX_PREDICT_OUTPUTS} output values per request: send at most ${most} rows`,
          { 'x-dissonance-max-rows': String(most) },
        );
      }
      const x = new Float32Array(rows.length * w);
      rows.forEach((row, r) => x.set(row, r * w));
      // A client that timed out or went away while its batch waited for room spends no model time.
      const result = await engine.process(
        { x, rows: rows.length },
        { signal: AbortSignal.any([signal, request.signal]) },
      );
      const k = result.probabilities.length / rows.length;
      const probabilities = rows.map((_, r) => Array.from(result.probabilities.subarray(r * k, (r + 1) * k)));
      const nonFinite = rows.flatMap((_, r) =>
        probabilities[r]!.every(Number.isFinite) && Number.isFinite(result.dissonance[r]) ? [] : [r],
      );
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
    feedback: async ({ principal, body }) => {
      const w = await width();
      const { items } = await body(w, (value) => checkWidths(value, 'items', 'features', w));
      return Response.json(await intake.submit(principal.id, items));
    },
    quarantine: async () => Response.json({ items: await quarantined(engine.store) }),
    getPolicy: async () => Response.json({ policy: engine.policy }),
    putPolicy: async ({ principal, body }) => {
      // JSON.parse keeps a `__proto__` key as an own property, which the record schema drops without a word.
      const patch = await body(undefined, (value) => {
        if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__'))
          throw new HttpError(400, 'E_POLICY', 'unknown policy key "__proto__"');
      });
      return Response.json({ policy: await updatePolicy(engine, principal, patch) });
    },
    audit: async () => Response.json({ entries: await engine.store.audit() }),
    model: async ({ params }) => {
      const name = readableName(params['name']!);
      const described =
        name === engine.modelName ? await champion.manifest() : await engine.registry.resolve(name, 'champion');
      // Described only when the champion's artifact passes the trust policy: its URL would be served otherwise.
      const { manifest } = artifacts.enforcing
        ? await artifacts.fetch(name, described.version)
        : { manifest: described };
      const path = `/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(manifest.version)}/model.onnx`;
      return Response.json({
        name,
        champion: { version: manifest.version, sha256: manifest.sha256, manifest, artifactUrl: path },
      });
    },
    artifact: async ({ request, params }) => {
      const name = readableName(params['name']!);
      const version = params['version']!;
      if (!nameSchema.safeParse(version).success)
        throw new HttpError(404, 'E_NOT_FOUND', `version ${JSON.stringify(version.slice(0, 200))} not found`);
      const { manifest, artifact } = await artifacts.fetch(name, version);
      const etag = `"${manifest.sha256}"`;
      const headers = {
        'x-dissonance-sha256': manifest.sha256,
        etag,
        'cache-control': 'private, max-age=31536000, immutable',
      };
      if (matchesEtag(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
      return new Response(streamOf(artifact.bytes), {
        headers: {
          ...headers,
          'content-type': 'application/octet-stream',
          'content-length': String(artifact.bytes.byteLength),
        },
      });
    },
    promote: async ({ principal, params, body }) => {
      modelName(params['name']!);
      const { version, reason } = await body();
      return Response.json(await promote(engine, principal, version, reason, artifacts));
    },
    rollback: async ({ principal, params, body }) => {
      modelName(params['name']!);
      const { to, reason } = await body();
      return Response.json(await rollback(engine, principal, to, reason));
    },
    healthz: async ({ request }) => (await deps.health(request))!,
    readyz: async ({ request }) => (await deps.health(request))!,
    openapi: async () => new Response(deps.openapi(), { headers: { 'content-type': 'application/json' } }),
  };
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
    const row =
      field === undefined
        ? entry
        : typeof entry === 'object' && entry !== null
          ? (entry as Record<string, unknown>)[field]
          : undefined;
    if (Array.isArray(row) && row.length !== width) {
      throw new HttpError(
        400,
        'E_INPUT',
        `${list}.${i}${field === undefined ? '' : `.${field}`}: expected ${width} values (the model's width), got ${row.length}`,
      );
    }
  }
}
