import type { Engine, EngineHealth, LoadedModel, Transport } from '@dissonance/core';

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions {
  /** The engine whose `health()` the routes report. */
  readonly engine: Pick<Engine, 'health'>;
  /** The transport the service consumes from: readiness part `transport` (its `ping()`). */
  readonly transport?: Pick<Transport, 'ping'>;
  /**
   * The model that serves, probed with one all-zero row: readiness part `model` fails when it is missing
   * (`undefined`: unloaded) or its `run` throws (disposed). Without it, `model` is the engine's own report.
   */
  readonly model?: () => LoadedModel | undefined;
  /** More named readiness checks: a check that throws (or rejects) fails its part with the error's message. */
  readonly checks?: Readonly<Record<string, () => unknown>>;
  /**
   * Failures of the loop that are not a port (e.g. {@link EngineErrors.failingParts}: the engine's `error`
   * events, such as retrains that keep failing); each fails readiness until it is cleared.
   */
  readonly failures?: () => readonly FailingPart[];
  /**
   * Liveness bound: with batches queued or in flight, the loop must have reconciled one within this many ms
   * (default 60 000). An idle loop is live however long ago it last worked.
   */
  readonly maxStallMs?: number;
  /** Longest wait for one check before it counts as failing, in ms (default 2 000). */
  readonly checkTimeoutMs?: number;
  /** Current time in the engine clock's ms (default `Date.now`). */
  readonly now?: () => number;
}

/** A failing part of a health report. */
export interface FailingPart {
  readonly name: string;
  readonly error: string;
}

/**
 * Fetch-API routes `GET /healthz` (liveness) and `GET /readyz` (readiness) over `engine.health()`.
 * Resolves to `undefined` for any other path, so it can be chained in front of other handlers.
 *
 * - `/healthz`: 200 while the engine is not stopped and its loop made progress within `maxStallMs` (or has
 *   nothing to do); else 503 naming `engine` or `loop`.
 * - `/readyz`: 200 when every part answers — `model`, `registry`, `store`, the engine's `source` when it
 *   consumes one, `transport` and each of `checks` — no `failures` are held and the engine is not stopped;
 *   else 503 naming each failing part and why.
 * - `engine.health()` itself gets `checkTimeoutMs` too; when it fails or hangs, both routes answer 503 naming
 *   `engine`.
 *
 * Bodies are JSON `{ status: 'ok' | 'failing', failing: [{ name, error }], ... }`; nothing is cached, so a
 * part that comes back turns the route green on the next request.
 */
export function healthRoutes(options: HealthRoutesOptions): (request: Request) => Promise<Response | undefined> {
  const maxStallMs = options.maxStallMs ?? 60_000;
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const now = options.now ?? Date.now;
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== '/healthz' && pathname !== '/readyz') return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return Response.json({ error: { code: 'E_METHOD', message: `${request.method} not allowed` } }, { status: 405 });
    }
    let health: EngineHealth | undefined;
    const error = await probe(async () => {
      health = await options.engine.health();
    }, timeoutMs);
    if (health === undefined) {
      const failing = [{ name: 'engine', error: `health() failed: ${error ?? 'no report'}` }];
      return Response.json({ status: 'failing', failing }, { status: 503 });
    }
    const failing =
      pathname === '/healthz' ? liveness(health, now(), maxStallMs) : await readiness(health, options, timeoutMs);
    const ok = failing.length === 0;
    const body = {
      status: ok ? 'ok' : 'failing',
      failing,
      engine: health.status,
      champion: health.champion ?? null,
      lastProgressAt: new Date(health.loop.lastProgressAt).toISOString(),
    };
    return Response.json(body, { status: ok ? 200 : 503 });
  };
}

function liveness(health: EngineHealth, now: number, maxStallMs: number): FailingPart[] {
  if (health.status === 'stopped') return [{ name: 'engine', error: 'engine is stopped' }];
  const busy = health.loop.queued + health.loop.inFlight > 0;
  const idleFor = now - health.loop.lastProgressAt;
  if (busy && idleFor > maxStallMs) {
    return [
      {
        name: 'loop',
        error: `no batch reconciled for ${idleFor} ms with ${health.loop.queued} queued and ${health.loop.inFlight} in flight (bound ${maxStallMs} ms)`,
      },
    ];
  }
  return [];
}

async function readiness(
  health: EngineHealth,
  options: HealthRoutesOptions,
  timeoutMs: number,
): Promise<FailingPart[]> {
  const parts: [string, Promise<string | undefined>][] = [];
  if (health.status === 'stopped') parts.push(['engine', Promise.resolve('engine is stopped')]);
  for (const [name, port] of Object.entries(health.ports)) {
    if (name === 'models' && options.model !== undefined) continue;
    parts.push([name === 'models' ? 'model' : name, Promise.resolve(port.ok ? undefined : (port.error ?? 'not ok'))]);
  }
  const model = options.model;
  if (model !== undefined) parts.push(['model', probe(() => probeModel(model()), timeoutMs)]);
  const transport = options.transport;
  if (transport !== undefined) parts.push(['transport', probe(() => transport.ping(), timeoutMs)]);
  for (const [name, check] of Object.entries(options.checks ?? {})) parts.push([name, probe(check, timeoutMs)]);
  for (const part of options.failures?.() ?? []) parts.push([part.name, Promise.resolve(part.error)]);
  const failing: FailingPart[] = [];
  for (const [name, result] of parts) {
    const error = await result;
    if (error !== undefined) failing.push({ name, error });
  }
  return failing;
}

async function probeModel(model: LoadedModel | undefined): Promise<void> {
  if (model === undefined) throw new Error('no model loaded');
  const out = await model.run(new Float32Array(model.inputWidth), 1);
  if (out.length !== model.classes)
    throw new Error(`model ${model.name}@${model.version} returned ${out.length} values for one row`);
}

/** Runs `check`; resolves with its error message, `timed out after …`, or `undefined` when it passed. */
async function probe(check: () => unknown, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(
          () => undefined,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
